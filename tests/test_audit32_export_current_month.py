"""The export's current month under a person's commit dated ahead (audit 32: time over a
long run).

Found and fixed: the export filed the versions still in force in the month of HEAD's epoch;
for a person's commit on top of the syncs (notify.toml edited: no Sync-Epoch) that is its
commit time, which any clock may have set. Dated a month ahead, every version in force went
to that month's partition (README: "a version still in force: in the month of the newest
sync"), and the manifest named it the current month, so `export-release` handed off every
month of real history as older than the last two. They are now filed by the newest sync's
epoch.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import orjson

from archiver.capture.files import read_capture
from archiver.export import export_parquet
from archiver.export.months import month_of
from archiver.times import parse_time
from tests.archive_helpers import as_person, git
from tests.audit22_time_helpers import export_tables, months
from tests.small_captures import SMALL_DAILY, some_models, sync_small, with_models_only

LAST_OF_JULY = datetime(2026, 7, 31, 23, tzinfo=UTC)
FIRST_OF_AUGUST = datetime(2026, 8, 1, 0, tzinfo=UTC)


def newest_sync_epoch(repo: Path) -> datetime:
    """Return the newest Sync-Epoch trailer on HEAD's line, as git prints it."""
    epochs = git(repo, "log", "--first-parent", "--format=%(trailers:key=Sync-Epoch,valueonly)")
    return parse_time(epochs.split()[0])


def test_versions_in_force_go_to_the_newest_syncs_month_whatever_a_persons_clock_said(
    tmp_path: Path,
) -> None:
    first, second = (read_capture(path) for path in SMALL_DAILY[:2])
    keys = some_models(first, 16, featured=1)
    repo = tmp_path / "archive"
    assert sync_small(repo, dataclasses.replace(with_models_only(first, keys), time=LAST_OF_JULY))
    (repo / "notify.toml").write_text('[[watch]]\nkinds = ["price"]\n')
    as_person(repo, "add", "notify.toml")
    as_person(repo, "commit", "-q", "-m", "Watch prices", dated="2026-09-02T10:00:00Z")
    incremental = tmp_path / "incremental"
    export_parquet(repo, incremental)
    expected = month_of(newest_sync_epoch(repo))
    assert expected == "2026-07"
    manifest = orjson.loads((incremental / "manifest.json").read_bytes())
    assert manifest["current_month"] == expected
    for table in ("endpoints", "models", "providers"):
        assert months(incremental, table) == [expected], table
    # The next hour's sync, on top: an incremental export equals a clean one.
    later = dataclasses.replace(with_models_only(second, keys), time=FIRST_OF_AUGUST)
    assert sync_small(repo, later).commit_id
    assert not export_parquet(repo, incremental).full
    clean = tmp_path / "clean"
    export_parquet(repo, clean)
    assert export_tables(incremental) == export_tables(clean)
    in_force = [row for row in export_tables(clean)["endpoints"] if row["valid_to"] is None]
    assert in_force and {row["month"] for row in in_force} == {"2026-08"}
