"""docs/protocol.md documents every handled action and every error code the socket layer emits."""

from __future__ import annotations

import re
from pathlib import Path

from backend.app import SOCKET_ACTIONS
from cloud_incubator import protocol
from cloud_incubator.registry import action_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
BUILT_IN = {"auth", "ping", "pong"}


def test_every_action_has_a_section() -> None:
    actions = action_table(*SOCKET_ACTIONS)
    headings = set(re.findall(r"^### `([a-z_.]+)`", DOC.read_text(encoding="utf-8"), flags=re.M))
    missing = sorted((set(actions) | BUILT_IN) - headings)
    assert not missing, f"add a '### `name`' section to docs/protocol.md for: {missing}"


def test_every_gateway_error_and_close_code_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for code in protocol.ERROR_CODES:
        assert f"`{code}`" in text, code
    for code in protocol.CLOSE_CODES:
        assert str(code) in text, code


def test_every_room_error_code_is_documented() -> None:
    source = (Path(protocol.__file__).parent / "rooms" / "actions.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'ProtocolError\("([a-z_.]+)"', source))
    codes |= {f"{prefix}.{suffix}" for prefix in ("chat", "qa") for suffix in ("empty", "too_long")}
    text = DOC.read_text(encoding="utf-8")
    assert codes and not sorted(c for c in codes if f"`{c}`" not in text)
