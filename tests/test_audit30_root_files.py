"""notify.toml and CNAME that are no files (audit): read in bounded memory, never without end.

The hourly jobs read two files of the repository's root besides data/: `archiver notify`
its watch list `notify.toml`, `archiver site` (in a workflow) the custom domain in `CNAME`.
A committed link from either to /dev/zero was read until memory ran out (a MemoryError
traceback, or the runner's memory), and a FIFO in its place held the job until Actions
cancelled it. The watch list is now refused in one line; a CNAME that is no file names no
domain.

Real small archives, git to commit the links, the archiver in a child process with a memory
limit (the old behaviour takes all memory there is).
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

from tests.archive_helpers import as_person
from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]

# Far more than the commands need, far less than reading /dev/zero takes.
MEMORY_LIMIT = 1_500_000_000


def limited_memory() -> None:
    """Cap the child's address space: reading /dev/zero whole fails at once."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_limited(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run Python in a child process whose memory is capped."""
    command = [sys.executable, *args]
    return subprocess.run(command, capture_output=True, text=True, preexec_fn=limited_memory)


def commit_link(repo: Path, name: str, target: str) -> None:
    """Commit a symbolic link at the repository's root."""
    (repo / name).symlink_to(target)
    as_person(repo, "add", name)
    as_person(repo, "commit", "-q", "-m", f"{name} as a link")


def test_a_watch_list_linked_to_dev_zero_is_refused_in_one_line(small_archive: Path) -> None:
    commit_link(small_archive, "notify.toml", "/dev/zero")
    result = run_limited(["-m", "archiver", "notify", "--repo", str(small_archive), "--dry-run"])
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    assert result.returncode == 3, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "notify.toml" in errors[0] and "no file" in errors[0], errors


def test_a_cname_linked_to_dev_zero_names_no_domain(small_archive: Path) -> None:
    commit_link(small_archive, "CNAME", "/dev/zero")
    code = (
        "import sys; from pathlib import Path; "
        "from archiver.site.pages_address import configured_base_url; "
        "print(configured_base_url(None, Path(sys.argv[1]), {'GITHUB_REPOSITORY': 'ann/arch'}))"
    )
    result = run_limited(["-c", code, str(small_archive)])
    assert result.returncode == 0, result.stderr
    assert result.stdout == "https://ann.github.io/arch/\n"
