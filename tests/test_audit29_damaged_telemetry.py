"""A telemetry day file damaged by hand is refused in one line naming it, never read wrong.

Five damages the readers took in silence: a file cut inside its last line (the cut cell read
as a value), its header line lost (the first line taken for it) or renamed (`"epoc"`), a
key cell cut (its line lost to the key), and a line that gained a tab before its epoch
(read as a line of a key named by that time, lost to its own key). Now the archive's
readers (`archiver telemetry`, every key's samples, the site's charts) and the export's
columnar reader refuse the file alike; a sync leaves the damaged file's shard unwritten
with one line saying so, whether it appends to that file or would start the next day's
from it (it appended to the cut line, rewrote the header from the damage, carried the
stray key on, or stopped with a traceback), and still syncs the entity files.
A real small archive, synced from real captures, the files damaged and committed by hand.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver import telemetry
from archiver.capture.files import Capture
from archiver.cli import main
from archiver.errors import StoreError
from archiver.export import series
from tests.archive_helpers import as_person, blob, git
from tests.small_captures import (
    copy_archive,
    small_archive,
    small_base,
    small_captures,
    sync_small,
)

__all__ = ["small_archive", "small_base", "small_captures"]

HOUR = timedelta(hours=1)

DAY = "data/telemetry/endpoint/2026/07-17"
FILE = f"{DAY}/0.tsv"
# The base archive's sync, and a second one an hour later.
FIRST, SECOND = '"2026-07-17T18:00:00Z"', '"2026-07-17T19:00:00Z"'
# A damage: (a file's text, the epoch cell of the sync whose first line it damages) ->
# (the damaged text, the key of a line it damaged).
Damage = Callable[[str, str], tuple[str, str]]


def at(capture: Capture, when: datetime) -> Capture:
    """Return a capture's responses as if fetched at another time."""
    return Capture(when, capture.source, "moved", capture.responses)


def _key(line: str) -> str:
    return str(json.loads(line.split("\t")[1]))


def _sync_line(text: str, epoch: str) -> tuple[list[str], int]:
    """Return a file's lines and the place of the first line of the sync at `epoch`."""
    lines = text.split("\n")
    return lines, next(n for n, line in enumerate(lines) if line.startswith(epoch))


def cut(text: str, epoch: str) -> tuple[str, str]:
    # The last line loses the line break and its last figure's last character.
    return text[:-2], _key(text.split("\n")[-2])


def no_header(text: str, epoch: str) -> tuple[str, str]:
    body = text.partition("\n")[2]
    return body, _key(body.split("\n")[0])


def renamed(text: str, epoch: str) -> tuple[str, str]:
    return text.replace('"epoch"', '"epoc"', 1), _key(text.split("\n")[1])


def key_cut(text: str, epoch: str) -> tuple[str, str]:
    lines, n = _sync_line(text, epoch)
    key, cells = _key(lines[n]), lines[n].split("\t")
    cells[1] = cells[1][:-1]  # The closing quote lost.
    lines[n] = "\t".join(cells)
    return "\n".join(lines), key


def tab_before_epoch(text: str, epoch: str) -> tuple[str, str]:
    lines, n = _sync_line(text, epoch)
    key, lines[n] = _key(lines[n]), "\t" + lines[n]
    return "\n".join(lines), key


DAMAGES = [cut, no_header, renamed, key_cut, tab_before_epoch]


def damage(repo: Path, how: Damage, epoch: str = SECOND) -> tuple[bytes, str]:
    """Damage FILE as a person would and commit it; return its bytes and the key of a line
    it damaged."""
    text, key = how((repo / FILE).read_text(), epoch)
    (repo / FILE).write_bytes(text.encode())
    as_person(repo, "commit", "-qam", "a hand edit")
    return text.encode(), key


@pytest.fixture(scope="module")
def two_syncs(
    tmp_path_factory: pytest.TempPathFactory, small_base: Path, small_captures: list[Capture]
) -> Path:
    """Return an archive of two syncs an hour apart on 2026-07-17 (do not write to it)."""
    repo = copy_archive(small_base, tmp_path_factory.mktemp("audit29") / "archive")
    log = sync_small(repo, at(small_captures[1], small_captures[0].time + HOUR))
    assert log.commit_id and not log.failures, log.failures
    assert SECOND in (repo / FILE).read_text()
    return repo


# -- the readers ----------------------------------------------------------------------------


