"""An hour synced again after a person's commit (audit 32: time over a long run).

Found and fixed: an incremental export after the same hour was synced twice describes the
hour's first sync again, with the names the hour's last sync left (as a clean export does).
It looked for that sync back from the commit last exported and stopped at the first commit
older than the hour; a person's commit there (notify.toml edited) has only its commit time,
and from a laptop whose clock was 20 minutes behind that is before the hour: the walk stopped
on it, the first sync kept the names it had, and the rerun's export no longer equalled a
clean one. A person's commit is now passed over, as every reader of history passes it over.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from archiver.capture.files import read_capture
from archiver.export import export_parquet
from tests.archive_helpers import as_person
from tests.audit22_time_helpers import export_tables
from tests.small_captures import SMALL_DAILY, some_models, sync_small, with_models_only
from tests.test_audit22_time_gap import renamed

HOUR = datetime(2026, 11, 20, 10, tzinfo=UTC)


def test_a_rerun_of_the_hour_after_a_persons_commit_from_a_slow_clock_exports_as_a_clean_one(
    tmp_path: Path,
) -> None:
    capture = read_capture(SMALL_DAILY[0])
    capture = dataclasses.replace(
        with_models_only(capture, some_models(capture, 16, featured=1)), time=HOUR
    )
    repo, incremental = tmp_path / "archive", tmp_path / "incremental"
    assert sync_small(repo, capture).commit_id
    (repo / "notify.toml").write_text('[[watch]]\nkinds = ["price"]\n')
    as_person(repo, "add", "notify.toml")
    as_person(repo, "commit", "-q", "-m", "Watch prices", dated="2026-11-20T09:40:00Z")
    export_parquet(repo, incremental)
    # The hour again (a rerun of the scheduled job): upstream renamed every model meanwhile.
    assert sync_small(repo, renamed(capture)).commit_id
    assert not export_parquet(repo, incremental).full
    clean = tmp_path / "clean"
    export_parquet(repo, clean)
    summaries = [row["summary"] for row in export_tables(clean)["changes"]]
    assert any("Renamed " in summary for summary in summaries)
    assert export_tables(incremental) == export_tables(clean)
