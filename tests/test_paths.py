"""Tests for archiver.paths: keys map to safe, portable paths and back, exactly."""

from __future__ import annotations

import functools
import gzip
import itertools
import json
import ntpath
import os
import posixpath
import re
from pathlib import Path
from typing import Any, cast

import pytest

from archiver.errors import UnsafeKeyError
from archiver.paths import (
    CATEGORIES,
    Category,
    _encoded_path,
    category_dir,
    key_to_path,
    path_to_key,
)

CAPTURES = Path(__file__).resolve().parent / "captures"

# Written from the documented rules, independently of the module's own regexes.
CANONICAL_SEGMENT = re.compile(r"(?:[a-z0-9._~-]|![a-z]|%[0-9A-F]{2})+")
WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {
    f"{d}{n}" for d in ("com", "lpt") for n in range(10)
}

EXAMPLES: list[tuple[Category, str, str]] = [
    ("model", "openai/gpt-4.1", "data/model/openai/gpt-4.1.json"),
    (
        "model",
        "meta-llama/llama-3.1-8b-instruct:free",
        "data/model/meta-llama/llama-3.1-8b-instruct~free.json",
    ),
    ("model", "~openai/gpt-mini-latest", "data/model/%7Eopenai/gpt-mini-latest.json"),
    ("model", "Qwen/QwQ-32B", "data/model/!qwen/!qw!q-32!b.json"),
    ("model", "openrouter/auto", "data/model/openrouter/auto.json"),
    ("model", "a/b", "data/model/a/b.json"),
    ("model", "a/b.json/c", "data/model/a/b%2Ejson/c.json"),
    ("model", "a/b.json", "data/model/a/b.json.json"),
    ("model", "con", "data/model/%63on.json"),
    ("model", "x/Nul.tar.gz", "data/model/x/!nul.tar.gz.json"),
    ("model", "x/nul.tar.gz", "data/model/x/%6Eul.tar.gz.json"),
    ("model", "com7/x", "data/model/%63om7/x.json"),
    ("model", "git:1/x", "data/model/%67it~1/x.json"),
    ("model", ".hidden.", "data/model/%2Ehidden%2E.json"),
    ("model", "...", "data/model/%2E.%2E.json"),
    ("model", "100% ok!", "data/model/100%25%20ok%21.json"),
    ("model", "café", "data/model/caf%C3%A9.json"),
    (
        "endpoint",
        "d68054f9-503c-4742-bbbb-32c415d27aa2",
        "data/endpoint/d68054f9-503c-4742-bbbb-32c415d27aa2.json",
    ),
    ("provider", "google-vertex/us-east5", "data/provider/google-vertex/us-east5.json"),
    ("provider", "sambanova-turbo", "data/provider/sambanova-turbo.json"),
]

HOSTILE_KEYS: list[object] = [
    "../etc/passwd",
    "..",
    ".",
    "a/../../b",
    "a/./b",
    "/etc/passwd",
    "a/",
    "a//b",
    "",
    ".git",
    ".GIT/config",
    "a/.Git/hooks/pre-commit",
    "a\x00b",
    "line\nbreak",
    "tab\there",
    "del\x7f",
    "a\\b",
    "..\\..\\windows",
    "x" * 241,
    "é" * 70,
    "é" * 30 + "/" + "é" * 30,
    "\ud800",
    None,
    5,
    b"openai/gpt-4.1",
    ["openai/gpt-4.1"],
]

NON_CANONICAL_PATHS = [
    "data/model/openai/GPT-4.1.json",
    "data/model/%6Fpenai/gpt-4.1.json",
    "data/model/a%2eb.json",
    "data/model/a:b.json",
    "data/model/con.json",
    "data/model/git~1/x.json",
    "data/model/a/b.json/c.json",
    "data/model/.hidden.json",
    "data/model/a./b.json",
    "data/model/x%2Fy.json",
    "data/model/%C3.json",
    "data/model/!!a.json",
    "data/model/%00.json",
    "data/model/%2E%2E/x.json",
    "data/model/../x.json",
    "data/model//x.json",
    "data/model/.json",
    "data/model/x.JSON",
    "data/model/x",
    "data/model/x.json/",
    "data/models/x.json",
    "model/x.json",
    "/data/model/x.json",
    "./data/model/x.json",
    "data\\model\\x.json",
    "data/model/x.json\n",
    "",
]

WINDOWS_UNSAFE_KEYS = [
    *(f"a{char}b" for char in '<>:"|?*'),
    *(f"{char}/x" for char in '<>:"|?*'),
    "trailing ",
    "trailing.",
    "x /y",
    "x./y",
    " ",
    ". ",
    " .",
    "CON",
    "con",
    "Con.txt/x",
    "aux.json",
    "aux.json/x",
    "com1",
    "lpt9.tar.gz",
    "prn.",
    "nul ",
    "git:1/x",
    "GIT:1/x",
    "git~1/x",
]


