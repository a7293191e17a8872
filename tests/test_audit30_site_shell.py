"""The command a model page suggests runs that model's cost, whatever its key holds.

Each model page says "on the command line, `archiver cost KEY --at TIME ...`" with the key
as upstream sent it. A key is any text SPEC's safe paths take (only control characters
and backslashes are refused), so a key holding `$(...)`, a backtick or `;` made that line,
pasted into a shell, run what the key says, and a key starting `~root/` named /root.
The line goes through a real bash here, with printf in place of archiver.
"""

from __future__ import annotations

import copy
import html
import re
import subprocess
from pathlib import Path

import orjson
import pytest

from archiver.capture.files import Capture, CapturedResponse
from archiver.site import build_site
from archiver.upstream import sources
from tests.small_captures import small_daily, sync_small, with_models_only

SOURCE_MODEL = "openai/gpt-4.1"
HOSTILE_KEYS = (
    "evil/$(touch ran-dollar)",
    "evil/`touch ran-backtick`;touch ran-semicolon",
    "~root/gpt & touch ran-ampersand",
    'evil/it\'s "quoted" | cat',
)
_HINT = re.compile(r"<code>(archiver cost .*? --at TIME --input N --output M)</code>")


def _with_models(capture: Capture, keys: tuple[str, ...]) -> Capture:
    """Return the capture with SOURCE_MODEL's catalog and v1 records copied under each key
    (catalog-listed without an endpoint, so priced by v1's list price)."""
    bodies = {r.url: copy.deepcopy(r.body) for r in capture.responses}
    catalog, v1 = bodies[sources.CATALOG_MODELS], bodies[sources.V1_MODELS]
    entry = next(e for e in catalog["data"] if e["slug"] == SOURCE_MODEL)
    listed = next(m for m in v1["data"] if m["id"] == SOURCE_MODEL)
    for number, key in enumerate(keys):
        permaslug = f"hostile-{number}"
        catalog["data"].append({**entry, "slug": key, "permaslug": permaslug, "endpoint": None})
        v1["data"].append({**listed, "id": key, "canonical_slug": permaslug})
    responses = tuple(
        CapturedResponse(r.method, r.url, r.status, bodies[r.url]) for r in capture.responses
    )
    return Capture(capture.time, capture.source, "hostile model keys", responses)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the site of an archive holding models under HOSTILE_KEYS."""
    root = tmp_path_factory.mktemp("shell-keys")
    capture = with_models_only(small_daily()[-1], {SOURCE_MODEL})
    log = sync_small(root / "archive", _with_models(capture, HOSTILE_KEYS))
    assert log.commit_id and not log.failures, log.failures
    build_site(root / "archive", root / "site")
    return root / "site"


def test_the_suggested_command_is_one_word_per_argument_in_bash(
    hostile_site: Path, tmp_path: Path
) -> None:
    models = orjson.loads((hostile_site / "api" / "models.json").read_bytes())["models"]
    pages = {item["key"]: item["page"] for item in models}
    for key in HOSTILE_KEYS:
        hint = _HINT.search((hostile_site / pages[key]).read_text())
        assert hint, key
        command = html.unescape(hint.group(1))
        words = subprocess.run(
            ["bash", "-c", "printf '%s\\n' " + command.removeprefix("archiver ")],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        assert words == ["cost", key, "--at", "TIME", "--input", "N", "--output", "M"], command
    assert list(tmp_path.iterdir()) == []  # No `touch` ran.


def test_a_plain_key_reads_as_it_is(hostile_site: Path) -> None:
    page = (hostile_site / "model" / "openai" / "gpt-4.1.html").read_text()
    assert "<code>archiver cost openai/gpt-4.1 --at TIME" in page
