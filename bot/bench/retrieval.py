"""Retrieval latency on the real index and on synthetic ones 10x and 100x larger; index build times."""
from __future__ import annotations

import gc
import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from bot.knowledge import index as index_module
from bot.knowledge.index import INDEX_FILE, Entry, Index, build_index, load_index
from bot.knowledge.retrieval import Retriever
from bot.nlp.embedder import Embedder

ROOT = Path(__file__).resolve().parents[2]
NOISE = 0.01  # per component; a copy's cosine to its original is about 0.98


class TimedEmbedder(Embedder):
    """The action server's embedder, remembering how long the last query embedding took."""

    last_s = 0.0

    def queries(self, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        try:
            return super().queries(texts)
        finally:
            self.last_s = time.perf_counter() - started


def synthetic(real: Index, factor: int, seed: int = 3) -> Index:
    """`factor` copies of the real index: copy k has topics `<topic>~syn<k>` (with their articles and
    classifier rows) and its vectors moved by small noise and normalised again."""
    if factor == 1:
        return real
    rng = np.random.default_rng(seed)
    entries, vectors = list(real.entries), [real.vectors]
    articles, topics = dict(real.articles), list(real.topics)
    weights, bias = [real.weights], [real.bias]
    for k in range(1, factor):
        tag = f"~syn{k:03d}"
        entries += [Entry(e.kind, e.topic + tag, e.lang, e.key + tag, e.text, e.heading, e.section)
                    for e in real.entries]
        moved = real.vectors + NOISE * rng.standard_normal(real.vectors.shape, dtype=np.float32)
        moved /= np.linalg.norm(moved, axis=1, keepdims=True)
        vectors.append(moved)
        articles.update({(t + tag, lang): replace(a, topic=t + tag) for (t, lang), a in real.articles.items()})
        topics += [t + tag for t in real.topics]
        weights.append(real.weights + NOISE * rng.standard_normal(real.weights.shape, dtype=np.float32))
        bias.append(real.bias)
    return Index(real.model, entries, np.concatenate(vectors), articles, topics,
                 np.concatenate(weights), np.concatenate(bias))


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values) * 1000, q)), 2)


def retrieval(index_dir: Path, model: str, queries: list[str], factors: tuple[int, ...] = (1, 10, 100),
              budget_s: float = 120, log: Callable[[str], None] = print) -> dict:
    """Per factor: assembling the arrays, writing the index (`build_index`'s writer) and loading it as the
    action server does on a (hot) reload; then Retriever.search latency over `queries`, asked round-robin
    across the indexes so that a noisy machine slows all of them alike, until the questions or
    `budget_s` run out. Ranking is search minus the query embedding."""
    real = load_index(index_dir)
    embedder = TimedEmbedder(model)  # one thread, as in the action server
    started = time.perf_counter()
    embedder.queries(["warm-up"])
    results: dict[str, dict] = {"model_load_s": round(time.perf_counter() - started, 2)}
    workdir = Path(tempfile.mkdtemp(prefix="ihs-bench-index-"))
    retrievers: dict[int, Retriever] = {}
    try:
        for factor in factors:
            figures: dict[str, float | int] = {}
            started = time.perf_counter()
            built = synthetic(real, factor)
            figures["assemble_s"] = round(time.perf_counter() - started, 2)
            out = workdir / f"x{factor}"
            started = time.perf_counter()
            index_module._write(out, built)
            figures["write_s"] = round(time.perf_counter() - started, 2)
            figures["entries"], figures["topics"] = len(built.entries), len(built.topics)
            figures["vectors_mb"] = round(built.vectors.nbytes / 2**20, 1)
            figures["file_mb"] = round((out / INDEX_FILE).stat().st_size / 2**20, 1)
            del built
            gc.collect()
            retriever = Retriever(out, embedder)
            started = time.perf_counter()
            retriever.topics()  # load_index + scoring arrays: what a hot reload costs the action server
            figures["load_s"] = round(time.perf_counter() - started, 2)
            retrievers[factor] = retriever
            results[f"{factor}x"] = figures
            log(f"  index {factor:>3}x: {figures['entries']:>7} entries, {figures['topics']:>5} topics, "
                f"{figures['file_mb']:>7} MB; assemble {figures['assemble_s']} s, write {figures['write_s']} s, "
                f"load {figures['load_s']} s")
        for retriever in retrievers.values():
            for text in queries[:3]:
                retriever.search(text)
        search: dict[int, list[float]] = {f: [] for f in factors}
        embed: dict[int, list[float]] = {f: [] for f in factors}
        rank: dict[int, list[float]] = {f: [] for f in factors}
        deadline = time.monotonic() + budget_s
        for asked, text in enumerate(queries):
            if asked >= 50 and time.monotonic() > deadline:
                log(f"  (time budget of {budget_s:g} s reached after {asked} questions)")
                break
            for factor, retriever in retrievers.items():
                started = time.perf_counter()
                retriever.search(text)
                elapsed = time.perf_counter() - started
                search[factor].append(elapsed)
                embed[factor].append(embedder.last_s)
                rank[factor].append(elapsed - embedder.last_s)
        for factor in factors:
            results[f"{factor}x"].update({
                "queries": len(search[factor]),
                "p50_ms": _pct(search[factor], 50), "p95_ms": _pct(search[factor], 95),
                "embed_p50_ms": _pct(embed[factor], 50), "embed_p95_ms": _pct(embed[factor], 95),
                "rank_p50_ms": _pct(rank[factor], 50), "rank_p95_ms": _pct(rank[factor], 95),
            })
    finally:
        retrievers.clear()
        shutil.rmtree(workdir, ignore_errors=True)
    for factor in factors[1:]:
        results[f"ratio_{factor}x_p95"] = round(results[f"{factor}x"]["p95_ms"] / results["1x"]["p95_ms"], 2)
        results[f"ratio_{factor}x_rank_p95"] = round(results[f"{factor}x"]["rank_p95_ms"]
                                                     / results["1x"]["rank_p95_ms"], 1)
    return results


