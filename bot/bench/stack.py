"""Starting the real product (Rasa, action server, gateway) on ports of its own: for the benchmark and the
end-to-end tests."""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from bot.bench.procs import process_tree

ROOT = Path(__file__).resolve().parents[2]


class Stack:
    """The processes of the Procfile, on ports of their own, with a store of their own."""

    def __init__(self, workdir: Path, port: int = 18000, rasa_port: int = 15005, actions_port: int = 15055,
                 extra_env: dict[str, str] | None = None) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = workdir / "stack.log"
        self.env = {
            **os.environ,
            "IHS_PORT": str(port),
            "RASA_PORT": str(rasa_port),
            "ACTIONS_PORT": str(actions_port),
            "IHS_RASA_URL": f"http://127.0.0.1:{rasa_port}",
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
            "IHS_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'gateway.db'}",
            "RASA_TOKEN": secrets.token_hex(16),
            "RASA_TRACKER_DB": str(workdir / "rasa-tracker.db"),
            # Browsers and other stacks share 2 cores during the tests; the product's 4 s would turn a
            # slow moment into an "unavailable" reply that no assertion is about. Faults are refused
            # connections, which are immediate whatever this is.
            "IHS_RASA_TIMEOUT_S": "10",
            # Every test talent comes from 127.0.0.1: on a quiet machine the suite opens more than the
            # product's 600 conversations a minute per address. The limit itself is tested in-process.
            "IHS_RATE_PER_CLIENT": "100000/minute",
            "RASA_TELEMETRY_ENABLED": "false",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.env["IHS_RASA_TOKEN"] = self.env["RASA_TOKEN"]
        self.ports = {"gateway": port, "rasa": rasa_port, "actions": actions_port}
        self._process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 300) -> None:
        # A stack left running by an interrupted run would answer in this one's place (its readiness
        # line is not this stack's, but its Rasa and gateway are on these ports): refuse at once.
        busy = {name: port for name, port in self.ports.items() if port_in_use(port)}
        if busy:
            raise RuntimeError(f"ports already in use: {busy}; stop what listens there (a stack left over from "
                               "an interrupted run?) or set IHS_TEST_PORT_OFFSET")
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "honcho"), "start", "-f", "Procfile"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the stack exited early; see {self.log_path}:\n{self.log_tail()}")
            # `bot.ready` prints this once Rasa has its model and the action server is warm, which is
            # what `make run` promises the operator.
            if "ready after" in self.log_tail(400):
                httpx.get(f"{self.url}/api/v1/health", timeout=5).raise_for_status()
                return
            time.sleep(1)
        self.stop()
        raise RuntimeError(f"the stack was not ready after {timeout_s} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGINT)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def process_of(stack: Stack, name: str) -> int:
    """The pid of the running program (not its supervisor) of one Procfile process: rasa, actions, gateway."""
    marker = {"rasa": "rasa_plugins run", "actions": "rasa_sdk", "gateway": "bot.gateway"}[name]
    assert stack._process is not None
    tree, todo = process_tree(), [stack._process.pid]
    while todo:
        pid = todo.pop()
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if Path(argv[0].decode()).name.startswith("python") and marker in b" ".join(argv).decode():
            return pid
        todo += tree.get(pid, [])
    raise LookupError(f"no running {name} process under the stack")


def kill_tree(pid: int) -> None:
    """SIGKILL a program and everything it started, as a crash of the machine's OOM killer would."""
    tree, todo, victims = process_tree(), [pid], []
    while todo:
        current = todo.pop()
        victims.append(current)
        todo += tree.get(current, [])
    for victim in victims:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass
