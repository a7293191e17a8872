"""An older sync a person cherry-picks (or merges) after newer ones (audit 34: history readers).

Found and fixed: an incremental export after a person cherry-picked a sync made on another
branch, whose epoch is older than the newest sync's, no longer equalled a clean export. The
picked sync renames a model; a clean export names that model by its new name in the summary
of every change from the picked sync's epoch on, the newer syncs' included. The rerun looked
for exported syncs to describe again by walking back from the commit last exported and
stopping at the first epoch older than the new sync's: it found none, and the newer syncs'
summaries kept the old name. It now asks the history index for every exported sync at or
after that epoch, wherever it lies on the chain.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archiver.export import export_parquet
from tests.archive_helpers import as_person, git, head
from tests.audit22_time_helpers import export_tables
from tests.small_captures import (
    small_cut_at,
    sync_small,
    with_first_price_changed,
)
from tests.test_audit22_time_gap import renamed

HOUR = datetime(2026, 11, 20, 10, tzinfo=UTC)


def test_an_older_sync_picked_after_newer_ones_exports_as_a_clean_export(tmp_path: Path) -> None:
    capture = small_cut_at(HOUR)
    repriced = with_first_price_changed(capture)
    repo, incremental = tmp_path / "archive", tmp_path / "incremental"
    assert sync_small(repo, capture).commit_id
    first = head(repo)
    # 12:00: an endpoint's price moves; its change's summary names its model.
    assert sync_small(repo, dataclasses.replace(repriced, time=HOUR + timedelta(hours=2))).commit_id
    export_parquet(repo, incremental)
    # Someone synced 11:00 on a branch of their own (every model renamed) and picks it here.
    main = git(repo, "branch", "--show-current").strip()
    as_person(repo, "checkout", "-q", "-b", "other", first)
    assert sync_small(repo, dataclasses.replace(renamed(capture), time=HOUR + timedelta(hours=1)))
    picked = head(repo)
    as_person(repo, "checkout", "-q", main)
    as_person(repo, "cherry-pick", "-X", "theirs", picked)
    assert not export_parquet(repo, incremental).full
    clean = tmp_path / "clean"
    export_parquet(repo, clean)
    noon = [row for row in export_tables(clean)["changes"] if row["epoch"].hour == 12]
    assert noon and all("Renamed " in row["summary"] for row in noon)
    assert export_tables(incremental) == export_tables(clean)
