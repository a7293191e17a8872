"""Helpers for tests that build real archives: git queries and what a capture holds."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from archiver.capture.files import Capture
from archiver.paths import path_to_key


def git(repo: Path, *args: str) -> str:
    """Run the git CLI in repo and return its stdout."""
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


# A person's identity, for commits a person makes by hand (a fresh CI machine has none).
PERSON_IDENTITY = {
    "GIT_AUTHOR_NAME": "Ann",
    "GIT_AUTHOR_EMAIL": "ann@example.org",
    "GIT_COMMITTER_NAME": "Ann",
    "GIT_COMMITTER_EMAIL": "ann@example.org",
}


def as_person(repo: Path, *args: str, dated: str | None = None) -> str:
    """Run the git CLI in repo as a person (PERSON_IDENTITY) and return its stdout, as text
    git gives it (bytes past UTF-8 escaped); dated: the time a commit takes (ISO), as a
    person's clock would set it."""
    when = dict.fromkeys(("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"), dated) if dated else {}
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        check=True,
        env={**os.environ, **PERSON_IDENTITY, **when},
    )
    return done.stdout.decode(errors="backslashreplace")


def head(repo: Path) -> str:
    """Return HEAD's commit id."""
    return git(repo, "rev-parse", "HEAD").strip()


def commit_count(repo: Path) -> int:
    """Return how many commits HEAD has."""
    return int(git(repo, "rev-list", "--count", "HEAD"))


def keys_at(repo: Path, rev: str = "HEAD") -> dict[str, set[str]]:
    """Return {category: keys} for every entity file at a revision, read with the git CLI."""
    keys: dict[str, set[str]] = {"model": set(), "endpoint": set(), "provider": set()}
    for path in git(repo, "ls-tree", "-r", "--name-only", rev, "data/").splitlines():
        if path.count("/") >= 2 and path.endswith(".json") and path.split("/")[1] in keys:
            category, key = path_to_key(path)
            keys[category].add(key)
    return keys


def blob(repo: Path, rev: str, path: str) -> bytes:
    """Return a file's bytes at a revision, read with the git CLI."""
    done = subprocess.run(
        ["git", "-C", str(repo), "show", f"{rev}:{path}"], capture_output=True, check=True
    )
    return done.stdout


def status_clean(repo: Path) -> bool:
    """Tell whether `git status` shows nothing at all (untracked files included)."""
    return git(repo, "status", "--porcelain", "--untracked-files=all") == ""


@dataclass
class CaptureEntities:
    """The entity keys a daily capture holds, counted straight from its responses."""

    models: set[str]
    endpoints: set[str]
    providers: set[str]
    v1_models: dict[str, Any]
    endpoint_objects: dict[str, Any]


def remote_and_clone(archive: Path, folder: Path) -> tuple[Path, Path]:
    """Return (a bare remote holding archive's history, a clone of it with a work tree)."""
    remote, clone = folder / "remote.git", folder / "clone"
    subprocess.run(["git", "clone", "-q", "--bare", str(archive), str(remote)], check=True)
    subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True)
    return remote, clone


# `python -c` this with the CLI's arguments: it runs the command, then prints its own peak
# memory (VmHWM, this process's high-water mark: Linux carries ru_maxrss across fork and
# exec, so that would be the pytest worker's size) as `peak-rss-kb N` on stderr.
RUN_WITH_PEAK_RSS = """
import re, sys
from archiver.cli import main
try:
    main(sys.argv[1:], prog_name="archiver")
except SystemExit as exit:
    code = exit.code
with open("/proc/self/status") as status:
    peak = re.search(r"VmHWM:\\s+(\\d+) kB", status.read())[1]
print(f"peak-rss-kb {peak}", file=sys.stderr)
sys.exit(code)
"""


def capture_entities(capture: Capture) -> CaptureEntities:
    """Count a capture's entities from the raw bodies, independently of the archiver."""
    v1: dict[str, Any] = {}
    catalog: list[Any] = []
    providers: set[str] = set()
    endpoints: dict[str, Any] = {}
    for response in capture.responses:
        path = response.url.split("?")[0]
        data: list[Any] = response.body["data"] if isinstance(response.body, dict) else []
        if path == "/api/v1/models":
            v1 = {item["id"]: item for item in data}
        elif path == "/api/frontend/v1/catalog/models":
            catalog = data
        elif path == "/api/frontend/v1/all-providers":
            providers |= {item["slug"] for item in data}
        elif path == "/api/frontend/v1/stats/endpoint":
            for item in data:
                endpoints.setdefault(item["id"], item)
    models = set(v1)
    for entry in catalog:
        featured = entry["endpoint"]
        models.add(featured["model_variant_slug"] if featured else entry["slug"])
        if featured:
            endpoints.setdefault(featured["id"], featured)
    providers |= {e["provider_info"]["slug"] for e in endpoints.values()}
    return CaptureEntities(models, set(endpoints), providers, v1, endpoints)


def load(data: bytes) -> Any:
    """Parse JSON bytes."""
    return orjson.loads(data)


def built_once(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """Return a folder that `build` filled once for the whole run, on whichever worker asked
    first; the others wait for it. Read only: copy what a test writes to.

    Under xdist every worker is a process with its own session fixtures, so a session build
    ran once per worker. The folder sits beside the workers' temp folders (one parent per run,
    never reused by the next run), and the lock makes a late worker wait for the build rather
    than repeat it. A build that failed leaves no `.done`: the next worker builds afresh.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        folder = factory.mktemp(name)
        build(folder)
        return folder
    shared = factory.getbasetemp().parent
    folder, done = shared / name, shared / f"{name}.done"
    with open(shared / f"{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # Released when the file closes, even on a failure.
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


# git's words when GitHub's git service fails a moment, and an upload-pack that serves a
# blob-less clone's fetches of single objects.
GITHUB_502 = "error: RPC failed; HTTP 502 curl 22 The requested URL returned error: 502"
UPLOAD_PACK = "git -c uploadpack.allowfilter=1 -c uploadpack.allowanysha1inwant=1 upload-pack"


def flaky_upload_pack(folder: Path) -> Path:
    """Return an upload-pack (the program git runs on the remote's side of a fetch) that
    fails its first run with GitHub's 502 words, then serves as UPLOAD_PACK does; each run
    adds a line to folder/runs."""
    runs, script = folder / "runs", folder / "flaky-upload-pack"
    script.write_text(
        f"#!/bin/sh\necho x >> '{runs}'\n"
        f"if [ $(wc -l < '{runs}') -le 1 ]; then echo '{GITHUB_502}' >&2; exit 1; fi\n"
        f'exec {UPLOAD_PACK} "$@"\n'
    )
    script.chmod(0o755)
    return script


def stranger_repository(tmp_path: Path) -> Path:
    """Return a person's own git repository that is no archive (a home folder under git),
    with a folder `project/notes` inside it, committed."""
    home = tmp_path / "home"
    (home / "project" / "notes").mkdir(parents=True)
    (home / "project" / "b.txt").write_text("b\n")
    person = ["-c", "user.name=p", "-c", "user.email=p@example.com"]
    for args in (["init", "-q"], ["add", "-A"], [*person, "commit", "-qm", "mine"]):
        subprocess.run(["git", "-C", str(home), *args], check=True, capture_output=True)
    return home
