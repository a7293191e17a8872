"""update-code finds the last update's Upstream-Code trailer whatever git's config says.

It asked `git log -n1 --grep=^Upstream-Code:` for it, so two common settings lost it:
- `trailer.separators` without `:` (`#`, for `Bug #42` trailers; the history reader
  already withstands it, tests/test_audit29_git_log_config.py): git read no trailer;
- `grep.patternType = fixed`: `^Upstream-Code:` was taken as a literal, matching nothing.
The second update then merged from the fork point: the code the first update had taken read
as the fork's own edit, and a line upstream changed again was refused as a conflict with
"the fork's own code changes" (the fork had none).
"""

from __future__ import annotations

from pathlib import Path

from archiver.archive.fork import update_code
from tests.archive_helpers import git
from tests.test_fork import (
    CODE,
    World,
    captures,
    clone,
    commit,
    rates,
    workflow_clone,
    world,
    world_template,
    write,
)

__all__ = ["captures", "world", "world_template"]


def test_a_second_update_under_other_trailer_and_grep_settings_merges_from_the_last_one(
    world: World, tmp_path: Path
) -> None:
    first = update_code(workflow_clone(world, tmp_path / "first"), world.upstream_url)
    theirs = clone(world.upstream.as_uri(), tmp_path / "theirs")
    write(theirs, {CODE: rates(3)})
    commit(theirs, "Rates 3")
    git(theirs, "push", "-q", "origin", "main")
    # A person's commit since, whose body quotes a trailer line: no trailer of its own.
    mine = clone(world.fork.as_uri(), tmp_path / "mine")
    write(mine, {"README.md": "# Mine\n"})
    commit(mine, "My README\n\nUpstream-Code: came with the last update.\n\nThat was all.")
    git(mine, "push", "-q", "origin", "main")
    second_clone = workflow_clone(world, tmp_path / "second")
    git(second_clone, "config", "trailer.separators", "#")
    git(second_clone, "config", "grep.patternType", "fixed")
    # With the fork point as the base, rates.py (1 -> 2 taken, 1 -> 3 now) would conflict.
    second = update_code(second_clone, world.upstream_url)
    assert second.base == first.upstream_head
    assert (second_clone / CODE).read_text() == rates(3)