def assert_portable(category: str, key: str, path: str) -> None:
    """Assert path is ASCII, canonical, stays in data/<category>/ and is safe on Windows."""
    assert path.isascii()
    prefix = f"data/{category}/"
    assert path.startswith(prefix) and path.endswith(".json")
    assert posixpath.normpath(path) == path
    assert os.path.normpath(path).startswith(os.path.normpath(prefix) + os.sep)
    assert ntpath.normpath(path).startswith(f"data\\{category}\\")
    *folders, file_name = path[len(prefix) :].split("/")
    for segment in [*folders, file_name[: -len(".json")]]:
        assert CANONICAL_SEGMENT.fullmatch(segment), (key, path)
    for name in [*folders, file_name]:
        assert not set('<>:"|?*\\') & set(name), (key, path)
        assert not name.endswith((" ", ".")) and not name.startswith("."), (key, path)
        assert name.partition(".")[0].lower() not in WINDOWS_RESERVED, (key, path)
        assert name.lower() != "git~1", (key, path)
    for folder in folders:
        assert not folder.lower().endswith(".json"), (key, path)
    assert len(path) <= 240


@functools.cache
def capture_keys() -> dict[str, frozenset[str]]:
    """Return every real key in the captures, by category."""
    keys: dict[str, set[str]] = {category: set() for category in CATEGORIES}
    for capture in sorted(CAPTURES.glob("*/*.jsonl.gz")):
        with gzip.open(capture, "rt", encoding="utf-8") as lines:
            next(lines)
            for line in lines:
                response = json.loads(line)
                add_keys(keys, response["url"], response["body"])
    return {category: frozenset(found) for category, found in keys.items()}


def add_keys(keys: dict[str, set[str]], url: str, body: Any) -> None:
    """Add the keys one captured response carries."""
    items = body["data"] if isinstance(body, dict) else []
    # The exact listing paths: /api/v1/models/{author}/{slug}/endpoints is another source.
    path = url.partition("?")[0]
    if path == "/api/v1/models":
        keys["model"].update(item["id"] for item in items)
    elif path == "/api/frontend/v1/catalog/models":
        for item in items:
            keys["model"].add(item["slug"])
            if item.get("endpoint"):
                keys["model"].add(item["endpoint"]["model_variant_slug"])
    elif path == "/api/frontend/v1/stats/endpoint":
        for item in items:
            keys["endpoint"].add(item["id"])
            keys["provider"].add(item["provider_info"]["slug"])
    elif path == "/api/frontend/v1/all-providers":
        keys["provider"].update(item["slug"] for item in items)


def real_keys() -> list[tuple[Category, str]]:
    """Return (category, key) for every real key, skipping when captures are absent."""
    if not CAPTURES.is_dir():
        pytest.skip(f"no captures at {CAPTURES}")
    found = capture_keys()
    return [(category, key) for category in CATEGORIES for key in sorted(found[category])]


@pytest.mark.parametrize(("category", "key", "path"), EXAMPLES)
def test_documented_examples(category: Category, key: str, path: str) -> None:
    assert key_to_path(category, key) == path
    assert path_to_key(path) == (category, key)


def test_category_dir() -> None:
    assert [category_dir(category) for category in CATEGORIES] == [
        "data/model",
        "data/endpoint",
        "data/provider",
    ]
    with pytest.raises(UnsafeKeyError, match="unknown category 'models'"):
        # Deliberately not a Category: the runtime refusal is under test.
        category_dir(cast(Category, "models"))


@pytest.mark.parametrize("category", ["models", "", "../model", "Model"])
def test_unknown_category_is_refused(category: str) -> None:
    with pytest.raises(UnsafeKeyError, match="unknown category") as raised:
        # Deliberately not a Category: the runtime refusal is under test.
        key_to_path(cast(Category, category), "openai/gpt-4.1")
    assert "'openai/gpt-4.1'" in str(raised.value)


def test_every_real_key_round_trips() -> None:
    keys = real_keys()
    # The committed captures hold a few hundred keys (the full ones in ../shared about 1,800).
    assert len({category for category, _ in keys}) == 3 and len(keys) > 300
    paths = {}
    for category, key in keys:
        path = key_to_path(category, key)
        assert path_to_key(path) == (category, key)
        assert_portable(category, key, path)
        paths[path.lower()] = key
    assert len(paths) == len(keys)


def test_plain_real_keys_keep_their_spelling() -> None:
    for category, key in real_keys():
        if re.fullmatch(r"[a-z0-9._/-]+", key):
            assert key_to_path(category, key) == f"data/{category}/{key}.json"


