"""Upstream text holding `##[` anywhere in a line: no GitHub Actions workflow command.

The runner reads two forms of workflow command from every line a step prints, stdout and
stderr alike: `::name::data` at the line's start (after whitespace), and the older
`##[name]data` ANYWHERE in the line (actions/runner, ActionCommand.TryParse: IndexOf("##[")).
The archiver escaped `##[` only where it started a line, so a provider named
`Acme ##[add-mask]DeepSeek` printed by `archiver changes`, `log`, `show`, `price`,
`telemetry`, `notify --dry-run` or a sync's notes and failures masked "DeepSeek" in the rest
of the job's log; `##[stop-commands]t` muted every later command, the archiver's own
`::error::` annotation included; `##[error]x` made an annotation. Now every `##[` of upstream
text is shown as `\\x23#[` in lines and as `\\u0023#[` in JSON (the same value).
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
from archiver.textsafe import json_text, one_line
from tests.archive_helpers import blob, load
from tests.small_captures import small_base, small_captures

__all__ = ["small_base", "small_captures"]

MASK = "Acme ##[add-mask]DeepSeek"
STOP = "x ##[stop-commands]tok ##[error]boom ###[warning]w"


def _hostile(endpoint: dict[str, Any]) -> dict[str, Any]:
    """Return an endpoint whose names, an unknown field, a price key and status hold `##[`."""
    return {
        **endpoint,
        "provider_display_name": MASK,
        "name": STOP,
        f"field {STOP}": MASK,
        "pricing": {**endpoint["pricing"], "web ##[debug]d": "0.001"},
        "status": "##[group]down",
    }


@pytest.fixture(scope="module")
def hostile_archive(
    small_base: Path, small_captures: list[Capture], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, str]]:
    """Return the small archive after a sync whose first endpoint holds `##[`, and its id."""
    repo = small.copy_archive(small_base, tmp_path_factory.mktemp("runner") / "archive")
    edited, (endpoint_id,) = small.with_first_endpoints_edited(small_captures[1], [_hostile])
    assert small.sync_small(repo, edited).commit_id
    yield repo, endpoint_id


def _run(*args: str) -> tuple[str, str]:
    """Run one command and return its stdout and stderr."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def _runner_commands(output: str) -> list[str]:
    """Return the lines a GitHub runner would act on: `##[` anywhere, `::` at the start."""
    lines = re.split(r"\r\n|\r|\n", output)
    return [line for line in lines if "##[" in line or line.lstrip().startswith("::")]


@pytest.mark.parametrize(
    "command",
    [
        ["changes"],
        ["log", "endpoint", "{id}"],
        ["price", "endpoint", "{id}"],
        ["telemetry", "endpoint", "{id}"],
        ["notify", "--dry-run"],
    ],
    ids=["changes", "log", "price", "telemetry-csv", "notify"],
)
def test_lines_hold_no_older_form_command(
    hostile_archive: tuple[Path, str], command: list[str]
) -> None:
    repo, endpoint_id = hostile_archive
    out, err = _run(*[part.format(id=endpoint_id) for part in command], "--repo", str(repo))
    assert _runner_commands(out + err) == []
    # Shown, escaped, not dropped.
    assert "\\x23#[" in out, out[:3000]


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
def test_json_holds_no_older_form_command_and_the_same_values(
    hostile_archive: tuple[Path, str], command: list[str]
) -> None:
    repo, endpoint_id = hostile_archive
    out, err = _run(*[part.format(id=endpoint_id) for part in command], "--repo", str(repo))
    assert _runner_commands(out + err) == []
    text = json.dumps(json.loads(out), ensure_ascii=False)
    assert "##[" in text  # The very same values, decoded.
    if command[0] == "show":
        assert json.loads(out) == load(blob(repo, "HEAD", f"data/endpoint/{endpoint_id}.json"))


@pytest.mark.parametrize("text", [MASK, STOP, "##[x]", "  ##[x]", "#" * 5 + "[", "a\n##[b]"])
def test_one_line_and_json_text_leave_no_older_form_command(text: str) -> None:
    shown = one_line(text)
    assert "##[" not in shown and one_line(shown) == shown
    encoded = json_text(json.dumps({text: [text]}))
    assert "##[" not in encoded and json.loads(encoded) == {text: [text]}
