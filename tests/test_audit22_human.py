"""People working in the archive by hand, then the next sync, then every reader.

The archive is a git repository people also use: they fix a file by hand, add or delete
files under data/, re-save a file in their editor (CRLF, a byte order mark, another indent,
keys reordered), revert a sync, amend a sync commit. What users expect where SPEC.md is
silent:

- the next sync puts back what upstream says (the bytes a clean archive holds);
- entity histories tell what upstream said, sync by sync: a person's commit (no
  Sync-Epoch) is left out of them alike in `log`, `changes`, `price`, the site and the
  export, and each sync's change is taken against the file as the previous sync left it.
  So the sync that puts back upstream's data after a hand edit or a revert tells nothing,
  and after a revert the next sync's changes equal a clean archive's (`git log` still
  shows the person's commit);
- a file saved with a byte order mark is the same JSON (RFC 8259 lets readers skip it);
- a file cut short by hand (not JSON) stays until a listing shows its entity, then is
  rewritten: which listing owns it cannot be read, so a sync never removes it on a guess;
- a file that is not an entity, committed inside a sync (an amend keeps the trailers),
  costs its own change: `changes` lists the rest and says in one line which commit wrote
  it (never the sync that replaced it: reverting that sync would bring the file back);
- an incremental export whose head was amended away exports in full, equal to a fresh one.

Before: a hand edit showed as a version at the person's clock time and the restoring sync
as an upstream change (`pricing.prompt: "0.5" -> "0.000007"`); a reverted sync showed as
a sync dated when it was reverted, and the next sync removed and brought back again what
the revert had undone; a BOM file made `show` and the site fail until the next sync, and
`log`, `price` and `changes` exit 3 for good; one bad file made `changes` exit 3 and blamed
the sync that removed it; a file cut short was deleted by a sync whose listing of it
failed (a removal upstream never made, and a "returned" the next sync). Real small
archives (a quarter of the catalog; a third of that for the site builds), synced in process,
the command line run in this process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner, Result

from archiver import jsonvalue
from archiver.canonical import canonical_bytes
from archiver.capture.files import Capture
from archiver.cli import main
from archiver.site import build_site
from tests.archive_helpers import git
from tests.site_helpers import built_at
from tests.small_captures import (
    copy_archive,
    small_captures,
    some_models,
    sync_small,
    with_models_only,
)

__all__ = ["small_captures"]

PERSON = {
    "GIT_AUTHOR_NAME": "Ann Editor",
    "GIT_AUTHOR_EMAIL": "ann@example.org",
    "GIT_COMMITTER_NAME": "Ann Editor",
    "GIT_COMMITTER_EMAIL": "ann@example.org",
    "GIT_AUTHOR_DATE": "2026-07-18T10:00:00Z",
    "GIT_COMMITTER_DATE": "2026-07-18T10:00:00Z",
}


@pytest.fixture(scope="module")
def quarter(small_captures: list[Capture]) -> list[Capture]:
    """The three small captures cut to a quarter of the catalog."""
    keys = some_models(small_captures[0], 4, featured=2)
    return [with_models_only(capture, keys) for capture in small_captures]


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory, quarter: list[Capture]) -> list[Path]:
    """Clean archives after the first and after the second capture (read only)."""
    first = tmp_path_factory.mktemp("human-1") / "archive"
    assert not sync_small(first, quarter[0]).failures
    second = copy_archive(first, tmp_path_factory.mktemp("human-2") / "archive")
    assert not sync_small(second, quarter[1]).failures
    return [first, second]


def _endpoint(repo: Path) -> str:
    """Return the path of an endpoint file the second capture leaves unchanged."""
    path = "data/endpoint/0201e32d-e7d4-4307-850a-67c239dd2ba9.json"
    assert (repo / path).is_file(), "the small captures changed: pick another endpoint"
    return path


def _commit_by_hand(repo: Path, message: str) -> str:
    """Commit everything in the work tree as a person would (no Sync-Epoch); return its id."""
    env = {**os.environ, **PERSON}
    for args in (["add", "-A", "data"], ["commit", "-q", "-m", message]):
        subprocess.run(["git", "-C", str(repo), *args], env=env, check=True)
    return git(repo, "rev-parse", "HEAD").strip()


def _run(repo: Path, *args: str) -> Result:
    """Run one CLI command on repo; assert it raised nothing but its exit."""
    result = CliRunner().invoke(main, [*args, "--repo", str(repo)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def _resaved(tmp_path: Path, synced: list[Path], quarter: list[Capture], text: bytes) -> Path:
    """Return the first archive with the endpoint re-saved by hand as text, then synced."""
    repo = copy_archive(synced[0], tmp_path / "archive")
    (repo / _endpoint(repo)).write_bytes(text)
    _commit_by_hand(repo, "Re-save an endpoint in my editor")
    sync_small(repo, quarter[1])
    return repo


def _resaves(repo: Path) -> dict[str, bytes]:
    """Return the endpoint file saved by hand in each form people's editors write."""
    canonical = (repo / _endpoint(repo)).read_bytes()
    value = json.loads(canonical)
    return {
        "crlf-bom": b"\xef\xbb\xbf" + canonical.replace(b"\n", b"\r\n"),
        "reindented": json.dumps(value, indent=4).encode(),
        "keys-reordered": json.dumps(dict(reversed(list(value.items()))), indent=2).encode(),
    }


