"""The benchmark's targets, its printed tables and the plot of latency against load."""
from __future__ import annotations

from pathlib import Path

# Targets of the issue (2 cores).
P95_AT_20_MS = 300.0
OVERHEAD_RATIO = 1.5
RETRIEVAL_100X_RATIO = 1.3
RSS_TOTAL_MB = 3 * 1024


def targets(figures: dict) -> dict:
    levels = figures.get("levels", {})
    at20 = levels.get("20", {})
    result = {}
    if at20:
        result["p95_at_20_ms"] = {"value": at20.get("p95_ms"), "limit": P95_AT_20_MS}
        result["overhead_ratio_at_20"] = {"value": at20.get("overhead_ratio"), "limit": OVERHEAD_RATIO}
    ratio = (figures.get("retrieval") or {}).get("ratio_100x_p95")
    if ratio is not None:
        result["retrieval_100x_p95_ratio"] = {"value": ratio, "limit": RETRIEVAL_100X_RATIO}
    total = (figures.get("rss_mb") or {}).get("total")
    if total is not None:
        result["rss_total_mb"] = {"value": total, "limit": RSS_TOTAL_MB}
    for item in result.values():
        item["met"] = item["value"] is not None and item["value"] <= item["limit"]
    if at20.get("saturated") and "overhead_ratio_at_20" in result:
        result["overhead_ratio_at_20"].update(met=None, note="not measurable: more than 1% errors at this load")
    return result


def print_levels(levels: dict, workload: str) -> None:
    print()
    print(f"{workload}:")
    print("conversation API (gateway -> Rasa -> action server) vs Rasa's own REST webhook (-> action server),")
    print("same messages, same concurrency; overhead_ratio = gateway p95 / Rasa p95 (the gateway's own cost:")
    print("retrieval runs in the action server and is inside both)")
    head = (f"{'conc':>4} | {'p50':>7} {'p95':>7} {'p99':>7} {'msg/s':>6} {'err':>4} | "
            f"{'rasa p50':>8} {'p95':>7} {'p99':>7} {'msg/s':>6} {'err':>4} | {'ratio':>5} | "
            f"cpu ms/msg gw/rasa/act")
    print(head)
    print("-" * len(head))
    for level in levels.values():
        cpu = level.get("cpu_ms_per_msg") or {}
        print(f"{level['concurrency']:>4} | {_ms(level['p50_ms'])} {_ms(level['p95_ms'])} {_ms(level['p99_ms'])} "
              f"{level['msgs_per_s'] or 0:>6.1f} {level['errors']:>4} | "
              f"{_ms(level['rasa_p50_ms'], 8)} {_ms(level['rasa_p95_ms'])} {_ms(level['rasa_p99_ms'])} "
              f"{level['rasa_msgs_per_s'] or 0:>6.1f} {level['rasa_errors']:>4} | "
              f"{_ratio(level)} | "
              f"{cpu.get('gateway', 0):.0f}/{cpu.get('rasa', 0):.0f}/{cpu.get('actions', 0):.0f}")
    print("(latencies in ms of answered messages; msg/s answered per second; err: errors incl. the gateway's")
    print(" 'temporarily unavailable' after its 4 s Rasa timeout and messages unanswered long after the end;")
    print(" * saturated: > 1 % errors, the ratio does not compare; cpu ms/msg: CPU time per message sent,")
    print(" spent by each process during the gateway run)")


def _ratio(level: dict) -> str:
    if level.get("overhead_ratio") is None:
        return f"{'-':>5}"
    return f"{level['overhead_ratio']:>4.2f}" + ("*" if level.get("saturated") else " ")


def _ms(value: float | None, width: int = 7) -> str:
    return f"{value:>{width}.0f}" if value is not None else f"{'-':>{width}}"


def print_targets(result: dict) -> None:
    print()
    print("targets (2 cores):")
    names = {"p95_at_20_ms": "p95 at 20 concurrent conversations (ms)",
             "overhead_ratio_at_20": "gateway p95 / Rasa webhook p95 at 20",
             "retrieval_100x_p95_ratio": "retrieval p95, 100x index / real index",
             "rss_total_mb": "resident memory of all processes (MB, peak)"}
    for key, item in result.items():
        value = item["value"]
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        verdict = {True: "met", False: "NOT MET", None: "n/a"}[item["met"]]
        print(f"  {names[key]:48} {shown:>9}  <= {item['limit']:<7g} {verdict}"
              + (f" ({item['note']})" if item.get("note") else ""))


def plot(levels: dict, path: Path, stress: dict | None = None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(levels.values(), key=lambda level: level["concurrency"])
    x = [row["concurrency"] for row in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    for q, style in (("p50", "o"), ("p95", "s"), ("p99", "^")):
        left.plot(x, [row[f"{q}_ms"] for row in rows], f"-{style}", color="tab:blue", label=f"gateway {q}")
        left.plot(x, [row[f"rasa_{q}_ms"] for row in rows], f"--{style}", color="tab:orange",
                  label=f"Rasa webhook {q}")
    left.axhline(P95_AT_20_MS, color="grey", linewidth=0.8, linestyle=":", label="p95 target at 20")
    left.set_yscale("log")  # one message alone and 50 at once differ by orders of magnitude
    left.set_xlabel("concurrent conversations")
    left.set_ylabel("latency per message (ms, log scale)")
    left.set_title("End-to-end latency against load")
    left.set_xticks(x)
    left.legend(fontsize=8)
    left.grid(alpha=0.3)
    right.plot(x, [row["msgs_per_s"] for row in rows], "-o", color="tab:blue", label="gateway")
    right.plot(x, [row["rasa_msgs_per_s"] for row in rows], "--o", color="tab:orange", label="Rasa webhook")
    for row in (stress or {}).values():
        # The capacity: talents sending back to back, as against the paced levels' offered load.
        right.plot([row["concurrency"]], [row["msgs_per_s"]], "*", markersize=12, color="tab:blue",
                   label=f"gateway, {row['concurrency']} back to back")
        right.plot([row["concurrency"]], [row["rasa_msgs_per_s"]], "*", markersize=12, color="tab:orange",
                   label=f"Rasa webhook, {row['concurrency']} back to back")
    right.set_xlabel("concurrent conversations")
    right.set_ylabel("messages per second")
    paced = [row for row in rows if row.get("think_s")]
    right.set_title("Throughput" + (f" (1: back to back; others pause ~{paced[0]['think_s']:g} s)" if paced else ""))
    right.set_xticks(x)
    right.legend(fontsize=8)
    right.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
