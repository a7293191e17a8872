"""A notification cut short still ends with the link to the site's change monitor.

README (`archiver notify`): `--site-url URL` "link the site's change monitor at the end".
A sync with more matching changes than ten messages hold (a first sync, a big catalog
move) ended its last message with "(and N more changes: see the site ...)" and dropped the
one line that linked the site, exactly when the reader needed it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.history.versions import SyncChanges
from archiver.notify import MAX_MESSAGES, messages, newest_syncs, read_watch_list
from tests.small_captures import small_daily, sync_small

SITE = "https://someone.github.io/openrouter-archive/"
LINK = "Every change: https://someone.github.io/openrouter-archive/changes/index.html"


@pytest.fixture(scope="module")
def first_sync(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an archive of one small day: its sync adds every model, endpoint, provider."""
    repo = tmp_path_factory.mktemp("notify-link")
    sync_small(repo, small_daily()[0])
    return repo


def test_a_notification_cut_short_ends_with_the_site_link(first_sync: Path) -> None:
    rules = read_watch_list(first_sync / "notify.toml")  # None there: the default rule.
    texts = messages(first_sync, newest_syncs(first_sync), rules, SITE)
    assert len(texts) == MAX_MESSAGES  # Cut short: more changes than ten messages hold.
    last = texts[-1].splitlines()
    assert last[-1] == LINK
    assert last[-2].startswith("(and ") and "more changes" in last[-2]
    assert all(len(text) <= 2000 for text in texts)  # Discord's limit.


def test_a_short_notification_ends_with_the_link_once(first_sync: Path) -> None:
    rules = read_watch_list(first_sync / "notify.toml")
    (group,) = newest_syncs(first_sync)
    few = [SyncChanges(group.epoch, group.commit, group.changes[:3])]
    texts = messages(first_sync, few, rules, SITE)
    assert len(texts) == 1
    assert texts[0].splitlines()[-1] == LINK
    assert texts[0].count("Every change:") == 1
