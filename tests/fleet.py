"""A fleet on loopback, for the work-pool test and bench/bench_fleet.py: a Prefect server
(`odwatch server`), the deployments of a portals.yaml on a process work pool (`odwatch
deploy --pool`) and any number of `prefect worker` processes, each its own process group.

Every wait ends on an event seen in the Prefect API or a process exit; the deadlines only
turn a hang into a failure that says what the API and the processes showed."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FleetError(AssertionError):
    pass


class Fleet:
    """Start with `with Fleet(tmp, env) as fleet:`; everything it started is stopped after."""

    def __init__(self, tmp: Path, env: dict[str, str], pool: str = "odwatch-fleet"):
        self.tmp, self.pool = tmp, pool
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
        self.env.update(env)
        self.workers: dict[str, subprocess.Popen] = {}
        self.server: subprocess.Popen | None = None
        self.api = ""

    # ------------------------------------------------------------ processes

    def __enter__(self) -> Fleet:
        home = self.tmp / "prefect-server"
        home.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.server = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "server", "--port", str(port)]
            + ["--prefect-home", str(home), "-q"],
            cwd=ROOT,
            env=self.env,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        said = [self.server.stderr.readline(), self.server.stderr.readline()]
        if "ready" not in said[-1]:
            self.__exit__()
            raise FleetError(f"the Prefect server did not start: {said}")
        threading.Thread(target=self.server.stderr.read, daemon=True).start()
        self.api = f"http://127.0.0.1:{port}/api"
        self.env["PREFECT_API_URL"] = self.api
        self.env.setdefault("PREFECT_HOME", str(self.tmp / "client-home"))
        return self

    def __exit__(self, *exc: object) -> None:
        for name in list(self.workers):
            self.kill(name, signal.SIGTERM)
        if self.server is not None:
            _end(self.server, signal.SIGTERM)

    def deploy(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "flows.cli", "deploy", "--pool", self.pool, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise FleetError(f"odwatch deploy failed: {done.stderr[-3000:]}")
        return done.stderr

    def start_worker(self, name: str, limit: int = 1) -> subprocess.Popen:
        """`prefect worker start --pool POOL --limit N` (N runs at a time), logging to a file."""
        log = self.tmp / f"worker-{name}.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
                [str(Path(sys.executable).with_name("prefect")), "worker", "start"]
                + ["--pool", self.pool, "--name", name, "--limit", str(limit)],
                cwd=self.tmp,  # not the repository: the worker finds odwatch installed
                env={"PREFECT_WORKER_QUERY_SECONDS": "1", **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a group of its own: a signal to it reaches no test
            )
        proc.log_path = log
        self.workers[name] = proc
        return proc

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Stop worker `name` and every flow run it started."""
        _end(self.workers.pop(name), sig)

    def process_tree(self, name: str) -> list:
        """Worker `name` and every process it started (psutil.Process objects)."""
        import psutil

        root = psutil.Process(self.workers[name].pid)
        return [root, *root.children(recursive=True)]

    def log(self, name: str) -> str:
        return (self.tmp / f"worker-{name}.log").read_text(errors="replace")

    # ------------------------------------------------------------ the API

    def post(self, path: str, body: dict | None = None):
        # a server busy with many runs answers 503, or not within the timeout, now and then
        for _ in range(60):
            try:
                r = requests.post(f"{self.api}{path}", json=body or {}, timeout=30)
            except requests.Timeout:
                continue
            if r.status_code != 503:
                r.raise_for_status()
                return r.json()
            time.sleep(0.5)
        r = requests.post(f"{self.api}{path}", json=body or {}, timeout=30)
        r.raise_for_status()
        return r.json()

    def get(self, path: str):
        r = requests.get(f"{self.api}{path}", timeout=30)
        r.raise_for_status()
        return r.json()

    def deployments(self) -> dict[str, str]:
        """deployment name -> id"""
        return {d["name"]: d["id"] for d in self.post("/deployments/filter")}

    def run_now(self, names: list[str]) -> list[str]:
        """One flow run of each deployment, due now; their ids."""
        ids = self.deployments()
        return [self.post(f"/deployments/{ids[n]}/create_flow_run")["id"] for n in names]

    def runs(self, ids: list[str]) -> list[dict]:
        return self.post("/flow_runs/filter", {"flow_runs": {"id": {"any_": ids}}})

    def wait(self, what: str, done, timeout: float = 600.0, poll: float = 0.5):
        """Poll `done()` (against the API) every `poll` seconds until it is truthy."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = done()
            if got:
                return got
            time.sleep(poll)
        states = [
            (r["name"], r["state_type"], r["state_name"]) for r in self.post("/flow_runs/filter")
        ]
        tails = {n: self.log(n)[-1500:] for n in self.workers}
        raise FleetError(f"{what}: not seen within {timeout:g} s; runs: {states}; workers: {tails}")

    def wait_finished(
        self, ids: list[str], timeout: float = 600.0, poll: float = 0.5
    ) -> list[dict]:
        def finished():
            runs = self.runs(ids)
            return runs if all(r["state_type"] in TERMINAL for r in runs) else None

        return self.wait(f"{len(ids)} flow runs finished", finished, timeout, poll)


def _end(proc: subprocess.Popen, sig: int) -> None:
    """Signal the process group of `proc`; then SIGKILL whatever it started that lives on:
    Prefect (3.8) starts each flow run in a session of its own, out of the group's reach."""
    import psutil

    try:
        tree = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        tree = []
    if sig == signal.SIGKILL:  # a machine gone: everything at once
        for p in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    _gone, alive = psutil.wait_procs(tree, timeout=30)
    for p in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
