"""A sync commit given a second Sync-Epoch trailer by hand (audit 34: history readers).

Found and fixed: a person who corrects a sync's epoch with `git commit --amend --trailer
"Sync-Epoch: ..."` leaves two Sync-Epoch trailers, the sync's own and theirs below it. The
history index took the first (git log lists both), pygit2 the last (the sync log, notify, the
export's plan): `archiver log` dated the sync's changes an hour before the site's sync log
did, and `archiver notify` asked the index for the changes at the later epoch, found none,
and posted nothing for that sync. The index now takes the last, as the others do.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archiver.history.versions import changes
from archiver.notify import newest_syncs
from archiver.site.syncs import read_syncs
from tests.archive_helpers import as_person, head
from tests.small_captures import (
    small_cut_at,
    sync_small,
    with_first_price_changed,
)

HOUR = datetime(2026, 11, 20, 10, tzinfo=UTC)


def test_a_second_epoch_trailer_dates_the_sync_alike_in_every_reader(tmp_path: Path) -> None:
    capture = small_cut_at(HOUR)
    repriced = with_first_price_changed(capture)
    repo = tmp_path / "archive"
    assert sync_small(repo, capture).commit_id
    assert sync_small(repo, dataclasses.replace(repriced, time=HOUR + timedelta(hours=1)))
    corrected = HOUR + timedelta(hours=2)
    as_person(repo, "commit", "-q", "--amend", "--no-edit", "--trailer", "Sync-Epoch: "
              + corrected.strftime("%Y-%m-%dT%H:%M:%SZ"))  # fmt: skip
    newest = head(repo)
    assert read_syncs(repo)[0].epoch == corrected
    told = changes(repo)[0]
    assert (told.commit, told.epoch) == (newest, corrected)
    posted = newest_syncs(repo)
    assert [group.commit for group in posted] == [newest]
    assert posted[0].changes
