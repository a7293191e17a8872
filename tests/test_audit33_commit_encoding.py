"""A person's commit in an encoding Python lacks, with a trailer, on top of the archive.

With `i18n.commitEncoding = Windows-31J` (as Japanese Windows and Java name Shift_JIS) git
records an `encoding Windows-31J` header. pygit2 decodes each trailer value strictly in
that encoding, and one that fails kills the process with SIGSEGV: a `git commit -s` made so
on top of the archive stopped every hourly sync, `notify` and `export` without a word, and
the site's sync log stopped in a LookupError traceback. The archiver writes UTF-8 (git
records no header for it), so such a commit is never one of its syncs: its trailers read
as none, as `changes` (the git CLI) already read it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from archiver.site.syncs import read_syncs
from tests.archive_helpers import as_person, git, head
from tests.small_captures import copy_archive, small_captures
from tests.small_captures import eighth_base as base

__all__ = ["base", "small_captures"]

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def archive(base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the archive with a person's signed-off commit in Windows-31J on top."""
    repo = copy_archive(base, tmp_path_factory.mktemp("encoding") / "archive")
    (repo / "notify.toml").write_text('[[watch]]\nkinds = ["price"]\n')
    as_person(repo, "add", "notify.toml")
    as_person(repo, "-c", "i18n.commitEncoding=Windows-31J", "commit", "-q", "-s", "-m", "Watch")
    assert "\nencoding Windows-31J\n" in git(repo, "cat-file", "commit", "HEAD")
    return repo


# What a sync, `notify` and `export` read first: the newest sync's trailers under HEAD.
READERS = """
import sys
from pathlib import Path
from archiver.export.plan import current_epoch
from archiver.history.commits import head_id, open_repository
from archiver.notify import newest_syncs
from tests.small_captures import small_daily, some_models, sync_small, with_models_only

repo = Path(sys.argv[1])
print(current_epoch(open_repository(repo), head_id(open_repository(repo))).isoformat())
print(len(newest_syncs(repo)))
capture = small_daily()[1]
log = sync_small(repo, with_models_only(capture, some_models(capture, 8, featured=1)))
print(log.commit_id is not None, log.failures)
"""


def test_a_sync_notify_and_export_read_past_it(archive: Path, tmp_path: Path) -> None:
    repo = copy_archive(archive, tmp_path / "archive")
    person = head(repo)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # A process of its own: a crash must not take the test runner along.
    done = subprocess.run(
        [sys.executable, "-c", READERS, str(repo)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, (done.returncode, done.stderr)
    # The export files versions under the sync's epoch; notify finds no sync at HEAD.
    assert done.stdout.splitlines() == ["2026-07-17T18:00:00+00:00", "0", "True []"]
    assert git(repo, "rev-parse", "HEAD~1").strip() == person
    epoch = git(repo, "log", "-1", "--format=%(trailers:key=Sync-Epoch,valueonly)")
    assert epoch.strip() == "2026-07-18T15:00:00Z"


def test_the_site_sync_log_leaves_it_out(archive: Path) -> None:
    records = read_syncs(archive)
    assert [record.commit for record in records] == [git(archive, "rev-parse", "HEAD~1").strip()]
