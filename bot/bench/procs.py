"""The stack's processes, found by walking /proc from honcho: resident memory, CPU time and py-spy."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

# How each Procfile process shows up under honcho (see Procfile): its whole subtree is counted,
# supervisor shell and Sanic's workers included.
PROCFILE_MARKERS = {"rasa": "supervise.sh rasa", "actions": "supervise.sh actions",
                    "gateway": "supervise.sh gateway", "ready": "bot.ready"}
_TICK = os.sysconf("SC_CLK_TCK")


def process_tree() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _subtree(tree: dict[int, list[int]], pid: int) -> list[int]:
    result, todo = [], [pid]
    while todo:
        current = todo.pop()
        result.append(current)
        todo += tree.get(current, [])
    return result


def procfile_groups(honcho_pid: int) -> dict[str, list[int]]:
    """Per Procfile process, the pids of its topmost process under honcho and everything below it."""
    tree = process_tree()
    groups: dict[str, list[int]] = {}
    queue = [honcho_pid]
    while queue:
        pid = queue.pop(0)
        cmd = _cmdline(pid)
        name = next((n for n, marker in PROCFILE_MARKERS.items() if marker in cmd and "honcho" not in cmd), None)
        if name and name not in groups:
            groups[name] = _subtree(tree, pid)
            continue
        queue += tree.get(pid, [])
    return groups


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, ValueError, IndexError):
        return 0.0


def rss_mb(honcho_pid: int) -> dict[str, float]:
    """VmRSS per Procfile process (subtree summed), in MB."""
    return {name: sum(_status_kb(p, "VmRSS") for p in pids) / 1024
            for name, pids in procfile_groups(honcho_pid).items()}


def pss_mb(honcho_pid: int) -> dict[str, float]:
    """Proportional set size per Procfile process: shared pages counted once across all of them."""
    return {name: sum(_pss_kb(p) for p in pids) / 1024 for name, pids in procfile_groups(honcho_pid).items()}


def cpu_s(honcho_pid: int) -> dict[str, float]:
    """User + system CPU seconds per Procfile process (living processes of its subtree)."""
    return {name: sum(_cpu_s(p) for p in pids) for name, pids in procfile_groups(honcho_pid).items()}


class RssSampler(threading.Thread):
    """Samples every process's RSS once per `interval_s`, keeping the peaks (per process and in total)."""

    def __init__(self, honcho_pid: int, interval_s: float = 1.0) -> None:
        super().__init__(daemon=True)
        self._pid = honcho_pid
        self._interval = interval_s
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self.peak: dict[str, float] = {}
        self.peak_total = 0.0

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self._interval)

    def sample(self) -> dict[str, float]:
        current = rss_mb(self._pid)
        with self._lock:
            for name, value in current.items():
                self.peak[name] = max(self.peak.get(name, 0.0), value)
            self.peak_total = max(self.peak_total, sum(current.values()))
        return current

    def reset(self) -> None:
        with self._lock:
            self.peak, self.peak_total = {}, 0.0

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


# --- py-spy -----------------------------------------------------------------------------------------

def largest_in_tree(pid: int) -> int:
    """The process of `pid`'s subtree with the most resident memory: for the action server, the Sanic
    worker that holds the model and runs the actions (the main process only manages it)."""
    return max(_subtree(process_tree(), pid), key=lambda p: _status_kb(p, "VmRSS"))


