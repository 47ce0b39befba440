"""The pages' two dictionaries have the same keys, no empty text, and every key the pages use exists."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "frontend_static"
DICTS = {lang: json.loads((STATIC / "js" / "i18n" / f"{lang}.json").read_text(encoding="utf-8")) for lang in ("zh", "en")}
# The pages' own sources (third-party files under vendor/ are not ours to scan).
SOURCES = sorted(p for p in [*STATIC.rglob("*.js"), *STATIC.rglob("*.html")]
                 if p.is_file() and "vendor" not in p.relative_to(STATIC).parts)
LITERAL = re.compile(r"""(?<!tk\()['"`]([a-z][A-Za-z]*(?:\.[A-Za-z0-9_]+)+)['"`]""")
ATTRIBUTE = re.compile(r"""data-i18n(?:-placeholder|-aria|-title)?=["']([^"']+)["']""")
CJK = re.compile(r"[\u4e00-\u9fff]")


def used_keys() -> dict[str, set[str]]:
    namespaces = {key.split(".")[0] for key in DICTS["zh"]}
    used: dict[str, set[str]] = {}
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        found = set(ATTRIBUTE.findall(text))
        found |= {k for k in LITERAL.findall(text) if k.split(".")[0] in namespaces}
        for key in found:
            used.setdefault(key, set()).add(str(path.relative_to(ROOT)))
    return used


def test_both_dictionaries_have_the_same_keys():
    assert set(DICTS["zh"]) - set(DICTS["en"]) == set(), "keys missing from en.json"
    assert set(DICTS["en"]) - set(DICTS["zh"]) == set(), "keys missing from zh.json"


def test_every_text_is_filled_and_the_english_one_is_not_chinese():
    for lang, entries in DICTS.items():
        assert [k for k, v in entries.items() if not v.strip()] == [], lang
    assert [k for k, v in DICTS["en"].items() if CJK.search(v) and k not in ("lang.zh",)] == []


def test_placeholders_match_between_languages():
    for key, zh in DICTS["zh"].items():
        assert set(re.findall(r"\{(\w+)\}", zh)) == set(re.findall(r"\{(\w+)\}", DICTS["en"][key])), key


def test_pages_use_no_key_missing_from_the_dictionaries():
    used = used_keys()
    assert len(used) > 50, "the scan found the pages' keys"
    missing = {k: sorted(v) for k, v in used.items() if k not in DICTS["zh"]}
    assert missing == {}


def test_every_prefix_of_a_built_key_has_entries():
    prefixes = {m for path in SOURCES for m in re.findall(r"""tk\(['"]([\w.]+)['"]""", path.read_text(encoding="utf-8"))}
    assert prefixes
    assert [p for p in prefixes if not any(k.startswith(p + ".") for k in DICTS["zh"])] == []


@pytest.mark.parametrize("prefix,values", [
    ("role", re.findall(r"^\s+(\w+)\s*=", (ROOT / "backend/users/models.py").read_text().split("class Role")[1]
                        .split("class ")[0], re.M)),
    ("dimension", [d["id"] for d in tomllib.loads((ROOT / "evaluation/schemes/default.toml").read_text())["dimensions"]]),
    ("error", ["UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "RATE_LIMITED", "BAD_USER_INPUT", "INTERNAL"]),
])
def test_keys_built_from_server_values_exist(prefix: str, values: list[str]):
    assert values
    normalise = str.upper if prefix == "role" else str
    assert [v for v in values if f"{prefix}.{normalise(v)}" not in DICTS["zh"]] == []


def test_error_codes_raised_by_the_server_have_messages():
    """Every `code = "..."` of an AppError subclass, and every `_coded("...")` error, in backend/ and
    cloud_incubator/ has a dictionary message."""
    codes = set()
    for path in [*(ROOT / "backend").rglob("*.py"), *(ROOT / "cloud_incubator").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'^\s+code(?::\s*ClassVar\[str\])?\s*=\s*"([A-Z_]+)"', text, re.M))
        codes |= set(re.findall(r'_coded\("([A-Z_]+)"', text))
    assert codes
    assert sorted(c for c in codes if f"error.{c}" not in DICTS["zh"]) == []


def test_pages_hold_no_chinese_text_of_their_own():
    """Every Chinese word on a page comes from zh.json (so the English page has none)."""
    offenders = [str(p.relative_to(ROOT)) for p in SOURCES if CJK.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_forms_consistency_rules_are_the_schemes():
    """js/constraints.js mirrors the scheme's [[constraints]]; each rule's message is the server's message."""
    from backend.submissions.models import camel

    rules = tomllib.loads((ROOT / "evaluation/schemes/default.toml").read_text(encoding="utf-8"))["constraints"]
    mirrored = re.findall(r"\{ left: '(\w+)', op: '([<>=]+)', right: '(\w+)' \}",
                          (STATIC / "js" / "constraints.js").read_text(encoding="utf-8"))
    assert mirrored == [(camel(r["left"]), r["op"], camel(r["right"])) for r in rules]
    for r in rules:
        key = f"submit.constraint.{camel(r['left'])}"
        assert (DICTS["zh"][key], DICTS["en"][key]) == (r["message_zh"] + "。", r["message_en"] + ".")


def test_every_unit_of_the_scheme_has_a_text_in_both_languages():
    """Units are stored in Chinese in the scheme ("件/10家"); the pages show them through `unit.<unit>` keys."""
    scheme = tomllib.loads((ROOT / "evaluation/schemes/default.toml").read_text(encoding="utf-8"))
    units = {entry["unit"] for section in ("raw_fields", "indicators") for entry in scheme[section]}
    assert units
    for lang in ("zh", "en"):
        assert sorted(u for u in units if f"unit.{u}" not in DICTS[lang]) == [], lang
    assert all(not re.search(r"[\u4e00-\u9fff]", DICTS["en"][f"unit.{u}"]) for u in units)
