"""An endpoint whose tag moves while it stays on the ZDR list neither leaves nor joins it.

OpenRouter's ZDR list names an endpoint by its model's permaslug and its provider tag, and a
tag follows the quantization: on 2026-07-19 Mancer's gpt-oss-120b endpoint went from
`mancer/fp4` to `mancer/fp8` and stayed listed. The ledger then drops the old name and adds
the new one; `archiver changes --kind zdr`, the feeds and `notify` said the endpoint "left
the zero-data-retention list" and "joined" it in the same sync, when it never left.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.cli import main
from tests.small_captures import small_daily, sync_small, with_models_only
from tests.test_zdr import read_zdr_lists

MODEL = "openai/gpt-oss-120b"
MANCER = "d4a6816a-826d-4988-a8ed-2caa3f7f398d"


def mancer_changes(repo: Path, lists: list[Capture]) -> list[dict[str, Any]]:
    """Sync the last two small days cut to MODEL with these ZDR lists; return the second
    sync's changes of Mancer's endpoint, as `archiver changes --json` prints them."""
    days = small_daily()[1:]
    for day, zdr in zip(days, lists, strict=True):
        cut = with_models_only(day, {MODEL})
        sync_small(repo, replace(cut, responses=cut.responses + zdr.responses))
    since = days[1].time.replace(minute=0, second=0).isoformat()
    result = CliRunner().invoke(main, ["changes", "--repo", str(repo), "--json", "--since", since])
    assert result.exit_code == 0, result.output
    (group,) = json.loads(result.output)
    return [change for change in group["changes"] if change["key"] == MANCER]


def test_a_tag_that_moves_on_the_list_is_no_zdr_change(tmp_path: Path) -> None:
    mancer = mancer_changes(tmp_path, read_zdr_lists()[1:])
    # Its own change (price, quantization fp4 -> fp8) is told; no ZDR leave or join.
    assert [change["kinds"] for change in mancer] == [["price", "quantization", "features"]]
    assert "zero-data-retention" not in mancer[0]["summary"]


def test_an_endpoint_that_really_leaves_is_still_told(tmp_path: Path) -> None:
    # The new list without Mancer's fp8 entries: the endpoint left under its old tag.
    lists = read_zdr_lists()[1:]
    (response,) = lists[1].responses
    kept = [entry for entry in response.body["data"] if entry["tag"] != "mancer/fp8"]
    lists[1] = replace(lists[1], responses=(replace(response, body={"data": kept}),))
    zdr = [change for change in mancer_changes(tmp_path, lists) if "zdr" in change["kinds"]]
    assert [change["kinds"] for change in zdr] == [["zdr"]]
    assert zdr[0]["summary"].endswith("left the zero-data-retention list")
