"""Running a fork for years: code updates from upstream, pushes GitHub refuses by rule.

Real things throughout: bare repositories on disk as GitHub's upstream and fork, archives
synced from the small real captures, the git CLI, and pre-receive hooks that refuse a push
with GitHub's own words.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.archive.fork import FORK_OWNED, UPSTREAM_TRAILER, CodeUpdateError, update_code
from archiver.archive.push_refusal import TOKEN_SECRET
from archiver.capture.files import Capture
from archiver.cli import main
from archiver.history.api import History
from archiver.publish import publish
from tests.archive_helpers import git, head
from tests.fork_helpers import WORKFLOWS, fetched, github_api, refuse_pushes
from tests.small_captures import small_daily, sync_small

PERSON = ("-c", "user.name=A Person", "-c", "user.email=person@example.com")
WORKFLOW = ".github/workflows/sync.yml"
CODE = "archiver/rates.py"
WATCH_LIST = '[[watch]]\nkinds = ["price"]\n'


@dataclass(frozen=True)
class World:
    """An upstream and a fork (bare, as GitHub holds them) whose data/ diverged."""

    upstream: Path
    fork: Path

    @property
    def upstream_url(self) -> str:
        """Return upstream's URL (file://: a real transport, filters honoured)."""
        return self.upstream.as_uri()


@pytest.fixture(scope="module")
def captures() -> list[Capture]:
    """Return the three small daily captures."""
    return small_daily()


@pytest.fixture(scope="module")
def world_template(tmp_path_factory: pytest.TempPathFactory, captures: list[Capture]) -> World:
    """Return an upstream with code and syncs, forked; then each synced apart, new upstream code."""
    root = tmp_path_factory.mktemp("fork-world")
    upstream = bare(root / "upstream.git")
    work = clone(upstream.as_uri(), root / "upstream-work")
    write(work, {"README.md": "# Archive\n", CODE: rates(1), WORKFLOW: "name: sync\n"})
    commit(work, "The code")
    sync_small(work, captures[0])
    git(work, "push", "-q", "origin", "main")
    # GitHub's fork: every commit so far, in a repository of its own.
    fork = root / "fork.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(upstream), str(fork)], check=True)
    git(fork, "config", "uploadpack.allowFilter", "true")
    # Both archive their own hours from here; upstream also changes its code.
    sync_small(work, captures[1])
    write(work, {CODE: rates(2), WORKFLOW: "name: sync\non: push\n", "archiver/new.py": "x = 1\n"})
    # Upstream's own settings, which must never replace the fork's.
    write(work, {"CNAME": "rates.upstream.example\n", "notify.toml": WATCH_LIST + "# upstream\n"})
    commit(work, "Upstream's new code")
    git(work, "push", "-q", "origin", "main")
    mine = clone(fork.as_uri(), root / "fork-work")
    write(mine, {"notify.toml": WATCH_LIST})
    commit(mine, "My watch list")
    sync_small(mine, captures[2])
    git(mine, "push", "-q", "origin", "main")
    return World(upstream, fork)


@pytest.fixture
def world(world_template: World, tmp_path: Path) -> World:
    """Return a private copy of the world for one test."""
    return World(
        Path(shutil.copytree(world_template.upstream, tmp_path / "upstream.git")),
        Path(shutil.copytree(world_template.fork, tmp_path / "fork.git")),
    )


def bare(path: Path) -> Path:
    """Create a bare repository that serves partial clones, as GitHub does."""
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    git(path, "config", "uploadpack.allowFilter", "true")
    return path


def clone(url: str, path: Path, *options: str) -> Path:
    """Clone url into path, with a committer identity for the update's commit."""
    subprocess.run(["git", "clone", "-q", *options, url, str(path)], check=True)
    git(path, "config", "user.name", "github-actions[bot]")
    git(path, "config", "user.email", "bot@example.com")
    return path


def write(repo: Path, files: dict[str, str]) -> None:
    """Write files into the work tree."""
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)


def commit(repo: Path, message: str) -> None:
    """Commit every change as a person would."""
    git(repo, "add", "-A")
    git(repo, *PERSON, "commit", "-q", "-m", message)


def rates(version: int) -> str:
    """Return a code file whose middle line each upstream version changes."""
    return f"# Rates.\nVERSION = {version}\n# End.\n"


def files(repo: Path, rev: str, *paths: str) -> dict[str, str]:
    """Return {path: blob id} of every file at rev (under paths, if given)."""
    listing = git(repo, "ls-tree", "-r", "-z", rev, "--", *paths).split("\0")
    return {line.split("\t", 1)[1]: line.split()[2] for line in listing if line}


def code(repo: Path, rev: str) -> dict[str, str]:
    """Return the files at rev that are not the fork's own (data, its settings)."""
    owned = tuple(f"{name}/" for name in FORK_OWNED)
    return {
        p: b for p, b in files(repo, rev).items() if p not in FORK_OWNED and not p.startswith(owned)
    }


def own(repo: Path, rev: str) -> dict[str, str]:
    """Return the fork's own top-level entries at rev: {name: tree or blob id}."""
    entries = git(repo, "ls-tree", "-z", rev).split("\0")
    found = {line.split("\t", 1)[1]: line.split()[2] for line in entries if line}
    return {name: oid for name, oid in found.items() if name in FORK_OWNED}


def data_tree(repo: Path, rev: str) -> str:
    """Return the tree id of data/ at rev."""
    return git(repo, "rev-parse", f"{rev}:data").strip()


def workflow_clone(world: World, path: Path) -> Path:
    """Clone the fork as the update workflow does: commits only, the code alone checked out."""
    clone(world.fork.as_uri(), path, "--filter=tree:0", "--sparse")
    git(path, "sparse-checkout", "set", "archiver", "templates")
    return path


def with_my_rates(world: World, path: Path) -> Path:
    """Return a clone of the fork that pushed its own edit of the line upstream changes."""
    mine = clone(world.fork.as_uri(), path)
    write(mine, {CODE: rates(99)})
    commit(mine, "My rates")
    git(mine, "push", "-q", "origin", "main")
    return mine


def test_a_plain_merge_of_upstream_conflicts_on_data(world: World, tmp_path: Path) -> None:
    # What GitHub's "Sync fork" does: the reason the update exists.
    mine = clone(world.fork.as_uri(), tmp_path / "mine")
    git(mine, "fetch", "-q", world.upstream_url, "main")
    merge = subprocess.run(
        ["git", "-C", str(mine), *PERSON, "merge", "-q", "FETCH_HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert merge.returncode != 0
    conflicted = git(mine, "diff", "--name-only", "--diff-filter=U").split()
    in_data = [path for path in conflicted if path.startswith("data/")]
    assert in_data and set(conflicted) - set(in_data) <= set(FORK_OWNED)


def test_update_takes_upstreams_code_and_keeps_the_forks_data(world: World, tmp_path: Path) -> None:
    before = git(world.fork, "rev-parse", "main").strip()
    runner = CliRunner()
    mine = workflow_clone(world, tmp_path / "mine")
    args = ["update-code", "--repo", str(mine), "--upstream", world.upstream_url]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    after = git(world.fork, "rev-parse", "main").strip()
    assert git(world.fork, "rev-list", "--parents", "-n1", after).split() == [after, before]
    assert code(world.fork, after) == code(world.upstream, "main")
    assert own(world.fork, after) == own(world.fork, before)
    assert set(own(world.fork, after)) == {"data", ".gitattributes", "notify.toml"}
    upstream_head = git(world.upstream, "rev-parse", "main").strip()
    trailer = f"%(trailers:key={UPSTREAM_TRAILER},valueonly)"
    assert git(world.fork, "log", "-1", f"--format={trailer}", after).strip() == upstream_head
    assert head(mine) == after  # The local branch follows.
    # Again, as the workflow runs it: no --upstream, GitHub's API names the fork's parent.
    with github_api({"/repos/me/archive": {"fork": True, "parent": parent(world)}}) as api:
        env = {"GITHUB_REPOSITORY": "me/archive", "GITHUB_API_URL": api}
        again = runner.invoke(main, [*args[:3], "--upstream", ""], env=env)
    assert again.exit_code == 0 and "already" in again.output, again.output
    assert git(world.fork, "rev-parse", "main").strip() == after


def test_update_code_outside_a_fork_says_to_name_the_upstream(world: World, tmp_path: Path) -> None:
    mine = workflow_clone(world, tmp_path / "mine")
    with github_api({"/repos/me/archive": {"fork": False}}) as api:
        env = {"GITHUB_REPOSITORY": "me/archive", "GITHUB_API_URL": api}
        result = CliRunner().invoke(main, ["update-code", "--repo", str(mine)], env=env)
    assert result.exit_code == 3
    assert "me/archive is not a fork on GitHub; name its upstream with --upstream" in result.output


def parent(world: World) -> dict[str, str]:
    """Return the `parent` object GitHub's API gives for the fork (its clone URL: upstream's)."""
    return {"full_name": "them/archive", "clone_url": world.upstream_url}


def test_the_forks_history_still_reads_after_an_update(
    world: World, tmp_path: Path, captures: list[Capture]
) -> None:
    before = clone(world.fork.as_uri(), tmp_path / "before")
    # The endpoints upstream archived differently: where its history could leak in.
    theirs, mine = files(world.upstream, "main", "data/endpoint"), files(before, "HEAD")
    keys = sorted(
        path.removeprefix("data/endpoint/").removesuffix(".json")
        for path, blob in theirs.items()
        if mine.get(path) != blob
    )
    assert keys
    expected = {key: History(before).versions("endpoint", key) for key in keys}
    changes = History(before).changes()
    update_code(workflow_clone(world, tmp_path / "mine"), world.upstream_url)
    after = clone(world.fork.as_uri(), tmp_path / "after")
    history = History(after)
    assert {key: history.versions("endpoint", key) for key in keys} == expected
    assert history.changes() == changes
    # Upstream's own syncs after the fork point never enter the fork's history.
    epochs = git(after, "log", "--first-parent", "--format=%(trailers:key=Sync-Epoch,valueonly)")
    assert captures[1].time.strftime("%Y-%m-%dT%H") not in epochs
    # And the next hourly sync publishes on top of the update as before (an hour after the
    # fork's own latest sync: an older one would not be applied).
    next_hour = dataclasses.replace(captures[1], time=captures[2].time + timedelta(hours=1))
    result = publish(after, fetched(next_hour), backoff=0.01)
    assert result.commit_id is not None
    assert git(world.fork, "rev-parse", "main").strip() == result.commit_id


def test_a_second_update_merges_from_the_last_one_keeping_the_forks_own_edit(
    world: World, tmp_path: Path
) -> None:
    first = update_code(workflow_clone(world, tmp_path / "first"), world.upstream_url)
    # The fork edits its README; upstream changes the line the first update took.
    mine = clone(world.fork.as_uri(), tmp_path / "mine")
    write(mine, {"README.md": "# My own archive\n"})
    commit(mine, "My README")
    git(mine, "push", "-q", "origin", "main")
    theirs = clone(world.upstream.as_uri(), tmp_path / "theirs")
    write(theirs, {CODE: rates(3)})
    commit(theirs, "Rates 3")
    git(theirs, "push", "-q", "origin", "main")
    data_before = data_tree(world.fork, "main")
    # With the fork point as the base, rates.py (1 -> 2 here, 1 -> 3 there) would conflict.
    second = update_code(workflow_clone(world, tmp_path / "second"), world.upstream_url)
    assert second.base == first.upstream_head
    assert (tmp_path / "second" / CODE).read_text() == rates(3)
    assert (tmp_path / "second" / "README.md").read_text() == "# My own archive\n"
    assert data_tree(world.fork, "main") == data_before


def test_a_sync_pushed_during_the_update_is_kept_under_it(
    world: World, tmp_path: Path, captures: list[Capture]
) -> None:
    # The hourly sync pushes right as the update pushes (a real race, set up by a hook).
    sync = clone(world.fork.as_uri(), tmp_path / "sync")
    # The fork's next hour (history is written in time order), with other figures than its last.
    next_hour = dataclasses.replace(captures[1], time=captures[2].time + timedelta(hours=1))
    assert sync_small(sync, next_hour).commit_id
    mine = workflow_clone(world, tmp_path / "mine")
    hook = mine / ".git" / "hooks" / "pre-push"
    once = tmp_path / "raced"
    hook.write_text(
        f"#!/bin/sh\n[ -e {once} ] || {{ touch {once}; git -C {sync} push -q origin main; }}\n"
    )
    hook.chmod(0o755)
    result = update_code(mine, world.upstream_url)
    assert once.exists() and result.commit is not None
    sync_commit = head(sync)
    assert git(world.fork, "rev-parse", "main^").strip() == sync_commit
    assert data_tree(world.fork, "main") == data_tree(sync, sync_commit)
    assert code(world.fork, "main") == code(world.upstream, "main")


def test_a_conflicting_fork_edit_is_refused_and_nothing_pushed(
    world: World, tmp_path: Path
) -> None:
    with_my_rates(world, tmp_path / "mine")
    before = git(world.fork, "rev-parse", "main").strip()
    with pytest.raises(CodeUpdateError, match=r"conflict with upstream's in archiver/rates\.py"):
        update_code(workflow_clone(world, tmp_path / "update"), world.upstream_url)
    assert git(world.fork, "rev-parse", "main").strip() == before


def test_an_update_refused_for_workflow_files_says_which_token_to_add(
    world: World, tmp_path: Path
) -> None:
    refuse_pushes(world.fork, WORKFLOWS)
    mine = workflow_clone(world, tmp_path / "mine")
    args = ["update-code", "--repo", str(mine), "--upstream", world.upstream_url]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 3
    (line,) = result.output.strip().splitlines()
    assert "Workflows: read and write" in line and TOKEN_SECRET in line


# --- by hand: the README's way when the fork's own edits conflict ----------------------------
# It must do what update-code does, minus the conflict: upstream's code changes since the last
# update (its Upstream-Code trailer, or the fork point), the fork's data and settings
# untouched, and no merge commit, whose second parent would bring upstream's hourly data
# commits and all their files into the fork's history. The commands are the README's own.

README = Path(__file__).resolve().parents[1] / "README.md"


def by_hand_commands() -> tuple[str, str]:
    """Return the README's by-hand block: (the commands up to the apply, the commit line)."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), re.S)
    (block,) = [b for b in blocks if "git apply -3" in b]
    lines = [line.strip() for line in block.splitlines() if not line.strip().startswith("#")]
    apply_at = next(n for n, line in enumerate(lines) if "git apply -3" in line)
    return "\n".join(lines[: apply_at + 1]), "\n".join(lines[apply_at + 1 :])


def run_bash(repo: Path, script: str) -> subprocess.CompletedProcess[str]:
    """Run a script as a person would in their clone."""
    return subprocess.run(["bash", "-c", script], cwd=repo, capture_output=True, text=True)


def upstream_edits(world: World, tmp_path: Path, files: dict[str, str], name: str) -> str:
    """Commit new upstream code and return upstream's head."""
    theirs = clone(world.upstream.as_uri(), tmp_path / name)
    write(theirs, files)
    commit(theirs, f"Upstream: {name}")
    git(theirs, "push", "-q", "origin", "main")
    return head(theirs)


def take_by_hand(world: World, mine: Path) -> str:
    """Run the README's commands in mine, resolve rates.py as the person wants; return HEAD."""
    fetch_to_apply, commit_line = by_hand_commands()
    fetch_to_apply = fetch_to_apply.replace("https://github.com/OWNER/NAME.git", world.upstream_url)
    applied = run_bash(mine, fetch_to_apply)
    # git apply -3 stops at the conflict it names, having applied the rest.
    assert applied.returncode != 0 and CODE in applied.stderr, applied.stderr
    assert "<<<<<<<" in (mine / CODE).read_text()
    write(mine, {CODE: "# Rates.\nVERSION = 99  # mine, on upstream's 3\n# End.\n"})
    git(mine, "add", CODE)
    committed = run_bash(mine, commit_line)
    assert committed.returncode == 0, committed.stderr
    return head(mine)


def test_by_hand_after_an_update_takes_only_the_code_and_no_upstream_history(
    world: World, tmp_path: Path
) -> None:
    first = update_code(workflow_clone(world, tmp_path / "first"), world.upstream_url)
    mine = with_my_rates(world, tmp_path / "mine")
    upstream_head = upstream_edits(
        world, tmp_path, {CODE: rates(3), "archiver/new.py": "x = 2\n"}, "r3"
    )
    data_before, own_before, before = data_tree(mine, "HEAD"), own(mine, "HEAD"), head(mine)

    taken = take_by_hand(world, mine)

    # One ordinary commit, pushed: upstream's commits (its data syncs) are not ancestors.
    assert git(mine, "rev-list", "--parents", "-n1", taken).split()[1:] == [before]
    assert git(world.fork, "rev-parse", "main").strip() == taken
    ancestry = subprocess.run(
        ["git", "-C", str(mine), "merge-base", "--is-ancestor", upstream_head, taken]
    )
    assert ancestry.returncode == 1
    assert data_tree(mine, taken) == data_before and own(mine, taken) == own_before
    # From the last update's upstream commit: new.py's change came, rates.py's conflicted.
    assert (mine / "archiver/new.py").read_text() == "x = 2\n"
    assert first.upstream_head != upstream_head
    # The next update starts where the hand-made one left off: no conflict on rates.py.
    upstream_edits(world, tmp_path, {"archiver/new.py": "x = 3\n"}, "x3")
    update = update_code(workflow_clone(world, tmp_path / "next"), world.upstream_url)
    assert update.base == upstream_head and update.commit is not None
    assert git(world.fork, "show", f"main:{CODE}") == (mine / CODE).read_text()
    assert git(world.fork, "show", "main:archiver/new.py") == "x = 3\n"


def test_by_hand_without_an_earlier_update_starts_from_the_fork_point(
    world: World, tmp_path: Path
) -> None:
    mine = with_my_rates(world, tmp_path / "mine")
    data_before, own_before = data_tree(mine, "HEAD"), own(mine, "HEAD")
    upstream_head = git(world.upstream, "rev-parse", "main").strip()

    taken = take_by_hand(world, mine)

    assert data_tree(mine, taken) == data_before and own(mine, taken) == own_before
    assert (mine / "archiver/new.py").read_text() == "x = 1\n"
    ancestry = subprocess.run(
        ["git", "-C", str(mine), "merge-base", "--is-ancestor", upstream_head, taken]
    )
    assert ancestry.returncode == 1
    assert git(world.fork, "rev-parse", "main").strip() == taken
