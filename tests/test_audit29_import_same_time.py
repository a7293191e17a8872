"""Two captures of one time import to the same archive in any argument order.

`archiver import` takes its captures "in any order" and sorts them by capture time. Two
captures of the very same time (two recorders of one sweep, a copy edited) both sync at
that hour and the second one's data stands; the sort kept the command line's order for
them, so `import a b` and `import b a` made different archives. Real small captures.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from archiver.capture.files import read_capture, write_capture
from archiver.cli import main
from tests.archive_helpers import git


def test_captures_of_one_time_import_alike_in_either_order(
    v1_models_paths: list[Path], tmp_path: Path
) -> None:
    first, second = (read_capture(path) for path in v1_models_paths[:2])
    # Two different real responses, recorded as of the same moment.
    one, other = tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz"
    write_capture(one, first.time, "test", "one", first.responses)
    write_capture(other, first.time, "test", "other", second.responses)
    trees = []
    for name, order in (("ab", [one, other]), ("ba", [other, one])):
        repo = tmp_path / name
        result = CliRunner().invoke(main, ["import", "--repo", str(repo), *map(str, order)])
        assert result.exit_code == 0, result.output
        trees.append(git(repo, "rev-parse", "HEAD^{tree}"))
    assert trees[0] == trees[1]
