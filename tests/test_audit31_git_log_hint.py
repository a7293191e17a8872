"""The `git log -p PATH` an entity page suggests reads as that one path in a shell.

Each page's change history ends "In git: `git log -p data/model/PATH.json`". An upper-case
letter is archived as `!` and its lower case (`Llama` is `!llama`), and an interactive
bash reads `!llama` as a history event: pasted, the line failed with "event not found".
The line goes through a real interactive bash here, with printf in place of git.
"""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import orjson

from archiver.paths import key_to_path
from archiver.site import build_site
from tests.small_captures import small_daily, sync_small, with_models_only
from tests.test_audit30_site_shell import HOSTILE_KEYS, SOURCE_MODEL, _with_models

KEYS = (*HOSTILE_KEYS, "Meta/Llama-3-Big", "evil/wow!now")
_HINT = re.compile(r"<code>git log -p (.*?)</code>")


def _interactive(lines: list[str], folder: Path) -> list[str]:
    """Return what an interactive bash prints running lines typed in, one by one."""
    typed = "".join(f"printf '%s\\n' {line}\n" for line in lines)
    return subprocess.run(
        ["bash", "--norc", "--noprofile", "-i"],
        input=typed,
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder), "HISTFILE": "/dev/null"},
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()


def test_the_git_log_hint_is_one_path_in_an_interactive_bash(tmp_path: Path) -> None:
    capture = with_models_only(small_daily()[-1], {SOURCE_MODEL})
    log = sync_small(tmp_path / "archive", _with_models(capture, KEYS))
    assert log.commit_id and not log.failures, log.failures
    site = tmp_path / "site"
    build_site(tmp_path / "archive", site)
    models = orjson.loads((site / "api" / "models.json").read_bytes())["models"]
    pages = {item["key"]: item["page"] for item in models}
    keys = (*KEYS, SOURCE_MODEL)
    hints = []
    for key in keys:
        found = _HINT.findall((site / pages[key]).read_text())
        assert found, key
        hints += [html.unescape(hint) for hint in found]
    assert "!meta/!llama-3-!big" in " ".join(hints)  # The upper case, as archived.
    work = tmp_path / "work"
    work.mkdir()
    assert _interactive(hints, work) == [key_to_path("model", key) for key in keys]
    assert list(work.iterdir()) == []  # No `touch` ran.
