"""The README's option tables and kind lists say what the commands do.

tests/test_readme.py checks that every option is named; nothing checked the defaults the
tables give, nor the lists of change kinds (README, `archiver changes`; data/README.md,
notify.toml) against the kinds `archiver changes --kind` and `archiver notify` use: a default
or a kind changed in the code left the README stating the old one.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import pytest

from archiver.cli import main
from archiver.history.kinds import Kind
from archiver.notify import DEFAULT_KINDS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
LAYOUT = (ROOT / "data" / "README.md").read_text()
# "(default 8)", "(default `https://openrouter.ai`)", "(default 0.10; ...)", "(default 40)".
DEFAULT = re.compile(r"\(default (?:`([^`]+)`|([^;:),\s]+))")


def option_rows() -> list[tuple[str, str, str]]:
    """Return (command, option, stated default) of every option table row that states one."""
    rows = []
    for section in re.finditer(r"^### `archiver ([a-z-]+)`$(.*?)(?=^##)", README, re.M | re.S):
        for option, text in re.findall(r"^\| `(--[a-z-]+)[^|]*\| (.*)\|$", section[2], re.M):
            stated = DEFAULT.search(text)
            if stated:
                rows.append((section[1], option, stated[1] or stated[2]))
    return rows


def click_default(command: str, option: str) -> Any:
    """Return the default of one option of one command."""
    found = main.commands[command]
    (param,) = [p for p in found.params if option in p.opts]
    return param.default


def same(stated: str, default: Any) -> bool:
    """Tell whether the README's text states the default (0.10 states 0.1, 30 states 30.0)."""
    if isinstance(default, int | float) and not isinstance(default, bool):
        return Decimal(stated) == Decimal(str(default))
    return stated == str(default)


def test_the_tables_state_defaults() -> None:
    stated = {(command, option) for command, option, _ in option_rows()}
    assert {("sync", "--concurrency"), ("site", "--out"), ("checkout-recent", "--days")} <= stated
    assert len(stated) >= 15


@pytest.mark.parametrize(("command", "option", "stated"), option_rows())
def test_each_stated_default_is_the_commands(command: str, option: str, stated: str) -> None:
    if (command, option) == ("site", "--cache"):
        from archiver.site.incremental import default_cache_dir

        assert click_default(command, option) is None  # Found in the repository's .git.
        assert default_cache_dir(ROOT).as_posix().endswith(stated)
        return
    assert same(stated, click_default(command, option)), (command, option, stated)


def test_defaults_stated_in_prose_are_the_commands() -> None:
    assert "named by `--webhook-env` (default `ARCHIVER_WEBHOOK_URL`)" in README
    assert click_default("notify", "--webhook-env") == "ARCHIVER_WEBHOOK_URL"
    assert "`--upstream-branch` is upstream's branch\n(default `main`)" in README
    assert click_default("update-code", "--upstream-branch") == "main"
    assert click_default("update-code", "--remote") == "origin"
    assert "`--max-removal-share F` | as for `archiver sync`" in README
    assert click_default("import", "--max-removal-share") == click_default(
        "sync", "--max-removal-share"
    )


def kinds_in(text: str, start: str, end: str) -> list[str]:
    """Return the backquoted words from start up to end, in order."""
    return re.findall(r"`([a-z_]+)`", text.split(start, 1)[1].split(end, 1)[0])


def test_the_readme_lists_every_kind_in_order() -> None:
    every = [kind.value for kind in Kind]
    assert kinds_in(README, "Kinds, most important first:", "Within a sync") == every
    changes = main.commands["changes"]
    (kind,) = [p for p in changes.params if "--kind" in p.opts]
    assert isinstance(kind.type, click.Choice) and list(kind.type.choices) == every


def test_the_watch_list_doc_lists_every_kind_and_the_default() -> None:
    every = [kind.value for kind in Kind]
    assert kinds_in(LAYOUT, "\nKinds: ", "Without the file") == every
    default = kinds_in(LAYOUT, "Without the file: ", "changes of everything")
    assert set(default) == {kind.value for kind in DEFAULT_KINDS}
    assert default == [kind for kind in every if kind in default]
