"""`archiver update-code` after upstream rewrote its branch (a release rolled back by force).

The base of the merge was the upstream commit the last update took only while it was still
an ancestor of upstream's head; otherwise the fork point. After upstream rolled a release
back (its branch force-pushed to an earlier commit), what that release added read, from the
fork point, as the fork's own edit: the fork kept code upstream had withdrawn, and the update
said "the code is already upstream's". Now the last update's commit stays the base when it
still shares history with upstream's branch, fetched by its id as GitHub serves it: the
rollback reaches the fork, and the fork's own edits stay.

Real bare repositories on disk as GitHub's upstream and fork (tests.test_fork's world),
archives synced from the small real captures, the git CLI.
"""

from __future__ import annotations

from pathlib import Path

from archiver.archive.fork import update_code
from tests.archive_helpers import git
from tests.test_fork import (
    World,
    captures,
    clone,
    code,
    commit,
    own,
    upstream_edits,
    workflow_clone,
    world,
    world_template,
    write,
)

__all__ = ["captures", "world", "world_template"]

WITHDRAWN = "archiver/withdrawn.py"
MINE = "archiver/mine.py"


def test_a_release_upstream_rolled_back_leaves_the_fork_too(world: World, tmp_path: Path) -> None:
    # GitHub serves a commit by its id even when no branch holds it any more.
    git(world.upstream, "config", "uploadpack.allowAnySHA1InWant", "true")
    update_code(workflow_clone(world, tmp_path / "first"), world.upstream_url)
    good = git(world.upstream, "rev-parse", "main").strip()
    upstream_edits(world, tmp_path, {WITHDRAWN: "bad = 1\n"}, "bad-release")
    update_code(workflow_clone(world, tmp_path / "second"), world.upstream_url)
    assert WITHDRAWN in code(world.fork, "main")
    # The fork's own code edit, after the update that took the bad release.
    mine = clone(world.fork.as_uri(), tmp_path / "mine")
    write(mine, {MINE: "mine = 1\n"})
    commit(mine, "My code")
    git(mine, "push", "-q", "origin", "main")
    before = git(world.fork, "rev-parse", "main").strip()
    git(world.upstream, "update-ref", "refs/heads/main", good)  # Upstream's force push back.

    result = update_code(workflow_clone(world, tmp_path / "third"), world.upstream_url)

    assert result.commit is not None and result.changed == (WITHDRAWN,)
    after = code(world.fork, "main")
    assert WITHDRAWN not in after and MINE in after
    assert {p: b for p, b in after.items() if p != MINE} == code(world.upstream, "main")
    assert own(world.fork, "main") == own(world.fork, before)
