"""The hourly site build reads only the commits since its cache, in a blob-less clone, and
writes exactly what a full build writes.

The archive is the session's site archive (real captures, a hostile one, telemetry
commits). A is the commit before its last sync that changed entities, B its HEAD: a CI
job builds at A in a fresh partial clone and keeps its cache, the next job builds at B in
another fresh partial clone from that cache. Its site must equal a full build at B byte for
byte, and it must have read only A..B: the blobs of older versions stay unfetched.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from archiver import jsonvalue
from archiver.archive.zdr_ledger import LEDGER_PATH
from archiver.canonical import canonical_bytes
from archiver.history.index import INDEX_FILE
from archiver.history.kinds import model_name
from archiver.history.versions import changes
from archiver.paths import key_to_path, path_to_key
from archiver.site import build_site
from archiver.site.card_cache import CardStore
from archiver.site.cards import ChangeCard
from archiver.site.context import load_projection
from archiver.site.derived_cache import CACHE_FILE, read_cache
from archiver.site.incremental import build_digest, derived_history
from archiver.site.syncs import read_syncs
from archiver.site.timeline import Timeline, build_timeline
from archiver.site.urls import endpoint_page, model_page, provider_page
from archiver.times import format_epoch
from tests.archive_helpers import git, head
from tests.site_helpers import (
    ENTITY_FOLDERS,
    SITE_BASE_URL,
    CachedBuild,
    HeadBuild,
    SiteArchive,
    built_at,
    partial_clone,
)
from tests.site_helpers import UPLOAD_PACK as UPLOAD_PACK  # test_partial_reads takes it here.

# What history reads: the entity files and the ZDR ledger (told as endpoint changes).
INDEXED = (*ENTITY_FOLDERS, LEDGER_PATH)


@dataclass(frozen=True)
class Builds:
    """The commits A and B, the full build at B, and the cached build of A in out/."""

    source: Path
    a: str
    b: str
    full: Path
    full_history: str
    site_a: Path
    root: Path


def missing_objects(repo: Path) -> set[str]:
    """Return the ids of the objects a partial clone has not fetched."""
    listed = git(repo, "rev-list", "--objects", "--all", "--missing=print")
    return {line[1:] for line in listed.splitlines() if line.startswith("?")}


def files(folder: Path) -> dict[str, bytes]:
    """Return {relative path: bytes} of every file below folder."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def builds(
    site_archive: SiteArchive,
    site_at_head: HeadBuild,
    site_cached_at_a: CachedBuild,
    tmp_path_factory: pytest.TempPathFactory,
) -> Builds:
    """Return A and B, a full build at B, and A's site built in a partial clone with a cache."""
    root = tmp_path_factory.mktemp("incremental")
    # The full build at B (HEAD), built once for the run: test_site_shallow compares with it too.
    full, full_history = site_at_head.folder, site_at_head.history
    # The hour before, as the workflow runs it (the cache outside .git keeps the index too):
    # `archiver site --cache` in a blob-less clone at A, run once for the run
    # (tests/conftest.py; test_audit20_state_site_cache damages copies of its cache). Copied:
    # the build at B writes its site over A's and its cache over A's.
    result = site_cached_at_a
    assert "no readable site cache: history read in full" in result.output
    shutil.copytree(result.cache, root / "cache")
    assert (root / "cache" / INDEX_FILE.name).exists()
    shutil.copytree(result.site, root / "out")
    site_a = Path(shutil.copytree(result.site, root / "site-a"))
    return Builds(site_archive.repo, result.a, result.b, full, full_history, site_a, root)


def test_a_new_commit_reads_only_its_changes_and_builds_what_a_full_build_builds(
    builds: Builds,
) -> None:
    clone_b = partial_clone(builds.source, builds.root / "clone-b", builds.b)
    # Each new commit's changes are read against its parent: both sides' blobs are needed.
    raw = git(clone_b, "log", "--first-parent", "--raw", "--no-abbrev", "--no-renames",
              "--format=", f"{builds.a}..HEAD", "--", *INDEXED)  # fmt: skip
    needed = {blob for line in raw.splitlines() if line for blob in line.split()[2:4]}
    unfetched = missing_objects(clone_b)
    old_blobs = (needed - {"0" * 40}) & unfetched
    assert old_blobs

    report = build_site(
        clone_b,
        builds.root / "out",
        base_url=SITE_BASE_URL,
        cache=builds.root / "cache",
        built=built_at(clone_b, builds.b),
    )

    first_parents = git(clone_b, "rev-list", "--first-parent", "--count", f"{builds.a}..HEAD")
    assert builds.full_history == "history read in full"
    assert report.history.startswith("history read incrementally")
    assert report.commits_read == int(first_parents)
    # The old versions the new commits replaced were fetched, and nothing older.
    left = missing_objects(clone_b)
    assert not old_blobs & left
    assert unfetched - left == old_blobs
    incremental, full = files(builds.root / "out"), files(builds.full)
    assert incremental.keys() == full.keys()
    assert [path for path in full if incremental[path] != full[path]] == []
    # The cache written back (A's entity lines kept as read, B's added) reads as history at B.
    cached = read_cache(builds.root / "cache")
    assert cached is not None and cached.head == builds.b
    assert cached.groups == changes(builds.source, problems=[])
    # Only what differs from A's site was written; the rest was linked from A's build.
    before = files(builds.site_a)
    differ = {path for path, data in full.items() if before.get(path) != data}
    assert report.files - report.unchanged == len(differ)
    assert report.unchanged == len(full) - len(differ) > 0
    # Every page of an entity A..B changed is among them.
    page_of = {"model": model_page, "endpoint": endpoint_page, "provider": provider_page}
    changed = git(clone_b, "diff", "--name-only", builds.a, builds.b, "--", *ENTITY_FOLDERS)
    pages = {page_of[category](key) for category, key in map(path_to_key, changed.split())}
    assert pages & full.keys()
    assert pages & full.keys() <= differ


def _cache_document(cache: Path) -> dict[str, object]:
    """Return the cache file's first line: the changes, the sync log, the head and the build."""
    value = jsonvalue.loads((cache / CACHE_FILE).read_bytes().partition(b"\n")[0])
    assert isinstance(value, dict)
    return value


def _write_cache_document(cache: Path, document: dict[str, object]) -> None:
    """Replace the cache file's first line, keeping its entity lines."""
    entities = (cache / CACHE_FILE).read_bytes().partition(b"\n")[2]
    (cache / CACHE_FILE).write_bytes(jsonvalue.dumps(document) + b"\n" + entities)


@pytest.mark.parametrize("damage", ["damaged", "other build", "not an ancestor"])
def test_a_cache_that_does_not_fit_falls_back_to_a_full_read(
    builds: Builds, damage: str, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(builds.root / "cache", cache)
    repo = builds.source
    document = _cache_document(cache)
    if damage == "damaged":
        (cache / CACHE_FILE).write_bytes((cache / CACHE_FILE).read_bytes()[:-100])
    elif damage == "other build":
        document["build"] = "0" * 64
        _write_cache_document(cache, document)
    else:
        # A sync later rewritten away: the cache covers a commit B does not descend from.
        repo = tmp_path / "clone"
        subprocess.run(["git", "clone", "--quiet", str(builds.source), str(repo)], check=True)
        tree = git(repo, "rev-parse", f"{builds.a}^{{tree}}").strip()
        stray = git(repo, "commit-tree", tree, "-p", builds.a, "-m", "rewritten")
        document["head"] = stray.strip()
        _write_cache_document(cache, document)

    derived = derived_history(repo, cache)

    expected = {
        "damaged": "no readable site cache",
        "other build": "another version of the archiver",
        "not an ancestor": "not an ancestor of HEAD",
    }[damage]
    assert not derived.incremental
    assert expected in derived.note and "history read in full" in derived.note
    assert "\n" not in derived.note
    assert derived.groups == changes(repo, problems=[])
    assert derived.syncs == read_syncs(repo)
    # The cache now covers B, for the next build.
    assert _cache_document(cache)["head"] == builds.b


def _cards(timeline: Timeline, category: str) -> list[ChangeCard]:
    """Return every card of one category's entities."""
    return [
        card
        for (kind, _), cards in timeline.by_entity.items()
        if kind == category
        for card in cards
    ]


def _writable(value: object) -> bool:
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        return False
    return True


def _renamed_model(clone: Path, model_key: str, name: str) -> str:
    """Commit a sync an hour after HEAD's that renames one model (its catalog name)."""
    path = clone / key_to_path("model", model_key)
    entity = jsonvalue.loads(path.read_bytes())
    entity["catalog"]["name"] = name
    path.write_bytes(canonical_bytes(entity))
    epoch = format_epoch(built_at(clone, "HEAD") + timedelta(minutes=30))
    git(clone, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam",
        f"Sync {epoch}\n\nSync-Epoch: {epoch}")  # fmt: skip
    return head(clone)


def test_a_kept_card_whose_model_was_renamed_is_described_again(
    site_archive: SiteArchive, tmp_path: Path
) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(site_archive.repo), str(clone))
    kept = tmp_path / "cards"
    # The build before: every card described and kept.
    projection = load_projection(clone, None, [], None)
    groups = changes(clone, problems=[])
    store = CardStore.read(kept, build_digest())
    before = build_timeline(projection, groups, store.parts)
    store.write(kept, groups)
    assert store.described == sum(len(group.changes) for group in groups)
    # An endpoint card whose summary names its model by the model's current name.
    card = next(
        card
        for card in _cards(before, "endpoint")
        if card.model_key in projection.models
        and card.summary.startswith(model_name(projection.models[card.model_key], card.model_key))
    )
    renamed = f"Renamed {card.model_key}"
    commit = _renamed_model(clone, card.model_key, renamed)

    projection = load_projection(clone, None, [], None)
    groups = changes(clone, problems=[])
    store = CardStore.read(kept, build_digest())
    after = build_timeline(projection, groups, store.parts)

    assert after == build_timeline(projection, groups)
    old = [
        found for found in after.by_entity[("endpoint", card.key)] if found.commit == card.commit
    ]
    assert old and all(found.summary.startswith(f"{renamed} on ") for found in old)
    # Only the cards that name the renamed model, and the new commit's, were described again.
    naming = [
        found
        for found in _cards(before, "endpoint") + _cards(before, "model")
        if found.model_key == card.model_key
    ]
    new = sum(len(group.changes) for group in groups if group.commit == commit)
    # A change whose patch JSON cannot hold (the hostile capture's) is never kept.
    never_kept = sum(not _writable(change.patch) for group in groups for change in group.changes)
    assert store.described == len(naming) + new + never_kept
    assert store.reused == sum(len(group.changes) for group in groups) - store.described