def test_files_on_disk_decode_back(tmp_path: Path) -> None:
    keys: list[tuple[Category, str]] = [("model", key) for key in WINDOWS_UNSAFE_KEYS]
    keys += [(category, key) for category, key, _ in EXAMPLES]
    if CAPTURES.is_dir():
        keys += real_keys()
    for category, key in keys:
        file = tmp_path / key_to_path(category, key)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps({"key": key}), encoding="utf-8")
    found = {
        path_to_key(file.relative_to(tmp_path).as_posix())
        for file in tmp_path.rglob("*")
        if file.is_file()
    }
    assert found == set(keys)


def test_git_accepts_every_path_with_ntfs_and_hfs_protection(tmp_path: Path) -> None:
    pygit2 = pytest.importorskip("pygit2")
    from pygit2.enums import FileMode

    repo = pygit2.init_repository(str(tmp_path))
    repo.config["core.protectNTFS"] = True
    repo.config["core.protectHFS"] = True
    keys = WINDOWS_UNSAFE_KEYS + [key for _, key, _ in EXAMPLES] + ["git:1", "a.git/b"]
    for key in keys:
        file = tmp_path / key_to_path("model", key)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(key, encoding="utf-8")
    repo.index.add_all()
    tree = repo[repo.index.write_tree()]
    stored = [entry for entry in walk_tree(repo, tree, "")]
    assert sorted(path_to_key(path)[1] for path in stored) == sorted(set(keys))
    # The rule for git~1 is not theoretical: git refuses that folder name outright.
    with pytest.raises(Exception, match="invalid path"):
        blob = repo.create_blob(b"{}")
        repo.index.add(pygit2.IndexEntry("data/model/git~1/x.json", blob, FileMode.BLOB))


def walk_tree(repo: Any, tree: Any, prefix: str) -> list[str]:
    """Return the paths of every blob under tree."""
    paths = []
    for entry in tree:
        if entry.type_str == "tree":
            paths += walk_tree(repo, repo[entry.id], f"{prefix}{entry.name}/")
        else:
            paths.append(f"{prefix}{entry.name}")
    return paths


def key_path_docs() -> list[str]:
    """Return every Markdown file that documents the scheme, wherever it was folded in."""
    root = Path(__file__).resolve().parents[1]
    places = [root / "data" / "README.md", root / "archiver" / "archive_readme.md"]
    places.append(root / "docs-key-paths.md")
    docs = [doc.read_text(encoding="utf-8") for doc in places if doc.is_file()]
    docs = [doc for doc in docs if "def path_to_key" in doc]
    if not docs:
        pytest.skip("no Markdown documents the key -> path scheme")
    return docs


def rule_table_examples(doc: str) -> list[tuple[str, str]]:
    """Return the (key, path) pairs of the rule table, the one headed '| Rule | Key |'."""
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Rule | Key |"))
    pairs = []
    for line in itertools.takewhile(lambda line: line.startswith("|"), lines[start + 2 :]):
        cells = line.split(" | ")
        keys, paths = (re.findall(r"`([^`]+)`", cell) for cell in cells[1:3])
        pairs += list(zip(keys, paths, strict=True))
    return pairs


def test_documented_table_matches_the_code() -> None:
    for doc in key_path_docs():
        pairs = rule_table_examples(doc)
        assert len(pairs) >= 10
        for key, path in pairs:
            assert key_to_path("model", key) == f"data/model/{path}"


def test_documented_python_decoder_works() -> None:
    cases = [(category, key) for category, key, _ in EXAMPLES]
    cases += [("model", key) for key in WINDOWS_UNSAFE_KEYS]
    if CAPTURES.is_dir():
        cases += real_keys()
    for doc in key_path_docs():
        code = re.search(r"```python\n((?:(?!```).)*def path_to_key.*?)```", doc, re.DOTALL)
        assert code is not None
        namespace: dict[str, Any] = {}
        exec(code.group(1), namespace)
        for category, key in cases:
            assert namespace["path_to_key"](key_to_path(category, key)) == (category, key)


@pytest.mark.parametrize("key", HOSTILE_KEYS, ids=lambda key: repr(key)[:30])
def test_hostile_key_is_refused_with_its_name(key: object) -> None:
    with pytest.raises(UnsafeKeyError) as raised:
        # Deliberately not a str: the runtime refusal is under test.
        key_to_path("model", cast(str, key))
    message = str(raised.value)
    assert message.startswith("refusing model key ")
    assert repr(key)[:40] in message
    assert "nothing was written" in message


