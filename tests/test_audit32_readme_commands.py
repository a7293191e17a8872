"""The README's history commands run as written, on an archive of the small captures.

STYLE.md: "README commands are run by a test". tests/test_readme.py runs the quick start and
tests/test_export.py the DuckDB queries; the examples of `log`, `show`, `changes`, `price`,
`cost`, `telemetry`, `notify`, `site` and `checkout-recent` were run by nothing, so a renamed
option or a key no longer archived left the README showing a command that fails.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.capture.files import read_capture
from archiver.cli import main
from tests.small_captures import SMALL_DAILY, sync_small, with_models_only

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
# The models the examples name: the endpoint d68054f9-... is AI21's Jamba Large 1.7 on AI21.
MODELS = {"openai/gpt-4.1", "z-ai/glm-5.2", "ai21/jamba-large-1.7"}
# Not run here: sync and replay need OpenRouter or a port, import reads ../shared, and export
# runs in tests/test_export.py with its queries.
ELSEWHERE = {"sync", "import", "replay", "export"}


def readme_commands() -> list[list[str]]:
    """Return the arguments of every `archiver ... --repo archive` line of the README's
    Commands section, without shell redirections or what follows `&&`."""
    section = README.split("\n## Commands", 1)[1].split("\n## ", 1)[0]
    found = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in block.splitlines():
            words = shlex.split(line.split("&&")[0].split(" > ")[0])
            if words[:1] == ["archiver"] and "archive" in words and words[1] not in ELSEWHERE:
                found.append(words[1:])
    return found


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a folder holding `archive`: the small daily captures, cut to the examples'
    models, synced in turn."""
    root = tmp_path_factory.mktemp("readme")
    for path in SMALL_DAILY:
        assert sync_small(root / "archive", with_models_only(read_capture(path), MODELS)).commit_id
    return root


def test_the_readme_shows_the_history_commands() -> None:
    commands = {words[0] for words in readme_commands()}
    assert {"log", "show", "changes", "price", "cost", "telemetry", "notify", "site"} <= commands


@pytest.mark.parametrize("args", readme_commands(), ids=" ".join)
def test_a_readme_command_runs(
    args: list[str], workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("ARCHIVER_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() or result.stderr.strip()
    if args[0] == "site":
        assert (workdir / "site" / "index.html").is_file()
    assert os.path.isdir(workdir / "archive" / ".git")


def test_every_help_shows_an_example_that_parses() -> None:
    """README: "`archiver COMMAND --help` shows each one with an example"."""
    assert "`archiver COMMAND --help` shows each one with an example" in README
    for name, command in main.commands.items():
        assert "Example:" in (command.help or ""), name
        example = (command.help or "").split("Example:", 1)[1]
        lines = [line.split("  #")[0] for line in example.splitlines() if "archiver " in line]
        assert lines, name
        for line in lines:
            words = shlex.split(line)
            words = words[words.index("archiver") + 1 :]
            known = {opt for param in main.commands[words[0]].params for opt in param.opts}
            unknown = [word for word in words if word.startswith("--") and word not in known]
            assert not unknown, (name, line)
