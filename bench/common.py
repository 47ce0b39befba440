"""What every benchmark shares: quick/full mode, targets that set the exit code, an on-disk database with
sync-on-commit (as ``make run``), the app served by ``incubench run`` in its own process, and a CPU hog."""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def arguments(description: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, under a minute: checks that the script runs and reports (targets "
                             "are printed but judged only in full mode)")
    return parser


@dataclass
class Targets:
    """Targets checked in this run; ``exit_code`` is 1 when one is missed in full mode."""

    quick: bool
    results: list[tuple[str, bool, str]] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: str) -> bool:
        self.results.append((name, ok, detail))
        print(f"TARGET {'met    ' if ok else 'MISSED '} {name}: {detail}", flush=True)
        return ok

    def exit_code(self) -> int:
        missed = [name for name, ok, _ in self.results if not ok]
        if self.quick:
            print(f"quick mode: {len(self.results)} targets reported (judged only in full mode)", flush=True)
            return 0
        print(f"{len(self.results) - len(missed)} of {len(self.results)} targets met"
              + (f"; missed: {', '.join(missed)}" if missed else ""), flush=True)
        return 1 if missed else 0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    return f"p50 {statistics.median(values):7.1f} ms  p90 {pct(values, 90):7.1f} ms  p99 {pct(values, 99):7.1f} ms"


@contextlib.contextmanager
def on_disk_database() -> Iterator[str]:
    """A SecantusDB server on a temporary directory with sync-on-commit (what ``make run`` starts); its URI."""
    from backend.embedded_db import EmbeddedDatabase

    with tempfile.TemporaryDirectory(prefix="incubench-bench-") as tmp:
        server = EmbeddedDatabase(storage_path=str(Path(tmp) / "db"))
        server.start()
        try:
            yield server.uri
        finally:
            server.stop()


def free_port() -> int:
    from backend.embedded_db import free_loopback_port

    return free_loopback_port()


def wait_port(port: int, timeout: float = 120, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server for port {port} exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}")


@contextlib.contextmanager
def served_app(uri: str, database: str, secret: str, **env: str) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """``incubench run`` on a free port against ``uri`` (its own process, as in production)."""
    port = free_port()
    environment = {**os.environ, "INCUBENCH_MONGODB_URI": uri, "INCUBENCH_DATABASE_NAME": database,
                   "INCUBENCH_JWT_SECRET": secret, "INCUBENCH_ENV": "test", "INCUBENCH_LOG_LEVEL": "WARNING",
                   "INCUBENCH_VAR_DIR": tempfile.mkdtemp(prefix="incubench-bench-var-"), **env}
    process = subprocess.Popen([str(Path(sys.executable).parent / "incubench"), "run", "--port", str(port)],
                               env=environment, stdout=subprocess.DEVNULL)
    try:
        wait_port(port, process=process)
        yield port, process
    finally:
        process.terminate()
        process.wait(30)


@contextlib.contextmanager
def python_server(module: str, *args: str) -> Iterator[int]:
    """``python -m module --serve PORT args…`` (a baseline server in its own process)."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", module, "--serve", str(port), *args], cwd=ROOT)
    try:
        wait_port(port, process=process)
        yield port
    finally:
        process.terminate()
        process.wait(30)


@contextlib.contextmanager
def cpu_hog(enabled: bool = True) -> Iterator[None]:
    """One busy core beside the server (another tenant of the machine)."""
    if not enabled:
        yield
        return
    process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        process.terminate()
        process.wait(30)
