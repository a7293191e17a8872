"""`archiver telemetry` CSV: an upstream string with a line break stays inside its row.

Telemetry figures are numbers by nature, but a string one is kept as sent. Quoted in the
CSV, its line break started a new line on the terminal or in a CI log, so
`"\\n::error::x"` printed a line `::error::x`: a GitHub workflow command. The CSV now
shows it escaped, one row per sample; `--format json` keeps it exactly. A real small
archive, one real sync of an edited real capture, the command line in-process.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

import tests.small_captures as small
from archiver.capture.files import Capture
from archiver.cli import main
from archiver.textsafe import COMMAND_PREFIXES
from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]

STATUS = "\n::error::pwned\r\x1b[31m"
WEIRD_NAME = "weird\nname"


def _hostile_strings(endpoint: dict[str, Any]) -> dict[str, Any]:
    """Return an endpoint sending hostile strings as telemetry."""
    stats = {**(endpoint.get("stats") or {}), WEIRD_NAME: "::add-mask::x"}
    return {**endpoint, "status": STATUS, "stats": stats}


def test_telemetry_csv_keeps_hostile_strings_on_their_row(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    edited, (endpoint_id,) = small.with_first_endpoints_edited(
        small_captures[1], [_hostile_strings]
    )
    assert small.sync_small(small_archive, edited).commit_id
    command = ["telemetry", "endpoint", endpoint_id, "--repo", str(small_archive)]

    as_json = CliRunner().invoke(main, [*command, "--format", "json"])
    as_csv = CliRunner().invoke(main, command)

    assert as_json.exit_code == 0 and as_csv.exit_code == 0, as_csv.output
    samples = json.loads(as_json.stdout)
    assert samples[-1]["status"] == STATUS  # The data itself is kept exactly.
    lines = as_csv.stdout.splitlines()
    assert len(lines) == 1 + len(samples)  # A header, then one line per sample.
    assert not [line for line in lines if line.lstrip().startswith(COMMAND_PREFIXES)]
    assert "\x1b" not in as_csv.stdout and "\r" not in as_csv.stdout
    assert "\\n::error::pwned" in lines[-1]
    assert "weird\\nname" in lines[0]