def start_profile(py_spy: Path, pid: int, out: Path, seconds: float, rate: int = 100) -> subprocess.Popen:
    """py-spy record in raw (collapsed stack) format; --nonblocking does not pause the process."""
    return subprocess.Popen(
        [str(py_spy), "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", str(rate),
         "--format", "raw", "--nonblocking", "-o", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _short(frame: str) -> str:
    """`f (pkg/mod.py:12)` → `f (pkg/mod.py)`: functions are counted across their lines. py-spy already
    writes paths relative to site-packages or the standard library."""
    name, _, where = frame.partition(" (")
    path = where.removesuffix(")").rsplit(":", 1)[0]
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    return f"{name} ({path})" if path else name


def _path(frame: str) -> str:
    return frame.partition(" (")[2].removesuffix(")")


def _package(frame: str) -> str:
    path = _path(frame)
    first = path.split("/")[0].removesuffix(".py")
    if path.startswith("<frozen") or first in sys.stdlib_module_names:
        return "stdlib:" + first.removeprefix("<frozen ").removesuffix(">")
    if first in ("bot", "actions", "nlu_components"):
        return "/".join(path.split("/")[:2]).removesuffix(".py")
    return first or frame


# Frames of the servers' and event loops' own machinery: in the inclusive view they would only say
# "the process was running", so it lists what runs below them.
_PLUMBING_PACKAGES = {"stdlib:threading", "stdlib:runpy", "stdlib:asyncio", "stdlib:concurrent", "stdlib:selectors",
                      "stdlib:multiprocessing", "uvicorn", "sanic", "starlette", "fastapi", "anyio", "aiosqlite"}
_PLUMBING_FILES = ("bot/gateway/__main__.py", "rasa_sdk/__main__.py", "rasa/__main__.py", "rasa/cli/",
                   "rasa/core/run.py", "rasa/api.py")


def _plumbing(frame: str) -> bool:
    path = _path(frame)
    return (not path.endswith(".py") or _package(frame) in _PLUMBING_PACKAGES or path.startswith(_PLUMBING_FILES)
            or frame.startswith("<module> "))


# Leaf frames of threads that wait (py-spy, not pausing the process, counts some of them as active):
# the event loop in epoll, aiosqlite's and executors' idle worker threads, queue and condition waits.
_IDLE_LEAVES = ("Runner.run (asyncio/runners.py)", "_connection_worker_thread (aiosqlite/core.py)",
                "Condition.wait (threading.py)", "_worker (concurrent/futures/thread.py)", "Queue.get (queue.py)",
                "select (selectors.py)", "_PollLikeSelector.select (selectors.py)", "EpollSelector.select (selectors.py)",
                "serve (sanic/server/runners.py)", "Connection._recv (multiprocessing/connection.py)",
                "Event.wait (threading.py)", "Thread._wait_for_tstate_lock (threading.py)")


def summarise_profile(raw: Path, top: int = 8) -> dict:
    """Self time per function and per package, and inclusive time of the frames below the servers'
    plumbing (of a chain of frames with the same time, the deepest); shares of the busy samples,
    i.e. without threads that only wait."""
    own: Counter = Counter()
    packages: Counter = Counter()
    inclusive: Counter = Counter()
    depth: dict[str, int] = {}
    total = idle = 0
    try:
        lines = raw.read_text(errors="replace").splitlines()
    except OSError:
        return {"samples": 0, "error": f"no profile at {raw}"}
    for line in lines:
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";") if " (" in f]  # drops "process …" / "thread …" roots
        if not frames:
            continue
        if frames[-1] in _IDLE_LEAVES:
            idle += count
            continue
        total += count
        own[frames[-1]] += count
        packages[_package(frames[-1])] += count
        for level, frame in enumerate(frames[:-1]):
            if not _plumbing(frame) and frame != frames[-1]:
                depth[frame] = max(depth.get(frame, 0), level)
        for frame in set(frames[:-1]) - {frames[-1]}:
            if not _plumbing(frame):
                inclusive[frame] += count
    chains: dict[int, str] = {}
    for frame, count in inclusive.items():
        if count not in chains or depth[frame] > depth[chains[count]]:
            chains[count] = frame

    def share(counter: Counter, limit: int) -> list[dict]:
        return [{"frame": k, "share": round(v / max(total, 1), 3)} for k, v in counter.most_common(limit)]

    return {"samples": total, "idle_samples": idle, "self": share(own, top), "packages": share(packages, top),
            "inclusive": share(Counter({f: c for c, f in chains.items()}), top)}
