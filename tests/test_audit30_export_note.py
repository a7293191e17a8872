"""The export's note is one line that starts no workflow command, whatever the old manifest says.

An export folder whose manifest names another format is replaced by a fresh export, with a
note quoting that format. The format is the manifest's text: one holding a newline put a line
of its own on stderr, which a GitHub runner reads as a workflow command (`::error::`...).
"""

from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner

from archiver.cli import main
from tests.small_captures import SMALL_DAILY, sync_small


def test_a_format_holding_a_workflow_command_is_told_in_one_line(tmp_path: Path) -> None:
    repo, out = tmp_path / "archive", tmp_path / "export"
    assert sync_small(repo, SMALL_DAILY[0]).commit_id
    command = ["export", "--repo", str(repo), str(out)]
    assert CliRunner().invoke(main, command).exit_code == 0
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    manifest["format"] = "3\n::error title=x::owned\r\n##[warning]y"
    (out / "manifest.json").write_bytes(orjson.dumps(manifest))

    result = CliRunner().invoke(main, command)

    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(notes) == 1 and notes[0].startswith("note: "), notes
    assert "another version" in notes[0] and "owned" in notes[0]
