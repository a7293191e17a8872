"""A price or a telemetry figure beyond a double's range, sent once, broke history for good.

A price that moves to "1e400" made the percent of its move overflow the decimal context:
`archiver changes`, `notify` and `site` raised for every later run, since the move stays
in history. A latency of 10**400 made the site's charts raise. Both are archived exactly;
now the change reads as a price move and the site is built, the chart leaving a gap.
A real small archive (a quarter of the small captures' models: the site build, most of the
test's time, grows with them), one real sync of an edited real capture, the command line.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import tests.small_captures as small
from archiver.capture.files import Capture
from archiver.cli import main
from tests.small_captures import small_captures

__all__ = ["small_captures"]
# One catalog model in MODEL_STEP is kept.
MODEL_STEP = 4


def _with_huge_figures(capture: Capture) -> tuple[Capture, str, str]:
    """Return a capture whose first endpoint costs 1e400 a token and whose second has a
    10**400 ms latency, with those endpoints' ids."""
    edits = [
        lambda item: {**item, "pricing": {**item["pricing"], "prompt": "1e400"}},
        lambda item: {**item, "stats": {**(item.get("stats") or {}), "p50_latency": 10**400}},
    ]
    edited, (priced, slow) = small.with_first_endpoints_edited(capture, edits)
    return edited, priced, slow


def test_huge_price_and_latency_leave_changes_and_the_site_working(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    keys = small.some_models(small_captures[1], MODEL_STEP)
    repo = tmp_path / "archive"
    assert small.sync_small(repo, small.with_models_only(small_captures[0], keys)).commit_id
    edited, priced, slow = _with_huge_figures(small.with_models_only(small_captures[1], keys))
    assert small.sync_small(repo, edited).commit_id

    changes = CliRunner().invoke(main, ["changes", "--repo", str(repo), "--json"])
    out = tmp_path / "site"
    site = CliRunner().invoke(main, ["site", "--repo", str(repo), "--out", str(out)])

    assert changes.exit_code == 0, changes.output
    assert priced in changes.stdout and "e+" in changes.stdout  # The move, its percent shown.
    assert site.exit_code == 0, site.output
    assert (out / "endpoint" / f"{priced}.html").is_file()
    assert (out / "endpoint" / f"{slow}.html").is_file()
