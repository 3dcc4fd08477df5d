"""`python -m bot.bench` (`make bench`): start the real stack on ports of its own and measure it.

For each concurrency level: end-to-end latency (p50/p95/p99), messages per second and errors over the
conversation API, and over Rasa's own REST webhook with the same messages at the same concurrency
(alternating in rounds, so a noisy machine slows both alike); resident memory and CPU time of every
Procfile process; a py-spy profile of gateway, action server and Rasa at 20 concurrent conversations.
Then, with the stack stopped: retrieval latency on the real index and on synthetic ones 10x and 100x
larger, and index build times. Figures go to var/bench/latest.json, the plot to var/bench/latency.png.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bot.bench import load, procs, report, workload
from bot.bench import retrieval as retrieval_bench
from bot.bench.stack import Stack, port_in_use, process_of

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "eval" / "cases.yml"


def say(text: str) -> None:
    print(text, flush=True)


def _per_message(cpu: Counter, messages: int) -> dict[str, float]:
    """CPU milliseconds per message sent, per process."""
    return {name: round(cpu.get(name, 0.0) * 1000 / max(messages, 1), 1) for name in ("gateway", "rasa", "actions")}


def _honcho_mb(honcho_pid: int) -> float:
    """honcho itself (the runner, not the product): its own processes, not the Procfile's."""
    pids = [honcho_pid] + [p for p in procs.process_tree().get(honcho_pid, []) if "honcho" in procs._cmdline(p)]
    return sum(procs._status_kb(p, "VmRSS") for p in pids) / 1024


