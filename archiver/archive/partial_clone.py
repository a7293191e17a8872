"""Blobs a partial clone lacks, fetched in one request before they are read.

A clone made with ``--filter=blob:none`` holds every commit and tree but only the blobs its
checkout needed. git fetches a missing blob when a git command reads it, one round trip
per blob, and pygit2 (libgit2) cannot fetch at all: it reads such a blob as missing. So
old versions are read through :class:`BlobReader`: a reader about to read a known set of
blobs first asks it for the missing ones (``prefetch``: one ``git fetch`` of their ids from
the promisor remote, as git's own batch prefetch does), and a blob no batch foresaw is
fetched alone when read. A repository that is not a partial clone has nowhere to fetch
from: a blob missing there reads as None, and its reader reports it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterable
from subprocess import PIPE

import pygit2

from archiver.backoff import while_connection_lost
from archiver.errors import StoreError

__all__ = ["BlobReader", "git_fetch", "promisor_remote"]

# How long one fetch may go without finishing: far beyond the hourly job's fetches.
FETCH_SECONDS = 600.0


class BlobReader:
    """The blobs of a repository's versions, read with pygit2, in a partial clone fetched
    first where it lacks them: many in one request (prefetch), or one when read alone."""

    def __init__(self, repo: pygit2.Repository) -> None:
        self.repo = repo
        # Read once: the remote that fills a partial clone does not change while it is read.
        self.remote = promisor_remote(repo)

    def prefetch(self, blob_ids: Iterable[str | None]) -> int:
        """Fetch the blobs among blob_ids the repository lacks, in one request; return how many."""
        # Elsewhere nothing can be fetched: telling present blobs from missing ones would
        # look each one up for nothing.
        if self.remote is None:
            return 0
        missing = sorted({blob for blob in blob_ids if blob and blob not in self.repo})
        if missing:
            options = ["-c", "fetch.negotiationAlgorithm=noop", "fetch", "--filter=blob:none"]
            git_fetch(
                self.repo,
                [*options, "--stdin", self.remote],
                stdin="\n".join(missing),
                what=f"{len(missing)} blobs from {self.remote}",
                advice="check the network, or clone without --filter and retry",
            )
        return len(missing)

    def data(self, blob_id: str) -> bytes | None:
        """Return a blob's bytes (None: the repository lacks it and has nowhere to fetch it)."""
        blob = self.repo.get(blob_id)
        if blob is None and self.remote is not None:
            self.prefetch([blob_id])  # No batch foresaw it: one request for this one blob.
            blob = self.repo.get(blob_id)
        return blob.data if isinstance(blob, pygit2.Blob) else None


def promisor_remote(repo: pygit2.Repository) -> str | None:
    """Return the remote a partial clone fetches missing objects from, or None."""
    config = repo.config
    for entry in config:
        name = entry.name.lower()
        if name == "extensions.partialclone" and entry.value:
            return str(entry.value)
        promisor = name.startswith("remote.") and name.endswith(".promisor")
        if promisor and config.get_bool(entry.name):
            return str(entry.name[len("remote.") : -len(".promisor")])
    return None


def git_fetch(
    repo: pygit2.Repository, arguments: list[str], stdin: str, what: str, advice: str
) -> None:
    """Run one quiet `git fetch` into repo (arguments: options, `fetch`, then its own).

    A failure raises one line naming what was fetched, git's last word and the advice.
    """
    git = shutil.which("git")
    if git is None:
        raise StoreError("reading history from a clone's remote needs the git command (2.29+)")
    at = arguments.index("fetch") + 1
    quiet = ["--quiet", "--no-tags", "--no-write-fetch-head", "--recurse-submodules=no"]
    command = [git, f"--git-dir={repo.path}", *arguments[:at], *quiet, *arguments[at:]]
    # A fetch that lost its connection (GitHub's git service failing a moment) is tried
    # again, as the sync's own fetches are: in the hourly job, a sync reading an old shard or
    # fast-forwarding failed at once, and the hour was not archived.

    def attempt() -> tuple[tuple[int, str], str | None]:
        # In a process group of its own, so that a remote that never answers is given up with
        # the transport git started (the hourly job would hang until Actions cancelled it).
        with subprocess.Popen(
            command, stdin=PIPE, stdout=PIPE, stderr=PIPE, start_new_session=True
        ) as process:
            try:
                _, stderr = process.communicate(stdin.encode(), timeout=FETCH_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                raise StoreError(
                    f"could not fetch {what} into {repo.path} (no answer from the remote in "
                    f"{FETCH_SECONDS:g} s; stopped); {advice}"
                ) from None
        said = stderr.decode(errors="replace")
        return (process.returncode, said), said if process.returncode else None

    returncode, said = while_connection_lost(attempt)
    if returncode:
        lines = said.strip().splitlines()
        # git's reason is its last fatal: or error: line; what follows it is advice
        # ("Please make sure you have the correct access rights and the repository exists.").
        told = [line for line in lines if line.startswith(("fatal:", "error:"))] or lines
        raise StoreError(
            f"could not fetch {what} into {repo.path} (git fetch exit {returncode}: "
            f"{told[-1] if told else 'no message'}); {advice}"
        )