@pytest.mark.parametrize("how", DAMAGES, ids=lambda how: how.__name__)
def test_every_reader_refuses_a_damaged_file_naming_it(
    two_syncs: Path, tmp_path: Path, how: Damage
) -> None:
    repo = copy_archive(two_syncs, tmp_path / "archive")
    _, key = damage(repo, how)
    path = str(repo / FILE)

    # `archiver telemetry` for a key of a damaged line: one line, exit 3.
    result = CliRunner().invoke(main, ["telemetry", "endpoint", key, "--repo", str(repo)])
    assert result.exit_code == 3, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and path in errors[0], result.output
    assert "restore it from history" in errors[0]
    # Every key's samples, and the site's charts.
    with pytest.raises(StoreError, match="is not a telemetry file") as raised:
        list(telemetry.iter_samples(repo, "endpoint"))
    assert path in str(raised.value)
    with pytest.raises(StoreError) as raised:
        telemetry.recent_endpoint_series(repo)
    assert path in str(raised.value)
    # The export's own reader of the same files agrees.
    (unit,) = series.folders(repo, "endpoint").units
    with pytest.raises(StoreError) as raised:
        series.unit_table(repo, "endpoint", unit)
    assert path in str(raised.value) and "\n" not in str(raised.value)


def test_each_keys_series_is_read_as_before(two_syncs: Path) -> None:
    # `archiver telemetry` now looks at every line holding the key's text, not only those
    # whose key cell is the key's: an endpoint's `stats/endpoint_id` holds it on its own
    # lines. Each key's series is what the reader of every key gives it.
    every: dict[str, list[dict[str, object]]] = {}
    for key, sample in telemetry.iter_samples(two_syncs, "endpoint"):
        every.setdefault(key, []).append(sample)
    keys = {_key(line) for line in (two_syncs / FILE).read_text().split("\n")[1:-1]}
    assert len(keys) > 10
    for key in keys:
        assert telemetry.endpoint_series(two_syncs, key) == every[key], key


# -- the writer -----------------------------------------------------------------------------


def _one_failure_naming(failures: list[str], path: str) -> None:
    assert len(failures) == 1, failures
    assert path in failures[0] and "restore it from history" in failures[0], failures
    assert "\n" not in failures[0]


def _changed(repo: Path, under: str) -> list[str]:
    """Return the paths under a folder that the newest commit changed or added."""
    return git(repo, "diff", "--name-only", "HEAD~1", "HEAD", "--", under).split()


@pytest.mark.parametrize("how", DAMAGES, ids=lambda how: how.__name__)
def test_a_sync_does_not_append_to_a_damaged_file(
    two_syncs: Path, tmp_path: Path, small_captures: list[Capture], how: Damage
) -> None:
    repo = copy_archive(two_syncs, tmp_path / "archive")
    damaged, _ = damage(repo, how)
    log = sync_small(repo, at(small_captures[2], small_captures[0].time + 2 * HOUR))

    assert log.commit_id  # The entity files still sync, and the other shards' telemetry.
    assert _changed(repo, "data/endpoint") and _changed(repo, DAY)
    _one_failure_naming(log.failures, FILE)
    assert blob(repo, "HEAD", FILE) == damaged  # Nothing appended to the damage.


@pytest.mark.parametrize("how", DAMAGES, ids=lambda how: how.__name__)
def test_a_new_day_is_not_started_from_a_damaged_file(
    small_archive: Path, small_captures: list[Capture], how: Damage
) -> None:
    # A day of one sync: the line that gains a tab, or loses its key's quote, is its first.
    damage(small_archive, how, FIRST)

    log = sync_small(small_archive, small_captures[1])

    assert log.commit_id and _changed(small_archive, "data/telemetry/endpoint/2026/07-18")
    _one_failure_naming(log.failures, FILE)
    # The shard's next day waits for the file's repair, rather than start without its keys.
    assert not (small_archive / "data/telemetry/endpoint/2026/07-18/0.tsv").exists()


def test_a_restored_file_is_written_again(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    damage(small_archive, cut, FIRST)
    assert sync_small(small_archive, small_captures[1]).failures
    as_person(small_archive, "checkout", "HEAD~2", "--", FILE)
    as_person(small_archive, "commit", "-qm", "restored")

    log = sync_small(small_archive, at(small_captures[2], small_captures[1].time + HOUR))

    assert not log.failures, log.failures
    assert (small_archive / "data/telemetry/endpoint/2026/07-18/0.tsv").exists()
