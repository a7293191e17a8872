"""Lines the CLI builds around archived or asked-for text: inert on a GitHub runner too.

`archiver site` printed each `problem:` and `note:` line as the library wrote it, and those
quote archived text: an endpoint whose model reference is unsafe is named with that
reference (`refusing model key '../x ##[add-mask]m...'`), repr-quoted, so a line break was
escaped but a `##[` was not, and the runner acts on it anywhere in a line (see
test_audit30_runner_commands). `log`, `show` and `telemetry` said "no such entity" through
click's plain error with the key (and for `telemetry` the --repo path) as given. Each is one
inert line now. Needs the `##[` escaping of textsafe.one_line (patch 1 of this audit).
A real small archive (a quarter of its models) with one hand-made sync commit, the command
line in-process.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main
from tests.archive_helpers import as_person, git
from tests.small_captures import quarter_archive as small_archive
from tests.small_captures import quarter_base as small_base
from tests.small_captures import quarter_captures as small_captures

__all__ = ["small_archive", "small_base", "small_captures"]

HOSTILE = "../x ##[add-mask]m\n::error::y\u2028##[stop-commands]t"


def _runner_commands(output: str) -> list[str]:
    """Return the lines a GitHub runner would act on: `##[` anywhere, `::` at the start."""
    lines = re.split(r"\r\n|\r|\n", output)
    return [line for line in lines if "##[" in line or line.lstrip().startswith("::")]


def test_a_site_problem_quoting_archived_text_is_one_inert_line(
    small_archive: Path, tmp_path: Path
) -> None:
    path = sorted((small_archive / "data" / "endpoint").glob("*.json"))[0]
    endpoint = json.loads(path.read_text(encoding="utf-8"))
    endpoint["model_variant_slug"] = HOSTILE
    path.write_text(json.dumps(endpoint, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    epoch = "2030-01-01T00:00:00Z"  # After the archive's syncs: read as the newest.
    as_person(small_archive, "commit", "-qam", f"Sync {epoch}", "-m", f"Sync-Epoch: {epoch}")
    assert git(small_archive, "status", "--porcelain") == ""

    out = tmp_path / "site"
    args = ["site", "--repo", str(small_archive), "--out", str(out), "--no-cache"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    problems = [line for line in result.stderr.splitlines() if "problem:" in line]
    assert len(problems) == 1 and path.name in problems[0], result.stderr
    assert _runner_commands(result.stdout + result.stderr) == []


@pytest.mark.parametrize(
    "command",
    [
        ["log", "model", "KEY"],
        ["show", "provider", "KEY"],
        ["telemetry", "endpoint", "KEY"],
        ["telemetry", "endpoint-uptime", "KEY"],
    ],
    ids=lambda command: "-".join(command[:2]),
)
def test_no_such_entity_is_one_inert_line(small_archive: Path, command: list[str]) -> None:
    key = "nope ##[add-mask]k"
    args = [key if part == "KEY" else part for part in command]
    result = CliRunner().invoke(main, [*args, "--repo", str(small_archive)])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: no ") and len(result.stderr.splitlines()) == 1
    assert _runner_commands(result.stdout + result.stderr) == []