@pytest.mark.parametrize("form", ["crlf-bom", "reindented", "keys-reordered"])
def test_a_file_resaved_by_hand_is_the_same_entity_to_every_reader(
    tmp_path: Path, synced: list[Path], quarter: list[Capture], form: str
) -> None:
    repo = _resaved(tmp_path, synced, quarter, _resaves(synced[0])[form])
    path = _endpoint(repo)
    key = Path(path).stem

    assert (repo / path).read_bytes() == (synced[1] / path).read_bytes()  # Restored.
    log = _run(repo, "log", "endpoint", key)
    assert log.exit_code == 0, log.output
    assert [line.split()[1] for line in log.output.splitlines() if line[:1].isdigit()] == ["added"]
    assert _changes_by_epoch(repo) == _changes_by_epoch(synced[1])
    price = _run(repo, "price", "endpoint", key)
    assert price.exit_code == 0, price.output


def test_a_file_saved_with_a_byte_order_mark_reads_before_the_next_sync(
    tmp_path: Path, synced: list[Path]
) -> None:
    repo = copy_archive(synced[0], tmp_path / "archive")
    path = _endpoint(repo)
    (repo / path).write_bytes(_resaves(repo)["crlf-bom"])
    _commit_by_hand(repo, "Re-save an endpoint in my editor")

    show = _run(repo, "show", "endpoint", Path(path).stem)
    assert show.exit_code == 0, show.output
    assert json.loads(show.output) == json.loads((synced[0] / path).read_bytes())
    site = _run(repo, "site", "--out", str(tmp_path / "site"))
    assert site.exit_code == 0, site.output


def test_a_file_cut_by_hand_stays_while_its_listing_fails_then_is_rewritten(
    tmp_path: Path, synced: list[Path], quarter: list[Capture]
) -> None:
    repo = copy_archive(synced[0], tmp_path / "archive")
    path = _endpoint(repo)
    (repo / path).write_bytes((synced[0] / path).read_bytes()[:200])
    _commit_by_hand(repo, "Oops: a file cut short")
    model = json.loads((synced[0] / path).read_bytes())["model_variant_slug"]
    listing = f"/api/frontend/v1/stats/endpoint?permaslug={quote(model, safe='')}&"
    failing = [r for r in quarter[1].responses if not r.url.startswith(listing)]
    assert len(failing) == len(quarter[1].responses) - 1

    log = sync_small(repo, Capture(quarter[1].time, "test", "listing lost", tuple(failing)))

    # Before, the sync deleted it: a removal upstream never made, a "returned" the next hour.
    assert (repo / path).is_file() and any(path in note for note in log.notes), log.notes
    sync_small(repo, quarter[2])
    assert (repo / path).read_bytes() == json_bytes(repo, path)
    versions = _run(repo, "log", "endpoint", Path(path).stem).output
    assert "removed" not in versions and "returned" not in versions, versions


def json_bytes(repo: Path, path: str) -> bytes:
    """Return a file's canonical bytes: the archive's own writing of the JSON it holds."""
    return canonical_bytes(jsonvalue.loads((repo / path).read_bytes()))