def test_refusal_says_why() -> None:
    with pytest.raises(UnsafeKeyError, match=r"'\.\.' would escape data/"):
        key_to_path("model", "../etc/passwd")
    with pytest.raises(UnsafeKeyError, match="control character U\\+0000"):
        key_to_path("provider", "a\x00")
    with pytest.raises(UnsafeKeyError, match=r"\(limit 200\)"):
        key_to_path("model", "é" * 70)
    with pytest.raises(UnsafeKeyError, match=r"path would be \d+ characters \(limit 240\)"):
        key_to_path("model", "é" * 30 + "/" + "é" * 30)


def test_long_key_is_shown_truncated() -> None:
    with pytest.raises(UnsafeKeyError) as raised:
        key_to_path("model", "x" * 5000)
    assert len(str(raised.value)) < 200


@pytest.mark.parametrize("path", NON_CANONICAL_PATHS)
def test_non_canonical_path_is_refused(path: str) -> None:
    with pytest.raises(UnsafeKeyError, match="refusing path"):
        path_to_key(path)


@pytest.mark.parametrize("path", [None, 5, b"data/model/x.json"])
def test_path_that_is_not_text_is_refused(path: object) -> None:
    with pytest.raises(UnsafeKeyError, match="refusing path"):
        # Deliberately not a str: the runtime refusal is under test.
        path_to_key(cast(str, path))


@pytest.mark.parametrize("key", WINDOWS_UNSAFE_KEYS)
def test_windows_unsafe_names_never_reach_a_path(key: str) -> None:
    path = key_to_path("model", key)
    assert_portable("model", key, path)
    assert path_to_key(path) == ("model", key)


@pytest.mark.parametrize(
    "key",
    ["con", "nul.txt", "a.json/b", ".x", "x.", "com1.txt/y", "lpt0", "a/b.json", "a-b_c.d"],
)
def test_fast_path_agrees_with_full_encoding(key: str) -> None:
    assert key_to_path("model", key) == _encoded_path("model", key)


try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is in the test extra

    def test_properties() -> None:
        pytest.skip("hypothesis is not installed")

else:
    TRICKY_PARTS = st.sampled_from(
        ["", ".", "..", ".git", "con", "NUL", "com1", "lpt9.txt", "git:1", "git~1", "x.json",
         "a", "A", "z", ":", "~", "!", "%", "%2E", "!a", " ", "é", "\\", "\x00", "\x7f", "<",
         ">", '"', "|", "?", "*", "😀", "\ud800", "\u202e", "\uff0f", "ﬀ", "İ"]
    )  # fmt: skip
    SEGMENTS = st.one_of(st.text(max_size=12), st.lists(TRICKY_PARTS, max_size=4).map("".join))
    KEYS = st.one_of(
        st.text(),
        st.lists(SEGMENTS, min_size=1, max_size=5).map("/".join),
        st.text(alphabet="aZé:./", min_size=60, max_size=260),
    )
    CATEGORY = st.sampled_from(CATEGORIES)
    FAST = settings(database=None, deadline=None, max_examples=300)

    def path_or_none(category: Category, key: str) -> str | None:
        """Return key's path, or None when it is refused with a message naming it."""
        try:
            path = key_to_path(category, key)
        except UnsafeKeyError as error:
            assert repr(key)[:40] in str(error)
            return None
        assert_portable(category, key, path)
        assert path_to_key(path) == (category, key)
        return path

    @FAST
    @given(CATEGORY, KEYS)
    def test_any_key_round_trips_or_is_refused(category: Category, key: str) -> None:
        path_or_none(category, key)

    @FAST
    @given(
        CATEGORY, st.lists(st.text(alphabet="aAbB:~!%2E. /", min_size=1, max_size=6), max_size=60)
    )
    def test_no_two_keys_share_a_path_case_insensitively(
        category: Category, keys: list[str]
    ) -> None:
        owners: dict[str, str] = {}
        for key in keys:
            path = path_or_none(category, key)
            if path is not None:
                assert owners.setdefault(path.lower(), key) == key

    @FAST
    @given(st.from_regex(r"[a-z0-9._/-]{1,60}", fullmatch=True))
    def test_fast_path_matches_full_encoding(key: str) -> None:
        try:
            expected = _encoded_path("model", key)
        except UnsafeKeyError:
            with pytest.raises(UnsafeKeyError):
                key_to_path("model", key)
        else:
            assert key_to_path("model", key) == expected

    @FAST
    @given(st.one_of(st.text(alphabet="abAE029.~!%-_/:", max_size=24), st.text(max_size=24)))
    def test_path_to_key_accepts_only_what_key_to_path_writes(body: str) -> None:
        path = f"data/model/{body}.json"
        try:
            category, key = path_to_key(path)
        except UnsafeKeyError as error:
            assert "refusing path" in str(error)
        else:
            assert key_to_path(category, key) == path
