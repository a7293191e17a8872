"""An export killed before its manifest is finished by the next run, not refused.

A first export into an empty folder writes its partitions, then the manifest. Killed in
between (SIGKILL, a full disk, a cancelled job), it left partitions and no manifest, and
every later `archiver export` into that folder refused it as "not an archiver export": the
hourly export stopped for good until someone emptied the folder by hand. A real archive
from a small capture, the real command in a subprocess, killed while it writes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archiver.capture.files import Capture
from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]

pytest.importorskip("pyarrow")


def _export(repo: Path, out: Path) -> subprocess.Popen[bytes]:
    """Start `archiver export --format parquet` of repo into out."""
    command = [sys.executable, "-m", "archiver", "export", "--repo", str(repo)]
    return subprocess.Popen(
        [*command, "--format", "parquet", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _contents(out: Path) -> dict[str, bytes]:
    """Return every file under out by its relative path."""
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }


def _killed_after(repo: Path, out: Path, files: int) -> int:
    """Kill an export into out once it has written `files` partitions; return how many
    files it had written (the manifest, written last, must not be among them)."""
    export = _export(repo, out)
    try:
        while export.poll() is None:
            written = [path for path in out.rglob("*.parquet*") if path.is_file()]
            if len(written) >= files:
                break
            time.sleep(0.001)
    finally:
        export.send_signal(signal.SIGKILL)
        stderr = export.communicate()[1]
    assert export.returncode == -signal.SIGKILL, f"the export ended first: {stderr.decode()}"
    assert not (out / "manifest.json").exists()
    return len(list(out.rglob("*.parquet*")))


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_an_export_killed_before_its_manifest_is_redone_by_the_next_run(
    small_archive: Path, small_captures: list[Capture], tmp_path: Path
) -> None:
    whole = tmp_path / "whole"
    export = _export(small_archive, whole)
    assert export.communicate() and export.returncode == 0
    expected = _contents(whole)
    partitions = len([name for name in expected if name.endswith(".parquet")])
    assert partitions > 2

    for files in (1, partitions // 2):
        out = tmp_path / f"killed-after-{files}"
        assert _killed_after(small_archive, out, files) >= files
        rerun = _export(small_archive, out)
        stderr = rerun.communicate()[1]
        assert rerun.returncode == 0, stderr.decode()
        assert _contents(out) == expected  # Byte for byte, nothing half-written left.


def test_a_folder_with_a_partition_and_a_file_of_the_users_is_still_refused(
    small_archive: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    partition = out / "models" / "month=2026-07" / "part-0.parquet"
    partition.parent.mkdir(parents=True)
    partition.write_bytes(b"PAR1")
    (out / "notes.txt").write_text("mine")
    export = _export(small_archive, out)
    stderr = export.communicate()[1]
    assert export.returncode == 3 and b"not an archiver export" in stderr
    assert stderr.decode().strip().count("\n") == 0
    assert sorted(_contents(out)) == ["models/month=2026-07/part-0.parquet", "notes.txt"]
