"""The embedded database's life: start, stop without orphans, restart keeping data; configuration."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from pymongo import MongoClient

from backend.app import create_app
from backend.embedded_db import EmbeddedDatabase, EmbeddedDatabaseError, free_loopback_port
from backend.settings import ConfigurationError, Settings
from tests.waiting import until_sync

PROJECT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0): look at its state.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" not in status.read_text()


async def test_app_starts_and_stops_its_embedded_database_and_keeps_data(tmp_path):
    settings = Settings(env="test", mongodb_uri=None, var_dir=tmp_path / "var", jwt_secret=None)
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60):
        embedded = app.state.embedded_db
        pid = embedded.process.pid
        assert _alive(pid)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            health = (await http.get("/healthz")).json()
        assert health == {"status": "ok", "database": "up", "databaseKind": "embedded", "version": "0.1.0"}
        await app.state.incubench.db.notes.insert_one({"_id": "kept", "text": "survives restart"})
    assert not _alive(pid), "the database child outlived the app"
    secret = (tmp_path / "var" / "jwt_secret").read_text()
    assert len(secret) >= 40

    again = create_app(Settings(env="test", mongodb_uri=None, var_dir=tmp_path / "var", jwt_secret=None))
    async with LifespanManager(again, startup_timeout=60):
        assert await again.state.incubench.db.notes.find_one({"_id": "kept"}) == {"_id": "kept", "text": "survives restart"}
        assert again.state.incubench.settings.resolved_jwt_secret() == secret
    assert (tmp_path / "var" / "db").is_dir()


def test_child_dies_when_the_app_is_killed_hard_and_acknowledged_writes_survive(tmp_path):
    """Even SIGKILL of the app (no shutdown code runs) leaves no database process behind, and a
    write acknowledged before the kill is read back by the next server on the same storage.

    The app runs several threads on purpose: the kernel repeats the parent-death signal as the child
    is handed from one dying thread to the next, which once deadlocked the server's SIGTERM handler.
    """
    script = (
        "import sys, threading, time\n"
        "from pymongo import MongoClient, WriteConcern\n"
        "from backend.embedded_db import EmbeddedDatabase\n"
        f"db = EmbeddedDatabase(storage_path={str(tmp_path / 'db')!r})\n"
        "db.start()\n"
        "client = MongoClient(db.uri)\n"
        "notes = client.incubench.get_collection('notes', write_concern=WriteConcern(w='majority', j=True))\n"
        "notes.insert_one({'_id': 'before-crash-' + sys.argv[1]})\n"
        "for _ in range(8):\n"
        "    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n"
        "print(db.process.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    for attempt in range(3):
        app = subprocess.Popen([sys.executable, "-c", script, str(attempt)], stdout=subprocess.PIPE, cwd=PROJECT, text=True)
        child_pid = int(app.stdout.readline())
        assert _alive(child_pid)
        app.send_signal(signal.SIGKILL)
        app.wait()
        until_sync(lambda pid=child_pid: not _alive(pid), "the orphaned database to exit")

    reopened = EmbeddedDatabase(storage_path=str(tmp_path / "db"))
    reopened.start()
    try:
        with MongoClient(reopened.uri) as client:
            kept = [note["_id"] for note in client.incubench.notes.find({}, sort=[("_id", 1)])]
        assert kept == ["before-crash-0", "before-crash-1", "before-crash-2"]
    finally:
        reopened.stop()


def test_failed_start_leaves_no_process(tmp_path, monkeypatch):
    database = EmbeddedDatabase(storage_path=str(tmp_path / "db"))
    monkeypatch.setattr(EmbeddedDatabase, "_wait_until_ready",
                        lambda self, timeout: (_ for _ in ()).throw(EmbeddedDatabaseError("no ping")))
    with pytest.raises(EmbeddedDatabaseError):
        database.start()
    assert database.process is None


async def test_startup_failing_half_way_stops_the_database(tmp_path, monkeypatch):
    import backend.app as app_module

    started: list[EmbeddedDatabase] = []
    original = EmbeddedDatabase.astart

    async def remember(self, timeout=30.0):  # noqa: ASYNC109
        started.append(self)
        await original(self, timeout)

    async def broken_indexes(db):
        raise RuntimeError("index build failed")

    monkeypatch.setattr(EmbeddedDatabase, "astart", remember)
    monkeypatch.setattr(app_module, "ensure_indexes", broken_indexes)
    app = create_app(Settings(env="test", var_dir=tmp_path / "var", jwt_secret=None))
    pid_holder: list[int] = []
    original_stop = EmbeddedDatabase.stop

    def stop(self, timeout=10.0):
        if self.process is not None:
            pid_holder.append(self.process.pid)
        original_stop(self, timeout)

    monkeypatch.setattr(EmbeddedDatabase, "stop", stop)
    with pytest.raises(RuntimeError, match="index build failed"):
        async with LifespanManager(app, startup_timeout=60):
            pass
    assert started and pid_holder and not _alive(pid_holder[0])


def test_production_refuses_to_start_without_uri_and_secret():
    with pytest.raises(ConfigurationError, match="INCUBENCH_JWT_SECRET and INCUBENCH_MONGODB_URI"):
        create_app(Settings(env="production", mongodb_uri=None, jwt_secret=None))
    with pytest.raises(ConfigurationError, match="at least 32"):
        create_app(Settings(env="production", mongodb_uri="mongodb://db:27017", jwt_secret="short"))


def test_settings_read_the_environment(monkeypatch):
    monkeypatch.setenv("INCUBENCH_PORT", "9123")
    monkeypatch.setenv("INCUBENCH_DATABASE_NAME", "parkdb")
    monkeypatch.setenv("INCUBENCH_CORS_ORIGINS", '["https://park.example"]')
    settings = Settings()
    assert (settings.port, settings.database_name, settings.cors_origins) == (9123, "parkdb", ["https://park.example"])


def test_cli_create_user_and_seed_demo_are_idempotent(embedded_server, tmp_path):
    env = {**os.environ, "INCUBENCH_MONGODB_URI": embedded_server.uri, "INCUBENCH_DATABASE_NAME": "cli_test",
           "INCUBENCH_VAR_DIR": str(tmp_path), "INCUBENCH_LOG_LEVEL": "WARNING"}
    incubench = [sys.executable, "-m", "backend.cli"]
    first = subprocess.run([*incubench, "seed-demo"], env=env, capture_output=True, text=True, cwd=PROJECT, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "seeded: registry" in first.stdout
    second = subprocess.run([*incubench, "seed-demo"], env=env, capture_output=True, text=True, cwd=PROJECT, timeout=300)
    assert "nothing added" in second.stdout
    created = subprocess.run([*incubench, "create-user", "newadmin", "--role", "admin", "--password", "long-enough-1"],
                             env=env, capture_output=True, text=True, cwd=PROJECT, timeout=120)
    assert created.returncode == 0, created.stderr
    bad = subprocess.run([*incubench, "create-user", "newadmin", "--role", "manager", "--password", "x"],
                         env=env, capture_output=True, text=True, cwd=PROJECT, timeout=120)
    assert bad.returncode == 2 and "password" in bad.stderr and "incubatorId" in bad.stderr
    with MongoClient(embedded_server.uri) as client:
        db = client["cli_test"]
        assert db.incubators.count_documents({}) >= 12
        assert db.users.count_documents({"role": "manager"}) == db.incubators.count_documents({})
        assert db.users.count_documents({"username": "newadmin"}) == 1
        client.drop_database("cli_test")


def test_production_refusal_is_a_message_and_exit_code_not_a_traceback(tmp_path, monkeypatch, capsys):
    from backend import cli
    from backend.settings import get_settings

    monkeypatch.setenv("INCUBENCH_ENV", "production")
    monkeypatch.setenv("INCUBENCH_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("INCUBENCH_JWT_SECRET", raising=False)
    monkeypatch.delenv("INCUBENCH_MONGODB_URI", raising=False)
    get_settings.cache_clear()
    try:
        assert cli.main(["run"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "INCUBENCH_JWT_SECRET" in err and "INCUBENCH_MONGODB_URI" in err and "Traceback" not in err


def test_a_command_on_a_data_directory_in_use_says_so_without_a_traceback(tmp_path, monkeypatch, capsys):
    """`incubench create-user` while `make run` serves the same var/: the storage is locked; a clear message."""
    from backend import cli
    from backend.settings import get_settings

    running = EmbeddedDatabase(storage_path=str(tmp_path / "db"))
    running.start()
    try:
        monkeypatch.setenv("INCUBENCH_VAR_DIR", str(tmp_path))
        monkeypatch.delenv("INCUBENCH_MONGODB_URI", raising=False)
        get_settings.cache_clear()
        code = cli.main(["create-user", "someone", "--role", "investor", "--password", "long-enough-1"])
    finally:
        get_settings.cache_clear()
        running.stop()
    assert code == 2
    err = capsys.readouterr().err
    assert "already using this data directory" in err and "Traceback" not in err


def test_kept_jwt_secret_is_private_read_once_and_never_empty(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    (var / "jwt_secret").write_text("\n")  # e.g. truncated by a full disk: not a usable secret
    settings = Settings(env="test", mongodb_uri=None, var_dir=var, jwt_secret=None)
    secret = settings.resolved_jwt_secret()
    assert len(secret) >= 32 and (var / "jwt_secret").read_text() == secret
    assert (var / "jwt_secret").stat().st_mode & 0o077 == 0
    fresh = Settings(env="test", mongodb_uri=None, var_dir=var, jwt_secret=None)
    assert fresh.resolved_jwt_secret() == secret
    (var / "jwt_secret").unlink()
    assert fresh.resolved_jwt_secret() == secret  # kept in memory after the first read


async def test_cli_commands_use_the_running_apps_embedded_database(tmp_path):
    """`incubench create-user` while the app serves from the same var/: it joins the app's embedded server
    (its storage is locked by that server) instead of failing; once the app stops, it starts its own."""
    import asyncio
    import os

    var = tmp_path / "var"
    env = {**os.environ, "INCUBENCH_ENV": "test", "INCUBENCH_VAR_DIR": str(var),
           "INCUBENCH_JWT_SECRET": "s" * 40, "INCUBENCH_LOG_LEVEL": "WARNING"}
    env.pop("INCUBENCH_MONGODB_URI", None)

    async def create(username: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "backend.cli", "create-user", username, "--role", "evaluator",
            "--password", "a-long-password-1", cwd=PROJECT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await process.communicate()
        return process.returncode or 0, out.decode()

    app = create_app(Settings(env="test", mongodb_uri=None, var_dir=var, jwt_secret="s" * 40))
    async with LifespanManager(app, startup_timeout=60):
        assert (var / "db.uri").read_text().splitlines() == [app.state.embedded_db.uri,
                                                             str(app.state.embedded_db.process.pid)]
        assert (var / "db.uri").stat().st_mode & 0o077 == 0
        code, out = await create("while_serving")
        assert code == 0, out
        found = await app.state.incubench.users.by_username("while_serving")
        assert found is not None and found.role.value == "evaluator"
    assert not (var / "db.uri").exists()
    code, out = await create("after_stop")
    assert code == 0, out
    again = create_app(Settings(env="test", mongodb_uri=None, var_dir=var, jwt_secret="s" * 40))
    async with LifespanManager(again, startup_timeout=60):
        assert await again.state.incubench.users.by_username("after_stop") is not None


async def test_a_second_run_on_the_same_data_directory_refuses_clearly_and_seed_demo_joins(tmp_path):
    """Two `make run` on one var/: the second says so and exits 2 (no traceback), the first keeps serving
    and keeps var/db.uri; `incubench seed-demo` meanwhile seeds through the serving app's database."""
    import asyncio

    var = tmp_path / "var"
    env = {**os.environ, "INCUBENCH_ENV": "test", "INCUBENCH_VAR_DIR": str(var),
           "INCUBENCH_JWT_SECRET": "s" * 40, "INCUBENCH_LOG_LEVEL": "WARNING"}
    env.pop("INCUBENCH_MONGODB_URI", None)

    async def cli(*args: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "backend.cli", *args, cwd=PROJECT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await process.communicate()
        return process.returncode or 0, out.decode()

    app = create_app(Settings(env="test", mongodb_uri=None, var_dir=var, jwt_secret="s" * 40))
    async with LifespanManager(app, startup_timeout=60):
        announced = (var / "db.uri").read_text()
        code, out = await cli("run", "--port", str(free_loopback_port()))
        assert code == 2, out
        assert "already serving from" in out and "Traceback" not in out, out
        assert (var / "db.uri").read_text() == announced
        code, out = await cli("seed-demo")
        assert code == 0 and out.startswith("seeded: registry"), out
        state = app.state.incubench
        assert (await state.users.by_username("manager14")) is not None
        assert await state.client.admin.command("ping")


def test_a_stale_db_uri_naming_another_server_on_that_port_is_not_joined(tmp_path, embedded_server):
    """The app was killed hard (var/db.uri left behind) and its port now belongs to another server (another
    park's app, a test server): the CLI must not write this park's accounts there."""
    from backend.embedded_db import RUNNING_URI_FILE, announce_running, running_server_uri

    own = EmbeddedDatabase(storage_path=":memory:")
    own.start()
    try:
        assert own.process is not None
        announce_running(tmp_path, own.uri, own.process.pid)
        assert running_server_uri(tmp_path) == own.uri
        assert (tmp_path / RUNNING_URI_FILE).stat().st_mode & 0o077 == 0
    finally:
        own.stop()
    assert running_server_uri(tmp_path) is None  # nobody answers: free again
    stale = (tmp_path / RUNNING_URI_FILE).read_text().replace(own.uri, embedded_server.uri)
    (tmp_path / RUNNING_URI_FILE).write_text(stale)  # the port is someone else's now
    assert running_server_uri(tmp_path) is None
