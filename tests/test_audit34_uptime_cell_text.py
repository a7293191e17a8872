"""An uptime cell that holds no number is no figure for the site's means either.

A sync writes an uptime as a number or `null`, but a person may edit a day file (it reads as
the grammar: one JSON value a cell). The site's hourly chart drew no point at a cell of text,
and the export's `uptime` column holds null there; the 24-hour and 30-day means took every
non-null value as a number, so `archiver site` stopped on a traceback (`could not convert
string to float`) and built nothing.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from archiver.cli import main
from archiver.site.metrics import load_metrics
from archiver.telemetry.uptime import uptime_series
from tests.archive_helpers import as_person
from tests.small_captures import SMALL_DAILY, sync_small, with_models_only
from tests.test_export import with_sources

MODEL = "z-ai/glm-5.2"


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Return an archive of one model's uptime whose newest day file a person edited (one
    cell of text, one `true`), and the endpoint whose line was edited."""
    repo = tmp_path_factory.mktemp("uptime-text") / "archive"
    log = sync_small(repo, with_models_only(with_sources(SMALL_DAILY[0]), {MODEL}))
    assert log.commit_id and not log.failures, log.failures
    day = max((repo / "data/telemetry/endpoint_uptime").glob("*/*/*.tsv"))
    head, line, *rest = day.read_text().split("\n")
    cells = line.split("\t")
    filled = [index for index, cell in enumerate(cells[2:], 2) if cell and cell != "null"]
    cells[filled[0]], cells[filled[1]] = '"n/a"', "true"
    day.write_text("\n".join([head, "\t".join(cells), *rest]))
    as_person(repo, "commit", "-qam", "uptime edited by hand")
    return repo, orjson.loads(cells[1])


def test_the_means_leave_out_a_cell_that_holds_no_number(edited: tuple[Path, str]) -> None:
    repo, endpoint = edited
    problems: list[str] = []
    metrics = load_metrics(repo, None, problems)[endpoint]
    numbers = [
        float(value)
        for _, value in uptime_series(repo, endpoint)
        if type(value) in (int, float)  # Neither "n/a" nor true is a percentage.
    ]
    assert problems == []
    assert metrics.uptime_30d == pytest.approx(sum(numbers) / len(numbers))


def test_the_site_is_built_around_it(edited: tuple[Path, str], tmp_path: Path) -> None:
    repo, _ = edited
    result = CliRunner().invoke(main, ["site", "--repo", str(repo), "--out", str(tmp_path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "index.html").is_file()