def measure_level(concurrency: int, args: argparse.Namespace, urls: dict[str, str], scripts: list,
                  honcho: int, sampler: procs.RssSampler, think_s: float, seconds: float) -> dict:
    """One concurrency level: the gateway and Rasa's webhook in turn, `args.rounds` times each."""
    feeds = {target: load.Feed(scripts) for target in urls}  # both get the same messages in the same order
    results = {target: load.RunResult(target, concurrency) for target in urls}
    cpu = {target: Counter() for target in urls}
    load_before = os.getloadavg()[0]
    peak: dict[str, float] = {}
    for _ in range(args.rounds):
        for target, url in urls.items():
            before = procs.cpu_s(honcho)
            part = load.run(target, url, feeds[target], concurrency, seconds / args.rounds,
                            grace_s=args.grace_s, think_s=think_s)
            after = procs.cpu_s(honcho)
            results[target].merge(part)
            cpu[target].update({k: after.get(k, 0.0) - before.get(k, 0.0) for k in after})
            for name, value in sampler.sample().items():
                peak[name] = max(peak.get(name, 0.0), value)
    gw, rs = results["gateway"].summary(), results["rasa"].summary()
    creates = sorted(results["gateway"].create_ms)

    def ratio(q: str) -> float | None:
        return round(gw[q] / rs[q], 2) if gw[q] and rs[q] else None

    return {
        "concurrency": concurrency,
        "think_s": think_s,
        **{k: gw[k] for k in ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms", "msgs_per_s", "messages", "errors",
                              "error_kinds", "conversations")},
        "by_kind": gw["by_kind"],
        "handoffs_queued": results["gateway"].handoffs_queued,
        "outcomes": dict(results["gateway"].outcomes),
        "create_p50_ms": round(creates[len(creates) // 2], 1) if creates else None,
        **{f"rasa_{k}": rs[k] for k in ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms", "msgs_per_s",
                                        "messages", "errors", "error_kinds", "by_kind")},
        "overhead_ratio": ratio("p95_ms"),
        "overhead_ratio_p50": ratio("p50_ms"),
        # Past saturation the gateway's Rasa timeout (4 s) turns slow answers into errors while Rasa's own
        # webhook just gets slower: the latencies of the two no longer compare.
        "saturated": any(side["errors"] > 0.01 * max(side["messages"], 1) for side in (gw, rs)),
        "cpu_ms_per_msg": _per_message(cpu["gateway"], gw["messages"]),
        "rasa_cpu_ms_per_msg": _per_message(cpu["rasa"], rs["messages"]),
        "rss_mb": {k: round(v) for k, v in peak.items()},
        "loadavg_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def run_levels(args: argparse.Namespace, out: Path) -> dict:

    ports = (args.port, args.rasa_port, args.actions_port)
    busy = [p for p in ports if port_in_use(p)]
    if busy:
        raise SystemExit(f"port(s) {busy} are in use; pass --port/--rasa-port/--actions-port")
    workdir = Path(tempfile.mkdtemp(prefix="ihs-bench-stack-"))
    stack = Stack(workdir, port=args.port, rasa_port=args.rasa_port, actions_port=args.actions_port, extra_env={
        "IHS_RATE_PER_CLIENT": "1000000/minute", "IHS_RATE_PER_CONVERSATION": "1000000/minute",
        # Every confirmed handoff joins the queue (beyond queue_max it would become a call-back offer).
        "IHS_QUEUE_MAX": "1000000",
        **dict(item.split("=", 1) for item in args.env),
    })
    urls = {"gateway": stack.url, "rasa": f"http://127.0.0.1:{args.rasa_port}"}
    say(f"starting the stack (gateway :{args.port}, Rasa :{args.rasa_port}, actions :{args.actions_port}"
        + (f"; extra environment {' '.join(args.env)}" if args.env else "") + ") ...")
    sampler: procs.RssSampler | None = None
    figures: dict = {}
    try:
        started = time.monotonic()
        stack.start()
        figures["startup_s"] = round(time.monotonic() - started, 1)
        say(f"  ready after {figures['startup_s']} s")
        assert stack._process is not None
        honcho = stack._process.pid
        sampler = procs.RssSampler(honcho)
        sampler.start()
        scripts = workload.scripts(CASES, 4000)
        say("warming up ...")
        for target, url in urls.items():
            load.run(target, url, load.Feed(scripts[-100:]), 4, 4)
        figures["rss_mb_idle"] = {k: round(v) for k, v in procs.rss_mb(honcho).items()}
        sampler.reset()
        figures["levels"] = {}
        figures["stress"] = {}
        # One talent alone is the latency without load whether it pauses or not: back to back gives it
        # the samples to measure. Pauses are what make 20 or 50 open conversations realistic.
        runs = ([("levels", c, args.think_s if c > 1 else 0.0, args.seconds) for c in args.levels]
                + [("stress", c, 0.0, args.stress_seconds) for c in args.stress_levels])
        for kind, concurrency, think_s, seconds in runs:
            say(f"{'level' if kind == 'levels' else 'stress'} {concurrency}: {seconds:g} s per target in "
                f"{args.rounds} rounds (gateway, then Rasa's webhook; "
                + (f"think time {think_s * 0.5:g}-{think_s * 1.5:g} s" if think_s else "no think time") + ") ...")
            level = figures[kind][str(concurrency)] = measure_level(concurrency, args, urls, scripts, honcho,
                                                                    sampler, think_s, seconds)
            say(f"  gateway p50 {level['p50_ms']} p95 {level['p95_ms']} p99 {level['p99_ms']} ms, "
                f"{level['msgs_per_s']} msg/s, {level['errors']} errors | Rasa p50 {level['rasa_p50_ms']} "
                f"p95 {level['rasa_p95_ms']} p99 {level['rasa_p99_ms']} ms, {level['rasa_msgs_per_s']} msg/s, "
                f"{level['rasa_errors']} errors | ratio {level['overhead_ratio']}")
        if args.profile_seconds > 0:
            figures["profile"] = profile(args, out, stack, scripts)
        figures["pss_mb"] = {k: round(v) for k, v in procs.pss_mb(honcho).items()}
        sampler.sample()
        peaks = {k: round(v) for k, v in sampler.peak.items()}
        peaks["honcho"] = round(_honcho_mb(honcho))
        peaks["total"] = round(sampler.peak_total + peaks["honcho"])
        figures["rss_mb"] = peaks
    finally:
        stack.stop()
        if sampler is not None:
            sampler.stop()
        if stack.log_path.exists():
            shutil.copy2(stack.log_path, out / "stack.log")
        shutil.rmtree(workdir, ignore_errors=True)
    return figures


def profile(args: argparse.Namespace, out: Path, stack: Stack, scripts: list) -> dict:
    py_spy = ROOT / ".venv" / "bin" / "py-spy"
    if not py_spy.exists():
        say("  (py-spy is not installed in .venv: no profile)")
        return {}
    say(f"profiling at {args.profile_concurrency} concurrent conversations for {args.profile_seconds:g} s "
        f"(py-spy; these latencies are not in the figures) ...")
    running = {}
    for name in ("gateway", "actions", "rasa"):
        raw = out / f"profile-{name}.txt"
        pid = procs.largest_in_tree(process_of(stack, name))
        running[name] = (raw, procs.start_profile(py_spy, pid, raw, args.profile_seconds, rate=200))
    time.sleep(1.0)
    load.run("gateway", stack.url, load.Feed(scripts[::-1]), args.profile_concurrency, args.profile_seconds)
    result = {}
    for name, (raw, process) in running.items():
        try:
            _, err = process.communicate(timeout=args.profile_seconds + 60)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
        shown = raw.relative_to(ROOT) if raw.is_relative_to(ROOT) else raw
        result[name] = {"file": str(shown), **procs.summarise_profile(raw)}
        if process.returncode:
            result[name]["py_spy_error"] = err.strip().splitlines()[-1:] if err else []
    return result


def print_profile(profiles: dict) -> None:
    for name, summary in profiles.items():
        print()
        print(f"profile of {name} ({summary.get('samples', 0)} busy samples, {summary.get('idle_samples', 0)} "
              f"waiting; {summary.get('file')}); shares of the busy samples:")
        if summary.get("py_spy_error"):
            print(f"  py-spy: {summary['py_spy_error']}")
        print("  self time:   " + "; ".join(f"{r['share']:.0%} {r['frame']}" for r in summary.get("self", [])[:5]))
        print("  by package:  " + "; ".join(f"{r['share']:.0%} {r['frame']}" for r in summary.get("packages", [])[:6]))
        print("  inclusive:   " + "; ".join(f"{r['share']:.0%} {r['frame']}"
                                            for r in summary.get("inclusive", [])[:5]))


def run_retrieval(args: argparse.Namespace, out: Path) -> tuple[dict, dict]:
    from actions.settings import settings

    model = settings().embedding_model
    index_dir = settings().index_dir
    say(f"retrieval: Retriever.search over {args.queries} questions, indexes {args.factors} x the real one ...")
    queries = workload.retrieval_queries(CASES, args.queries)
    figures = retrieval_bench.retrieval(index_dir, model, queries, tuple(args.factors),
                                         budget_s=args.retrieval_budget, log=say)
    for factor in args.factors:
        row = figures[f"{factor}x"]
        say(f"  {factor:>3}x: search p50 {row['p50_ms']} p95 {row['p95_ms']} ms "
            f"(embedding p95 {row['embed_p95_ms']}, ranking p95 {row['rank_p95_ms']} ms)")
    build: dict = {f"{f}x": {k: figures[f"{f}x"][k] for k in ("assemble_s", "write_s", "load_s")}
                   for f in args.factors}
    clean = retrieval_bench.clean_build(model, out / "index-build.json", args.index_build, log=say)
    if clean:
        build["clean"] = clean
        say(f"  clean build of the real knowledge base (embeds all {clean['entries']} texts, {clean['threads']} "
            f"threads): {clean['seconds']} s, of which topic classifier {clean['classifier_s']} s"
            + (f" (measured {clean['measured_at']}; nothing changed since)" if clean.get("cached") else ""))
        # L-BFGS on questions x topics: each iteration grows with rows x topics (x factor^2).
        build["classifier_estimate_s"] = {f"{f}x": round(clean["classifier_s"] * f * f) for f in args.factors[1:]}
        say("  topic classifier training, extrapolated (rows x topics): " + ", ".join(
            f"{k} ~{v} s" for k, v in build["classifier_estimate_s"].items()))
    if args.index_build == "always":
        say("  incremental rebuild (no text changed) ...")
        build["incremental"] = retrieval_bench.incremental_build(index_dir, model)
        say(f"  incremental rebuild {build['incremental']['seconds']} s "
            f"(topic classifier {build['incremental']['classifier_s']} s)")
    return figures, build


def parse(argv: list[str] | None) -> argparse.Namespace:
    def numbers(text: str) -> list[int]:
        return [int(v) for v in text.split(",") if v.strip()]

    parser = argparse.ArgumentParser(prog="python -m bot.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", type=numbers, default=[1, 20, 50], help="concurrent conversations")
    parser.add_argument("--seconds", type=float, default=60, help="per level and target (gateway, Rasa)")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of gateway and Rasa per level")
    parser.add_argument("--grace-s", type=float, default=10,
                        help="after a run, how long messages in flight are awaited before they count as errors")
    parser.add_argument("--think-s", type=float, default=10.0,
                        help="a talent's mean pause before each message, reading the answer and typing the next "
                             "one (uniform between 0.5x and 1.5x); 0: back to back")
    parser.add_argument("--stress-levels", type=numbers, default=[20],
                        help="then these concurrencies back to back, with no think time: the capacity")
    parser.add_argument("--stress-seconds", type=float, default=20, help="per stress level and target")
    parser.add_argument("--profile-seconds", type=float, default=15, help="0: no py-spy profile")
    parser.add_argument("--profile-concurrency", type=int, default=20)
    parser.add_argument("--queries", type=int, default=200, help="retrieval questions per index")
    parser.add_argument("--retrieval-budget", type=float, default=60,
                        help="seconds for the retrieval questions (at least 50 are asked)")
    parser.add_argument("--factors", type=numbers, default=[1, 10, 100], help="index sizes (1 = the real one)")
    parser.add_argument("--index-build", choices=("auto", "always", "skip"), default="auto",
                        help="clean index build: auto reuses the last measurement while nothing changed")
    parser.add_argument("--skip-load", action="store_true", help="no stack: retrieval and builds only")
    parser.add_argument("--skip-retrieval", action="store_true", help="stack only")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the stack's processes (A/B runs), repeatable")
    parser.add_argument("--port", type=int, default=18500)
    parser.add_argument("--rasa-port", type=int, default=15505)
    parser.add_argument("--actions-port", type=int, default=15555)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench")
    args = parser.parse_args(argv)
    if any("=" not in item for item in args.env):
        parser.error("--env takes KEY=VALUE")
    if args.factors[0] != 1:
        parser.error("--factors must start with 1 (the real index)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    figures: dict = {"meta": {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "commit": commit,
                              "cpus": os.cpu_count(), "loadavg_at_start": [round(v, 2) for v in os.getloadavg()],
                              "args": {k: str(v) for k, v in vars(args).items()},
                              "notes": "talents pause --think-s on average before each message (levels) or not "
                                       "at all (stress); overhead_ratio = gateway p95 / Rasa webhook p95 "
                                       "(retrieval runs in the action server and is inside both)"}}
    if not args.skip_load:
        figures.update(run_levels(args, out))
    if not args.skip_retrieval:
        figures["retrieval"], figures["index_build"] = run_retrieval(args, out)
    figures["targets"] = report.targets(figures)
    figures["meta"]["duration_s"] = round(time.monotonic() - started)
    (out / "latest.json").write_text(json.dumps(figures, indent=1, ensure_ascii=False))
    if figures.get("levels"):
        report.plot(figures["levels"], out / "latency.png", figures.get("stress"))
        report.print_levels(figures["levels"], f"talents pause {args.think_s * 0.5:g}-{args.think_s * 1.5:g} s "
                            "before each message (one talent alone: back to back)" if args.think_s
                            else "no think time")
        if figures.get("stress"):
            report.print_levels(figures["stress"], "stress: no think time, each talent sends its next message "
                                "as soon as the reply arrives")
        print(f"startup {figures['startup_s']} s; resident memory (peak MB): "
              + ", ".join(f"{k} {v}" for k, v in figures["rss_mb"].items())
              + "; PSS at the end: " + ", ".join(f"{k} {v}" for k, v in figures["pss_mb"].items()))
        print_profile(figures.get("profile") or {})
    if figures.get("retrieval"):
        r = figures["retrieval"]
        print()
        print("retrieval (Retriever.search, one thread as in the action server; ms):")
        for factor in args.factors:
            row = r[f"{factor}x"]
            print(f"  {factor:>3}x {row['entries']:>7} entries {row['topics']:>5} topics: p50 {row['p50_ms']:>7} "
                  f"p95 {row['p95_ms']:>7} (ranking p95 {row['rank_p95_ms']:>7}), {row['queries']} questions; "
                  f"assemble {row['assemble_s']} s, write {row['write_s']} s, load {row['load_s']} s")
        print("  p95 ratio to the real index: " + ", ".join(
            f"{f}x {r[f'ratio_{f}x_p95']} (ranking alone {r[f'ratio_{f}x_rank_p95']})" for f in args.factors[1:]))
        clean = (figures.get("index_build") or {}).get("clean")
        if clean:
            print(f"  clean index build of the real knowledge base: {clean['seconds']} s "
                  f"(topic classifier {clean['classifier_s']} s){' [cached]' if clean.get('cached') else ''}")
    report.print_targets(figures["targets"])
    print(f"\nfigures: {out / 'latest.json'}  plot: {out / 'latency.png'}  "
          f"({figures['meta']['duration_s']} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
