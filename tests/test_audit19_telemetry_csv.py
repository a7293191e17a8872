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

from click.testing import CliRunner

from archiver.capture.files import Capture, CapturedResponse
from archiver.cli import main
from archiver.textsafe import COMMAND_PREFIXES
from tests.small_captures import small_archive, small_base, small_captures, sync_small

__all__ = ["small_archive", "small_base", "small_captures"]

ENDPOINTS = "/api/frontend/v1/stats/endpoint?"
STATUS = "\n::error::pwned\r\x1b[31m"
WEIRD_NAME = "weird\nname"


def _with_string_telemetry(capture: Capture) -> tuple[Capture, str]:
    """Return a capture whose first listed endpoint sends hostile strings as telemetry."""
    responses: list[CapturedResponse] = []
    edited = ""
    for response in capture.responses:
        items = response.body.get("data") if isinstance(response.body, dict) else None
        if not edited and response.url.startswith(ENDPOINTS) and items:
            edited = items[0]["id"]
            stats = {**(items[0].get("stats") or {}), WEIRD_NAME: "::add-mask::x"}
            first = {**items[0], "status": STATUS, "stats": stats}
            body = {**response.body, "data": [first, *items[1:]]}
            response = CapturedResponse(response.method, response.url, response.status, body)
        responses.append(response)
    assert edited
    return Capture(capture.time, capture.source, "edited", tuple(responses)), edited


def test_telemetry_csv_keeps_hostile_strings_on_their_row(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    edited, endpoint_id = _with_string_telemetry(small_captures[1])
    assert sync_small(small_archive, edited).commit_id
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
