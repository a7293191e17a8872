"""The same failures read the same in every sync's commit message, whatever the process.

A sync's failure and note lines were gathered as responses arrived and while walking sets
of keys, whose order Python draws anew in each process (string hashing is seeded per run):
an hourly job syncing the same refused model keys wrote them in another order every hour,
a commit message differing where nothing did. One small real capture whose /api/v1/models
also lists keys that would escape data/, imported by two real processes with different
hash seeds: the messages' failure lines are the same, in text order.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from archiver.capture.files import Capture, CapturedResponse, read_capture, write_capture
from archiver.upstream import sources
from tests.small_captures import SMALL_DAILY, with_models_only

ROOT = Path(__file__).resolve().parents[1]
MODEL = "z-ai/glm-5.2"
SEEDS = (1, 2)


def _with_escaping_keys(capture: Capture) -> Capture:
    """Return the capture with /api/v1/models also listing six keys no file may hold."""
    responses = []
    for response in capture.responses:
        body = response.body
        if response.url == sources.V1_MODELS:
            body = orjson.loads(orjson.dumps(body))
            body["data"] += [{**body["data"][0], "id": f"evil{n}/../../x{n}"} for n in range(6)]
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    return Capture(capture.time, capture.source, "escaping keys", tuple(responses))


def _detail_lines(repo: Path, capture: Path, seed: int) -> list[str]:
    """Return the `- ` lines of the commit an import by a process of this hash seed makes."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONPATH": path}
    done = subprocess.run(
        [sys.executable, "-m", "archiver", "import", "--repo", str(repo), str(capture)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    message = subprocess.run(
        ["git", "-C", str(repo), "log", "-1", "--format=%B"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in message.splitlines() if line.startswith("- ")]


@pytest.fixture(scope="module")
def capture_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cut = read_capture(SMALL_DAILY[0])
    capture = _with_escaping_keys(with_models_only(cut, {MODEL}))
    path = tmp_path_factory.mktemp("order") / "capture.jsonl.gz"
    write_capture(path, capture.time, capture.source, capture.note, capture.responses)
    return path


def test_the_same_failures_read_the_same_in_every_process(
    capture_file: Path, tmp_path: Path
) -> None:
    runs = [_detail_lines(tmp_path / f"seed{seed}", capture_file, seed) for seed in SEEDS]
    refused = [line for line in runs[0] if "would escape data/" in line]
    assert len(refused) == 6, runs[0]
    assert runs[1] == runs[0]
    assert refused == sorted(refused)
