"""`incubench run --seed-demo-if-empty` (what `make run` runs): serves, seeds once, stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from backend.embedded_db import free_loopback_port

PROJECT = Path(__file__).resolve().parents[2]


def _wait_healthy(base: str, process: subprocess.Popen[str], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else "exited"
        try:
            response = httpx.get(f"{base}/healthz", timeout=2)
            if response.status_code == 200:
                return response.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("server did not become healthy")


def _database_children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                status = (entry / "status").read_text()
            except OSError:
                continue
            if "secantusd-py" in cmdline and "zombie" not in status and str(pid) != entry.name:
                if f"PPid:\t{pid}\n" in status:
                    found.append(int(entry.name))
    return found


def _run_once(var_dir: Path) -> tuple[int, str]:
    port = free_loopback_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBENCH_")}
    env.update({"INCUBENCH_VAR_DIR": str(var_dir), "INCUBENCH_PORT": str(port), "INCUBENCH_LOG_LEVEL": "WARNING"})
    process = subprocess.Popen([sys.executable, "-m", "backend.cli", "run", "--seed-demo-if-empty"], cwd=PROJECT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        health = _wait_healthy(base, process)
        assert health["database"] == "up" and health["databaseKind"] == "embedded"
        children = _database_children(process.pid)
        assert len(children) == 1
        login = httpx.post(f"{base}/graphql", json={
            "query": 'mutation { login(username: "admin", password: "incubench-demo") { token } }'}, timeout=30).json()
        token = login["data"]["login"]["token"]
        listing = httpx.post(f"{base}/graphql", headers={"Authorization": f"Bearer {token}"}, json={
            "query": "{ incubators(first: 200) { nodes { id } } }"}, timeout=30).json()
        count = len(listing["data"]["incubators"]["nodes"])
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    for child in children:
        assert not Path(f"/proc/{child}").exists() or "zombie" in Path(f"/proc/{child}/status").read_text()
    return count, output


def test_run_serves_seeds_once_and_stops_cleanly(tmp_path):
    first_count, output = _run_once(tmp_path / "var")
    assert first_count >= 12
    for line in ("http://127.0.0.1:", "/graphql", "/healthz", "incubench-demo", "manager01", "evaluator1"):
        assert line in output
    assert "Traceback" not in output and " ERROR " not in output, output
    second_count, _ = _run_once(tmp_path / "var")
    assert second_count == first_count
