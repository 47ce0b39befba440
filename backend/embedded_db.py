"""The embedded default database: SecantusDB's server as a child process on a free loopback port.

It runs in its own process: it is GPL-licensed (the project is not) and must not share the app's GIL.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

SERVER_EXECUTABLE = "secantusd-py"


class EmbeddedDatabaseError(RuntimeError):
    pass


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child: be killed when the app process dies, even by SIGKILL (Linux).

    SIGKILL, not SIGTERM: the kernel sends the parent-death signal again each time the child is
    handed to another of the dying app's threads, and the server's SIGTERM handler deadlocks when
    it is re-entered. The app dying hard is a crash either way; with sync-on-commit every
    acknowledged write is already on disk and WiredTiger recovers it at the next start.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.umask(0o077)  # the database's files are the owner's alone


RUNNING_URI_FILE = "db.uri"  # under var/: where a running app's embedded server listens, and its pid


def announce_running(var_dir: Path, uri: str, pid: int | None) -> None:
    """Tell commands run beside the app (``incubench create-user`` …) where its embedded server is."""
    path = var_dir / RUNNING_URI_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"{uri}\n{pid or ''}\n")


def _announced(var_dir: Path) -> tuple[str, str]:
    lines = (var_dir / RUNNING_URI_FILE).read_text(encoding="utf-8").splitlines()
    return (lines[0].strip() if lines else ""), (lines[1].strip() if len(lines) > 1 else "")


def withdraw_running(var_dir: Path, uri: str) -> None:
    try:
        if _announced(var_dir)[0] == uri:
            (var_dir / RUNNING_URI_FILE).unlink()
    except FileNotFoundError:
        pass


def running_server_uri(var_dir: Path) -> str | None:
    """The URI of an app's embedded server that is running on this data directory, if one answers. The
    server must still be the announced process: after a hard kill its port may belong to another server."""
    try:
        uri, pid = _announced(var_dir)
    except FileNotFoundError:
        return None
    if not uri.startswith("mongodb://127.0.0.1:") or not pid.isdigit():
        return None
    try:
        with MongoClient(uri, serverSelectionTimeoutMS=1000, connectTimeoutMS=1000) as client:
            status = client.admin.command("serverStatus")
    except PyMongoError:
        return None  # left behind by an app that was killed: the storage is free again
    return uri if str(status.get("pid")) == pid else None


def _server_command() -> list[str]:
    beside_python = Path(sys.executable).parent / SERVER_EXECUTABLE
    if beside_python.exists():
        return [str(beside_python)]
    found = shutil.which(SERVER_EXECUTABLE)
    if found is None:
        raise EmbeddedDatabaseError(
            f"{SERVER_EXECUTABLE} is not installed: run `make run` (it installs secantusdb), "
            "or set INCUBENCH_MONGODB_URI to a MongoDB server."
        )
    return [found]


def _owner_only(storage: Path) -> None:
    storage.chmod(0o700)
    for path in storage.rglob("*"):
        path.chmod(0o700 if path.is_dir() else path.stat().st_mode & 0o700)


@dataclass
class EmbeddedDatabase:
    """One SecantusDB server process. ``storage_path`` may be ``":memory:"`` for throwaway servers."""

    storage_path: str
    port: int = 0
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self, timeout: float = 30.0) -> None:
        self._spawn()
        self._await_ready(timeout)

    def _spawn(self) -> None:
        if self.port == 0:
            self.port = free_loopback_port()
        if self.storage_path != ":memory:":
            storage = Path(self.storage_path)
            storage.mkdir(mode=0o700, parents=True, exist_ok=True)
            _owner_only(storage)  # also files an older version left readable by others
        command = [*_server_command(), "--host", "127.0.0.1", "--port", str(self.port),
                   "--storage-path", self.storage_path, "--sync-on-commit", "--log-level", "WARNING"]
        log_file: Any = subprocess.DEVNULL
        if self.log_path:
            log_file = os.fdopen(os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
            os.fchmod(log_file.fileno(), 0o600)
        try:
            # Own process group: Ctrl-C in a terminal reaches the app, which stops the child itself.
            self.process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT,
                                            start_new_session=True, preexec_fn=_die_with_parent)
        finally:
            if log_file is not subprocess.DEVNULL:
                log_file.close()

    def _await_ready(self, timeout: float) -> None:
        try:
            self._wait_until_ready(timeout)
        except BaseException:
            self.stop()
            raise
        log.info("embedded database ready on port %s (storage %s)", self.port, self.storage_path)

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise EmbeddedDatabaseError(
                    f"{SERVER_EXECUTABLE} exited with code {self.process.returncode} during start-up (is another "
                    f"process using {self.storage_path}?)" + (f"; see {self.log_path}" if self.log_path else ""))
            try:
                with MongoClient(self.uri, serverSelectionTimeoutMS=500, connectTimeoutMS=500) as client:
                    client.admin.command("ping")
                    return
            except PyMongoError as error:
                last_error = error
                time.sleep(0.1)
        raise EmbeddedDatabaseError(f"{SERVER_EXECUTABLE} did not answer ping within {timeout}s: {last_error}")

    def stop(self, timeout: float = 10.0) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout)

    async def astart(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109 (a start-up deadline, not a cancel scope)
        # Spawned from the calling (main) thread: the parent-death signal follows the spawning thread.
        self._spawn()
        await asyncio.to_thread(self._await_ready, timeout)

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)
