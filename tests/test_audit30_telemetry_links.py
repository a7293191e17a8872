"""A symbolic link where a telemetry file goes (audit): refused by the readers, never followed.

A sync writes telemetry files as files, but a clone checks out whatever was committed, and
`archiver telemetry`, the site and the export read the files of the work tree. A link
committed in a file's place was read through: one to a file outside the repository served
its figures as the archive's, and one to /dev/zero was read without end, until memory ran
out (a MemoryError traceback, or the runner's memory). A key whose file was a link to
anything but a file (/dev/zero) read as having "no telemetry". The readers now name the
file, as they do a damaged one, and the export takes git's copy.

Real small archives, git to commit the link, the command line (in a child process with a
memory limit where the old behaviour would take all memory).
"""

from __future__ import annotations

import hashlib
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archiver.cli import main
from archiver.errors import StoreError
from archiver.export.telemetry_files import TelemetryFiles
from tests.archive_helpers import as_person, git
from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]

# Far more than the command needs, far less than reading /dev/zero takes.
MEMORY_LIMIT = 1_500_000_000


def run(*args: str) -> Result:
    """Run the archiver's command line in this process."""
    return CliRunner().invoke(main, list(args))


def one_error_line(code: int, stderr: str) -> str:
    """Assert exit 3 with one `Error:` line and no traceback; return the line."""
    assert code == 3, stderr
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


def linked_shard(repo: Path, target: Path) -> tuple[str, str]:
    """Commit a link to target in place of the first endpoint telemetry file holding an
    endpoint; return (that endpoint's id, the file's path)."""
    endpoints = sorted(path.stem for path in (repo / "data" / "endpoint").glob("*.json"))
    files = sorted((repo / "data" / "telemetry" / "endpoint").rglob("*.tsv"))
    for path in files:
        shard = path.stem
        held = [e for e in endpoints if hashlib.sha1(e.encode()).hexdigest().startswith(shard)]
        if held and f'"{held[0]}"' in path.read_text():
            path.unlink()
            path.symlink_to(target)
            relative = str(path.relative_to(repo))
            as_person(repo, "add", relative)
            as_person(repo, "commit", "-q", "-m", "a link where a telemetry file was")
            return held[0], relative
    raise AssertionError("no telemetry file holds an endpoint")


def test_a_link_to_a_file_outside_is_refused_not_read_as_the_archives(
    small_archive: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.tsv"
    endpoint, relative = linked_shard(small_archive, outside)
    # The file's own lines, one figure changed: read through, they pass for the archive's.
    original = git(small_archive, "show", f"HEAD~1:{relative}")
    outside.write_text(original.replace('"2026-07-17T18:00:00Z"', '"2026-07-17T19:00:00Z"'))
    result = run("telemetry", "endpoint", endpoint, "--repo", str(small_archive))
    line = one_error_line(result.exit_code, result.stderr)
    assert relative in line and "symbolic link" in line, line
    assert "19:00" not in result.stdout


def limited_memory() -> None:
    """Cap the child's address space: reading /dev/zero whole fails at once, not after
    taking the machine's memory."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_limited(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run the archiver in a child process whose memory is capped."""
    command = [sys.executable, "-m", "archiver", *args]
    return subprocess.run(command, capture_output=True, text=True, preexec_fn=limited_memory)


def test_a_link_to_dev_zero_is_refused_in_one_line_and_the_export_reads_git(
    small_archive: Path, tmp_path: Path
) -> None:
    endpoint, relative = linked_shard(small_archive, Path("/dev/zero"))
    shown = run_limited(["telemetry", "endpoint", endpoint, "--repo", str(small_archive)])
    line = one_error_line(shown.returncode, shown.stderr)
    assert relative in line and "symbolic link" in line, line
    exported = run_limited(["export", "--repo", str(small_archive), str(tmp_path / "export")])
    assert "Traceback" not in exported.stderr and "MemoryError" not in exported.stderr
    # The commit holds the link itself (its text), which no reader takes for telemetry.
    assert exported.returncode == 1, exported.stderr
    assert relative in exported.stderr and "left out" in exported.stderr


def test_the_exports_reader_of_the_files_on_disk_names_a_link_in_one_error(
    small_archive: Path,
) -> None:
    # The export's reader of a work tree (given a folder, not a commit), as the library's
    # callers use it: a link there is named like a damaged file, not a bare ValueError.
    _, relative = linked_shard(small_archive, Path("/dev/zero"))
    day = relative.split("/")
    with pytest.raises(StoreError, match="symbolic link") as raised:
        TelemetryFiles.of(small_archive).files("endpoint", f"{day[3]}-{day[4]}")
    assert relative in str(raised.value)
