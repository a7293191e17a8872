"""Upstream text printed to a terminal by the history CLI: escaped, visible, never acted on.

An endpoint may carry unknown fields (they are archived as sent), so upstream chooses field
names as well as values. `archiver log` printed a field name raw: one holding an OSC 52
sequence wrote to the reader's clipboard, a CSI one cleared the screen. The JSON every
command prints (`show`, `log --json`, `changes --json`, `price --json`, `telemetry --format
json`) escaped C0 controls but printed C1 controls raw (U+009B is a CSI, U+009D an OSC to a
terminal that reads them), bidi overrides (they reorder the rest of the line) and line
separators. `changes` showed zero-width characters raw, so a provider named "Together"
plus a zero-width space read as Together. Now text lines show each such character as an
escape (`\\x1b`, `\\u202e`) and JSON writes it as a `\\u` escape: the same JSON value.
A real small archive, one real sync of an edited real capture, the command line in-process.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import tests.small_captures as small
from archiver.capture.files import Capture
from archiver.cli import main
from tests.archive_helpers import blob, load
from tests.small_captures import small_base, small_captures

__all__ = ["small_base", "small_captures"]

CLIPBOARD_WRITE = "\x1b]52;c;cHduZWQ=\x07"
CSI_CLEAR = "\x9b2J"
OSC_TITLE = "\x9d0;pwned\x9c"
# A field upstream invents: archived as sent, shown by `log` as a path.
HOSTILE_FIELD = f"x{CLIPBOARD_WRITE}y"
HOSTILE_VALUE = f"v{CSI_CLEAR}{OSC_TITLE}\u202eRTL\u2028\u2029\x7f"
SPOOFED_PROVIDER = "Together\u200b\u202e"
STATUS = f"down{CSI_CLEAR}"
# What no terminal line may hold raw: C0 controls but the line feed, DEL and C1 controls,
# bidi controls, line and paragraph separators, and the invisible characters of spoofing.
RAW = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff]"
)


def _hostile(endpoint: dict[str, Any]) -> dict[str, Any]:
    """Return an endpoint with hostile text in a field name, values, its provider, its status."""
    return {
        **endpoint,
        HOSTILE_FIELD: HOSTILE_VALUE,
        "provider_model_id": HOSTILE_VALUE,
        "provider_display_name": SPOOFED_PROVIDER,
        "pricing": {**endpoint["pricing"], f"web{CSI_CLEAR}": "0.001"},
        "status": STATUS,
    }


@pytest.fixture(scope="module")
def hostile_archive(
    small_base: Path, small_captures: list[Capture], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, str]]:
    """Return the small archive after one sync of a capture whose first endpoint is hostile."""
    repo = small.copy_archive(small_base, tmp_path_factory.mktemp("terminal") / "archive")
    edited, (endpoint_id,) = small.with_first_endpoints_edited(small_captures[1], [_hostile])
    assert small.sync_small(repo, edited).commit_id
    yield repo, endpoint_id


def _run(repo: Path, *args: str) -> str:
    """Run one command on the archive and return its stdout."""
    result = CliRunner().invoke(main, [*args, "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    return result.stdout


def _raw(text: str) -> list[str]:
    """Return the characters a terminal would act on or hide, as escapes."""
    return sorted({f"U+{ord(char):04X}" for char in RAW.findall(text)})


def test_log_shows_a_hostile_field_name_and_value_escaped(
    hostile_archive: tuple[Path, str],
) -> None:
    repo, endpoint_id = hostile_archive
    out = _run(repo, "log", "endpoint", endpoint_id)
    assert _raw(out) == []
    added = [line for line in out.splitlines() if "x\\x1b]52;c;cHduZWQ=" in line]
    assert len(added) == 1 and "\\u202eRTL" in added[0], out  # Visible, on its own line.


@pytest.mark.parametrize(
    "command",
    [
        ["show", "endpoint", "{id}"],
        ["log", "endpoint", "{id}", "--json"],
        ["changes", "--json"],
        ["price", "endpoint", "{id}", "--json"],
        ["telemetry", "endpoint", "{id}", "--format", "json"],
    ],
    ids=["show", "log", "changes", "price", "telemetry"],
)
def test_json_output_holds_no_raw_control_and_the_same_values(
    hostile_archive: tuple[Path, str], command: list[str]
) -> None:
    repo, endpoint_id = hostile_archive
    out = _run(repo, *[part.format(id=endpoint_id) for part in command])
    assert _raw(out) == []
    printed = json.loads(out)  # Still JSON, and the values are upstream's, exactly.
    text = json.dumps(printed, ensure_ascii=False)
    assert HOSTILE_VALUE in text or STATUS in text or f"web{CSI_CLEAR}" in text, text[:2000]
    if command[0] == "show":
        archived = load(blob(repo, "HEAD", f"data/endpoint/{endpoint_id}.json"))
        assert printed == archived


def test_changes_shows_a_spoofed_provider_name_with_its_invisible_characters(
    hostile_archive: tuple[Path, str],
) -> None:
    repo, _ = hostile_archive
    out = _run(repo, "changes")
    assert _raw(out) == []
    assert " on Together\\u200b\\u202e" in out  # Not "on Together": the spoof is visible.


def test_price_shows_a_hostile_sku_name_escaped(hostile_archive: tuple[Path, str]) -> None:
    repo, endpoint_id = hostile_archive
    out = _run(repo, "price", "endpoint", endpoint_id)
    assert _raw(out) == []
    assert "web\\x9b2J" in out
