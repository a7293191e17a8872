"""`notify --after` a commit MAX_SYNCS syncs back posts those syncs, not the newest alone.

newest_syncs walks back from HEAD to `--after`, stopping at MAX_SYNCS syncs. Stopped there,
it took the commit for one that is not an ancestor (a rewritten branch) and kept HEAD's sync
alone: the price change of the first sync after `--after` was never posted, without a word.
A real archive: a real sync with a price change, then MAX_SYNCS - 1 syncs that changed
nothing (the commits `sync --keepalive-days` makes), as git writes them.
"""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path

from archiver.capture.files import Capture
from archiver.notify import MAX_SYNCS, Rule, messages, newest_syncs
from tests.archive_helpers import PERSON_IDENTITY, head
from tests.small_captures import (
    small_archive,
    small_base,
    small_captures,
    sync_small,
    with_first_endpoints_edited,
)

__all__ = ["small_archive", "small_base", "small_captures"]  # Fixtures this module uses.


def _empty_sync(repo: Path, epoch: str) -> None:
    message = f"Sync {epoch}: nothing changed\n\nSync-Epoch: {epoch}\n"
    subprocess.run(
        ["git", "-C", str(repo), "commit", "-q", "--allow-empty", "-m", message],
        check=True,
        env={**os.environ, **PERSON_IDENTITY},
    )


def test_the_syncs_after_a_commit_max_syncs_back_are_posted(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    base = head(small_archive)
    first = small_captures[0]
    edited, _ = with_first_endpoints_edited(
        first, [lambda e: {**e, "pricing": {**e["pricing"], "prompt": "0.125"}}]
    )
    later = first.time + timedelta(hours=1)
    sync_small(small_archive, Capture(later, edited.source, "", edited.responses))
    priced = head(small_archive)
    for hour in range(2, MAX_SYNCS + 1):
        _empty_sync(
            small_archive, (first.time + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:00:00Z")
        )

    groups = newest_syncs(small_archive, base)

    assert [group.commit for group in groups] == [priced]
    text = "\n".join(messages(small_archive, groups, [Rule()]))
    assert "per M tokens" in text
