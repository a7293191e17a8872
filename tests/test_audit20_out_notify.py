"""A watch list nested too deep for the TOML reader: one line and exit 3, not a traceback.

`archiver notify` read the watch list with tomllib, which recurses once per nested array:
`models = [[[...]]]` a few thousand deep raised RecursionError out of the command, a
traceback in the hourly job's log. It is now the same one-line error as any unreadable
watch list, naming the file, and nothing is posted. A real small archive, the command line
in-process.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from archiver.cli import main
from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]

DEPTH = 5000  # Past Python's default recursion limit of 1,000.


def test_a_watch_list_nested_too_deep_is_one_line_and_exit_3(
    small_archive: Path, tmp_path: Path
) -> None:
    watch = tmp_path / "notify.toml"
    watch.write_text("[[watch]]\nmodels = " + "[" * DEPTH + "]" * DEPTH + "\n")
    command = ["notify", "--repo", str(small_archive), "--watch", str(watch), "--dry-run"]

    result = CliRunner().invoke(main, command)

    assert result.exit_code == 3, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and str(watch) in errors[0] and "watch list" in errors[0]
    assert "Traceback" not in result.output and "not posted" not in result.output
