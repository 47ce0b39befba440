"""``incubench`` command line: run | seed-demo | create-user | evaluate | export-schema."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from backend.settings import Settings, get_settings


@asynccontextmanager
async def _state(settings: Settings) -> AsyncIterator[object]:
    """The app's lifespan without the server: for commands that work on the database. With no MongoDB URI
    and ``incubench run`` serving from the same data directory, they use its embedded server."""
    from backend.app import create_app
    from backend.embedded_db import running_server_uri

    if not settings.mongodb_uri:
        running = running_server_uri(settings.var_dir)
        if running is not None:
            settings = settings.model_copy(update={"mongodb_uri": running})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app.state.incubench


def _banner(settings: Settings) -> str:
    from backend.demo.seed import DEMO_PASSWORD, demo_logins

    base = f"http://{settings.host}:{settings.port}"
    lines = [
        "",
        "incubench is running / incubench 已启动",
        f"  Web pages 网页:         {base}/",
        f"  GraphiQL:               {base}/graphql",
        f"  Health 健康检查:         {base}/healthz",
        f"  WebSocket:              ws://{settings.host}:{settings.port}/ws/v1",
        f"  Demo logins 演示账号 (password 密码: {DEMO_PASSWORD}):",
    ]
    lines += [f"    {user:<28} {role}" for user, role in demo_logins()]
    lines.append("  Ctrl-C stops the server and the embedded database. 按 Ctrl-C 停止。")
    return "\n".join(lines) + "\n"


def cmd_run(args: argparse.Namespace) -> int:
    import uvicorn

    from backend.app import create_app

    settings = get_settings()
    if args.port:
        settings.port = args.port
    if not settings.mongodb_uri:
        from backend.embedded_db import running_server_uri

        if running_server_uri(settings.var_dir) is not None:
            print(f"error: incubench is already serving from {settings.var_dir} (its database is running). Stop it "
                  "(Ctrl-C), or give this one its own INCUBENCH_VAR_DIR.", file=sys.stderr)
            return 2

    async def print_banner(_: object) -> None:
        print(_banner(settings), flush=True)

    app = create_app(settings, seed_demo_if_empty=args.seed_demo_if_empty, on_ready=print_banner)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
                ws="websockets-sansio", ws_per_message_deflate=False, ws_max_size=256 * 1024, proxy_headers=False)
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from backend.demo.seed import seed_demo

    async def main() -> list[str]:
        async with _state(get_settings()) as state:
            return await seed_demo(state)  # type: ignore[arg-type]

    ran = asyncio.run(main())
    print("seeded: " + ", ".join(ran) if ran else "demo data already present: nothing added")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from backend.errors import AppError, BadUserInput
    from backend.users.models import NewUser, Role

    password = args.password or getpass.getpass("Password: ")

    async def main() -> str:
        async with _state(get_settings()) as state:
            user = await state.user_service.create_user(NewUser(  # type: ignore[attr-defined]
                username=args.username, display_name=args.display_name or args.username, role=Role(args.role),
                password=password, organisation=args.organisation or "", incubator_id=args.incubator_id,
                startup_id=args.startup_id))
            return str(user.id)

    try:
        user_id = asyncio.run(main())
    except BadUserInput as error:
        for issue in error.issues:
            print(f"error: {issue.field}: {issue.message_en} / {issue.message_zh}", file=sys.stderr)
        return 2
    except AppError as error:
        print(f"error: {error.message_en} / {error.message_zh}", file=sys.stderr)
        return 2
    print(f"created user {args.username} ({args.role}) id={user_id}")
    return 0


def cmd_export_schema(args: argparse.Namespace) -> int:
    from backend.api.schema import SDL_PATH, export_sdl

    target = Path(args.out) if args.out else SDL_PATH
    target.write_text(export_sdl(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="incubench", description="incubench: benchmark-incubator evaluation and cloud incubation")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="serve the app (starts the embedded database when INCUBENCH_MONGODB_URI is unset)")
    run.add_argument("--seed-demo-if-empty", action="store_true", help="load the demo park into an empty database")
    run.add_argument("--port", type=int, default=None)
    run.set_defaults(func=cmd_run)

    seed = sub.add_parser("seed-demo", help="load the demo park (idempotent)")
    seed.set_defaults(func=cmd_seed_demo)

    create = sub.add_parser("create-user", help="create an account")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=["admin", "evaluator", "manager", "startup", "investor", "ip_advisor"])
    create.add_argument("--password", help="prompted for when omitted")
    create.add_argument("--display-name")
    create.add_argument("--organisation")
    create.add_argument("--incubator-id")
    create.add_argument("--startup-id")
    create.set_defaults(func=cmd_create_user)

    export = sub.add_parser("export-schema", help="write graphql/schema.graphql")
    export.add_argument("--out")
    export.set_defaults(func=cmd_export_schema)

    for register in _feature_commands():
        register(sub)
    return parser


def _feature_commands() -> list[Callable[[argparse._SubParsersAction], None]]:  # type: ignore[type-arg]
    commands = []
    try:
        from backend.evaluation_report import add_evaluate_parser

        commands.append(add_evaluate_parser)
    except ImportError:
        pass
    return commands


def main(argv: list[str] | None = None) -> int:
    from backend.embedded_db import EmbeddedDatabaseError
    from backend.settings import ConfigurationError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigurationError as error:  # a setting to fix, not a crash: the message, no traceback
        print(f"error: {error}", file=sys.stderr)
        return 2
    except EmbeddedDatabaseError as error:
        print(f"error: {error}. Is `incubench run` already using this data directory? Stop it, or point "
              "INCUBENCH_MONGODB_URI at that server's database.", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
