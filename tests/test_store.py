"""The store's commits, read back by the git CLI: trees, folders, index and work tree."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from archiver.archive.store import Store
from archiver.errors import StoreError


def git(repo: Path, *args: str) -> str:
    """Run git in repo and return its output."""
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def committed_files(repo: Path) -> dict[str, str]:
    """Return {path: content} of every file at HEAD, as git itself reads it."""
    paths = git(repo, "ls-tree", "-r", "--name-only", "HEAD").split("\n")
    return {p: git(repo, "show", f"HEAD:{p}") for p in paths if p}


def test_commits_match_what_git_add_would_make(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.commit(
        {"data/a/1.json": b"1\n", "data/a/2.json": b"2\n", "data/b/x/3.json": b"3\n"}, [], "one"
    )
    # Change one, add one in a new folder, remove the only file of a nested folder, and
    # remove a path that never existed (which must not create its folder).
    store.commit(
        {"data/a/1.json": b"one\n", "data/c/4.json": b"4\n"},
        ["data/b/x/3.json", "data/nowhere/5.json"],
        "two",
    )
    assert committed_files(tmp_path) == {
        "data/a/1.json": "one\n",
        "data/a/2.json": "2\n",
        "data/c/4.json": "4\n",
    }
    assert "b" not in git(tmp_path, "ls-tree", "--name-only", "HEAD:data").split()
    assert not (tmp_path / "data" / "b" / "x").exists()
    # The same files staged by git give the same tree: ours is a tree git would write.
    git(tmp_path, "read-tree", "--empty")
    git(tmp_path, "add", "-A")
    assert git(tmp_path, "write-tree").strip() == git(tmp_path, "rev-parse", "HEAD^{tree}").strip()
    git(tmp_path, "fsck", "--strict")


def test_index_and_work_tree_are_clean_after_each_commit(tmp_path: Path) -> None:
    store = Store(tmp_path)
    files = {f"data/endpoint/{n:04}.json": b"%d\n" % n for n in range(300)}
    store.commit(files, [], "one")
    store.commit({"data/endpoint/0007.json": b"seven\n"}, ["data/endpoint/0008.json"], "two")
    assert git(tmp_path, "status", "--porcelain") == ""
    # Stat data is recorded for every entry: no file needs hashing to know it is unchanged.
    assert git(tmp_path, "diff-files", "--name-only") == ""
    assert (tmp_path / "data/endpoint/0007.json").read_bytes() == b"seven\n"
    debug = git(tmp_path, "ls-files", "--debug")
    assert debug.count("  ctime: ") == 299
    assert "ctime: 0:0" not in debug and "mtime: 0:0" not in debug
    # The index's tree cache (its TREE extension) is valid at the root, with 299 entries:
    # the next commit's staged-changes check is a lookup, not a rebuild of every folder.
    index = (tmp_path / ".git" / "index").read_bytes()
    extension = index[index.index(b"TREE") + 8 :]
    assert extension.startswith(b"\x00299 ")
    assert store.commit({"data/endpoint/0007.json": b"seven\n"}, [], "three") is None


def test_staged_changes_are_refused(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.commit({"data/a.json": b"1\n"}, [], "one")
    (tmp_path / "data" / "b.json").write_text("2\n")
    git(tmp_path, "add", "data/b.json")
    with pytest.raises(StoreError, match="staged changes"):
        store.commit({"data/a.json": b"2\n"}, [], "two")
    assert committed_files(tmp_path) == {"data/a.json": "1\n"}


def test_a_symlinked_folder_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    repo, elsewhere = tmp_path / "repo", tmp_path / "elsewhere"
    store = Store(repo)
    store.commit({"data/a/1.json": b"1\n"}, [], "one")
    elsewhere.mkdir()
    (repo / "data" / "b").symlink_to(elsewhere, target_is_directory=True)
    before = git(repo, "rev-parse", "HEAD")
    with pytest.raises(StoreError, match=r"data/b is a symbolic link"):
        store.commit({"data/b/2.json": b"2\n", "data/a/1.json": b"one\n"}, [], "two")
    assert list(elsewhere.iterdir()) == []
    assert git(repo, "rev-parse", "HEAD") == before
    assert (repo / "data" / "a" / "1.json").read_bytes() == b"1\n"


def test_a_symlink_where_a_file_goes_is_replaced_not_followed(tmp_path: Path) -> None:
    repo, outside = tmp_path / "repo", tmp_path / "outside.json"
    store = Store(repo)
    store.commit({"data/a/1.json": b"1\n"}, [], "one")
    outside.write_bytes(b"precious\n")
    (repo / "data" / "a" / "1.json").unlink()
    (repo / "data" / "a" / "1.json").symlink_to(outside)
    (repo / "data" / "a" / "2.json").symlink_to(tmp_path / "dangling.json")
    store.commit({"data/a/1.json": b"one\n", "data/a/2.json": b"2\n"}, [], "two")
    assert outside.read_bytes() == b"precious\n"
    assert not (tmp_path / "dangling.json").exists()
    assert not (repo / "data" / "a" / "2.json").is_symlink()
    assert (repo / "data" / "a" / "1.json").read_bytes() == b"one\n"
    assert committed_files(repo) == {"data/a/1.json": "one\n", "data/a/2.json": "2\n"}


def test_an_os_failure_becomes_one_line_naming_the_repository(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x\n")
    with pytest.raises(StoreError, match=r"cannot open or create a git repository at .*afile"):
        Store(tmp_path / "afile" / "archive")