def test_a_bad_file_added_by_hand_is_no_change_and_the_sync_removes_it(
    tmp_path: Path, synced: list[Path], quarter: list[Capture]
) -> None:
    repo = copy_archive(synced[0], tmp_path / "archive")
    (repo / "data/model/zz").mkdir()
    (repo / "data/model/zz/notes.json").write_text("[1, 2]\n")
    _commit_by_hand(repo, "Keep my notes in the archive")
    sync_small(repo, quarter[1])

    assert not (repo / "data/model/zz/notes.json").exists()
    changes = _run(repo, "changes")
    assert changes.exit_code == 0, changes.output
    assert "zz/notes" not in changes.output
    site = _run(repo, "site", "--out", str(tmp_path / "site"))
    assert site.exit_code == 0, site.output
    export = _run(repo, "export", str(tmp_path / "export"))
    assert export.exit_code == 0, export.output


def test_a_bad_file_amended_into_a_sync_is_one_line_naming_that_commit(
    tmp_path: Path, synced: list[Path], quarter: list[Capture]
) -> None:
    repo = copy_archive(synced[0], tmp_path / "archive")
    (repo / "data/model/zz").mkdir()
    (repo / "data/model/zz/notes.json").write_text("[1, 2]\n")
    git(repo, "add", "data")
    env = {**os.environ, **PERSON}
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "--amend", "--no-edit"], env=env)
    amended = git(repo, "rev-parse", "HEAD").strip()  # Still a sync: amend keeps trailers.
    sync_small(repo, quarter[1])
    sync = git(repo, "rev-parse", "HEAD").strip()

    changes = _run(repo, "changes")

    assert changes.exit_code == 1, changes.output
    problems = [line for line in changes.output.splitlines() if line.startswith("problem: ")]
    assert len(problems) == 1, changes.output
    assert "data/model/zz/notes.json" in problems[0] and amended[:12] in problems[0]
    assert sync[:12] not in problems[0]  # Reverting the sync would bring the file back.
    assert f"{sync[:12]}  " in changes.output  # The sync's own changes are all listed.
    site = _run(repo, "site", "--out", str(tmp_path / "site"))
    assert site.exit_code == 1 and sync[:12] not in site.output, site.output
    assert (tmp_path / "site" / "index.html").is_file()


def test_a_hand_edited_price_is_put_back_by_the_next_sync(
    tmp_path: Path, synced: list[Path], quarter: list[Capture]
) -> None:
    repo = copy_archive(synced[0], tmp_path / "archive")
    path = _endpoint(repo)
    value = json.loads((repo / path).read_bytes())
    value["pricing"]["prompt"] = "0.5"
    (repo / path).write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")
    _commit_by_hand(repo, "Fix a price by hand")

    sync_small(repo, quarter[1])

    assert (repo / path).read_bytes() == (synced[1] / path).read_bytes()
    log = _run(repo, "log", "endpoint", Path(path).stem)
    assert log.exit_code == 0 and "0.5" not in log.output, log.output
    assert _changes_by_epoch(repo) == _changes_by_epoch(synced[1])
    price = _run(repo, "price", "endpoint", Path(path).stem)
    assert price.output == _run(synced[1], "price", "endpoint", Path(path).stem).output


def _changes_by_epoch(repo: Path) -> list[str]:
    """Return `changes` as lines, each sync's header without its commit id."""
    result = _run(repo, "changes")
    assert result.exit_code == 0, result.output
    return [line[:22] if line[:1].isdigit() else line for line in result.output.splitlines()]


def test_a_reverted_sync_then_the_next_tells_what_upstream_did(
    tmp_path: Path, synced: list[Path], quarter: list[Capture]
) -> None:
    repo = copy_archive(synced[1], tmp_path / "archive")
    clean = copy_archive(synced[1], tmp_path / "clean")
    env = {**os.environ, **PERSON}
    subprocess.run(["git", "-C", str(repo), "revert", "--no-edit", "HEAD"], env=env, check=True)
    sync_small(repo, quarter[2])
    sync_small(clean, quarter[2])

    # Before, the revert showed as its own sync (at the revert's clock time) and the next
    # sync as removing and bringing back again what the revert had undone.
    assert _changes_by_epoch(repo) == _changes_by_epoch(clean)
    for archive in (repo, clean):
        assert _run(archive, "export", str(tmp_path / f"{archive.name}-export")).exit_code == 0
    assert _export_rows(tmp_path / "archive-export") == _export_rows(tmp_path / "clean-export")
    assert _run(repo, "site", "--out", str(tmp_path / "site")).exit_code == 0