# --- index builds -----------------------------------------------------------------------------------

def _articles() -> list:
    from bot.knowledge.check import check

    articles, problems = check(ROOT / "knowledge", ())
    if problems:
        raise SystemExit("the knowledge base has problems; run `make check` first")
    return articles


def _build_threads() -> int:
    import os

    return max(1, min(4, os.cpu_count() or 1))  # as `make index`


def _timed_build(model: str, out_dir: Path) -> dict:
    """build_index as `make index` runs it, with the topic classifier's share timed."""
    timing: dict[str, float] = {}
    original = index_module.train_topic_classifier

    def timed(*args: object, **kwargs: object) -> tuple:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            timing["classifier_s"] = time.perf_counter() - started

    index_module.train_topic_classifier = timed
    try:
        report = build_index(_articles(), Embedder(model, threads=_build_threads()), out_dir, progress=False)
    finally:
        index_module.train_topic_classifier = original
    return {"seconds": round(report.seconds, 1), "entries": report.entries, "embedded": report.embedded,
            "classifier_s": round(timing.get("classifier_s", 0.0), 1), "threads": _build_threads()}


def incremental_build(index_dir: Path, model: str) -> dict:
    """`make index` after an edit that changes no text: nothing is embedded; what is left is loading,
    stacking, training the topic classifier and writing."""
    workdir = Path(tempfile.mkdtemp(prefix="ihs-bench-build-"))
    try:
        shutil.copy2(index_dir / INDEX_FILE, workdir / INDEX_FILE)
        return _timed_build(model, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def knowledge_key(model: str) -> str:
    """What a clean build's time depends on: the texts to embed (entry keys are content hashes) and the model."""
    from bot.knowledge.index import entries_for

    digest = hashlib.sha256(model.encode())
    for entry in entries_for(_articles()):
        digest.update(entry.key.encode())
    return digest.hexdigest()[:16]


def clean_build(model: str, cache_file: Path, mode: str, log: Callable[[str], None] = print) -> dict | None:
    """A build from nothing (every passage and question embedded), as on a new machine. It takes
    minutes, so `auto` reuses the last measurement while the texts and the model are unchanged;
    `always` measures it again (and an incremental rebuild)."""
    if mode == "skip":
        return None
    key = knowledge_key(model)
    if mode == "auto" and cache_file.exists():
        cached = json.loads(cache_file.read_text())
        if cached.get("key") == key:
            return {**cached, "cached": True}
    log(f"  clean index build ({_build_threads()} threads; takes a few minutes) ...")
    workdir = Path(tempfile.mkdtemp(prefix="ihs-bench-clean-"))
    try:
        result = {"key": key, **_timed_build(model, workdir), "measured_at": time.strftime("%Y-%m-%d %H:%M:%S")}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    cache_file.write_text(json.dumps(result, indent=1))
    return {**result, "cached": False}
