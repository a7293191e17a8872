"""A run that posts several syncs posts them in the order they happened, oldest first.

`archiver notify --after` posts every sync after a commit; it posted them newest first, so
the chat (which reads downwards, each run's message under the last) showed a later sync
above an earlier one. A real archive with two syncs after the base, each a price change.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from archiver.capture.files import Capture
from archiver.notify import Rule, messages, newest_syncs
from archiver.times import format_epoch
from tests.archive_helpers import head
from tests.small_captures import (
    small_archive,
    small_base,
    small_captures,
    sync_small,
    with_first_endpoints_edited,
)

__all__ = ["small_archive", "small_base", "small_captures"]  # Fixtures this module uses.


def _priced(prompt: str) -> Any:
    return lambda endpoint: {**endpoint, "pricing": {**endpoint["pricing"], "prompt": prompt}}


def test_two_syncs_are_posted_oldest_first(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    base = head(small_archive)
    first = small_captures[0]
    hours = [first.time + timedelta(hours=n) for n in (1, 2)]
    for hour, prompt in zip(hours, ("0.125", "0.25"), strict=True):
        edited, _ = with_first_endpoints_edited(first, [_priced(prompt)])
        sync_small(small_archive, Capture(hour, edited.source, "", edited.responses))

    text = "\n".join(messages(small_archive, newest_syncs(small_archive, base), [Rule()]))

    earlier, later = (format_epoch(hour.replace(minute=0, second=0)) for hour in hours)
    assert earlier in text and later in text
    assert text.index(earlier) < text.index(later)