def _export_rows(out: Path) -> dict[str, list[str]]:
    """Return the rows of every exported history table, without the commit ids."""
    pyarrow_parquet = pytest.importorskip("pyarrow.parquet")
    found = {}
    assert any(out.rglob("*.parquet")), out
    for part in sorted(out.rglob("*.parquet")):
        if part.parts[len(out.parts)].startswith("telemetry"):
            continue  # Kept apart from entity history: a revert leaves its files as they were.
        rows = pyarrow_parquet.read_table(part).to_pylist()
        found[str(part.relative_to(out))] = sorted(
            repr({k: v for k, v in row.items() if "commit" not in k}) for row in rows
        )
    return found


def test_an_export_whose_head_was_amended_away_equals_a_fresh_one(
    tmp_path: Path, synced: list[Path], quarter: list[Capture]
) -> None:
    pyarrow_parquet = pytest.importorskip("pyarrow.parquet")
    repo = copy_archive(synced[1], tmp_path / "archive")
    assert _run(repo, "export", str(tmp_path / "kept")).exit_code == 0
    message = git(repo, "log", "-1", "--format=%B")
    env = {**os.environ, **PERSON}
    subprocess.run(
        ["git", "-C", str(repo), "commit", "-q", "--amend", "-m", "Reworded\n\n" + message],
        env=env,
        check=True,
    )
    sync_small(repo, quarter[2])

    assert _run(repo, "export", str(tmp_path / "kept")).exit_code == 0
    assert _run(repo, "export", str(tmp_path / "fresh")).exit_code == 0

    def tables(out: Path) -> dict[str, list[str]]:
        found = {}
        for part in sorted(out.rglob("*.parquet")):
            rows = pyarrow_parquet.read_table(part).to_pylist()
            found[str(part.relative_to(out))] = sorted(map(repr, rows))
        return found

    assert tables(tmp_path / "kept") == tables(tmp_path / "fresh")
    shutil.rmtree(tmp_path / "fresh")


@pytest.fixture(scope="module")
def fewer(quarter: list[Capture]) -> list[Capture]:
    """The quarter cut to one model in three (each site test builds three sites of it)."""
    keys = some_models(quarter[0], 3, featured=2)
    return [with_models_only(capture, keys) for capture in quarter]


@pytest.fixture(scope="module")
def fewer_synced(tmp_path_factory: pytest.TempPathFactory, fewer: list[Capture]) -> Path:
    """A clean archive of the first two `fewer` captures, its head a sync that changed
    entities (read only)."""
    repo = tmp_path_factory.mktemp("human-fewer") / "archive"
    for capture in fewer[:2]:
        assert not sync_small(repo, capture).failures
    changed = git(
        repo, "diff", "--name-only", "HEAD~1", "HEAD", "--", "data/model", "data/endpoint"
    )
    assert changed.split(), "the head sync must change entities for a rewrite to undo"
    return repo


@pytest.mark.parametrize("rewrite", ["amend", "revert"])
def test_a_site_cache_whose_head_was_rewritten_builds_what_no_cache_builds(
    tmp_path: Path, fewer_synced: Path, fewer: list[Capture], rewrite: str
) -> None:
    repo = copy_archive(fewer_synced, tmp_path / "archive")
    cache = tmp_path / "cache"
    build_site(repo, tmp_path / "first", cache=cache, built=built_at(repo, "HEAD"))
    env = {**os.environ, **PERSON}
    person = {
        "amend": [
            "commit",
            "-q",
            "--amend",
            "-m",
            "Reworded\n\n" + git(repo, "log", "-1", "--format=%B"),
        ],
        "revert": ["revert", "--no-edit", "HEAD"],
    }[rewrite]
    subprocess.run(["git", "-C", str(repo), *person], env=env, check=True, capture_output=True)
    sync_small(repo, fewer[2])
    built = built_at(repo, "HEAD")

    build_site(repo, tmp_path / "cached", cache=cache, built=built)
    build_site(repo, tmp_path / "full", built=built)

    assert _files(tmp_path / "cached") == _files(tmp_path / "full")


def _files(folder: Path) -> dict[str, bytes]:
    """Return {path: bytes} of every file a build wrote."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
