"""The README's by-hand code update finds the last Upstream-Code trailer whatever git's
config says, as `update-code` does (tests/test_audit33_update_code_trailer_config.py).

Its `git log -n1 --grep='^Upstream-Code:'` found nothing under `grep.patternType = fixed`
(the `^` taken literally) or `trailer.separators` without `:`: BASE came out empty, the
diff ran from the fork point, and upstream's change of a line the last update had taken
was refused as a conflict, though the fork never touched it.
"""

from __future__ import annotations

from pathlib import Path

from archiver.archive.fork import update_code
from tests.archive_helpers import git
from tests.test_fork import (
    CODE,
    World,
    by_hand_commands,
    captures,
    clone,
    rates,
    run_bash,
    upstream_edits,
    workflow_clone,
    world,
    world_template,
)

__all__ = ["captures", "world", "world_template"]


def test_by_hand_under_other_trailer_and_grep_settings_starts_at_the_last_update(
    world: World, tmp_path: Path
) -> None:
    update_code(workflow_clone(world, tmp_path / "first"), world.upstream_url)
    upstream_edits(world, tmp_path, {CODE: rates(3)}, "r3")
    mine = clone(world.fork.as_uri(), tmp_path / "mine")
    git(mine, "config", "trailer.separators", "#")
    git(mine, "config", "grep.patternType", "fixed")
    fetch_to_apply, _ = by_hand_commands()
    script = fetch_to_apply.replace("https://github.com/OWNER/NAME.git", world.upstream_url)
    applied = run_bash(mine, script)
    # From the last update's upstream commit, rates.py 2 -> 3 applies to the fork's 2.
    assert applied.returncode == 0, applied.stderr
    assert (mine / CODE).read_text() == rates(3)
