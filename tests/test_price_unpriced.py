"""`archiver price` shows a price field that holds no number as archived, never drops it.

Upstream has sent prices as strings of digits for years; when one turns into "x", null, a
list or an object, the archive keeps it as sent. `archiver price` read only the fields that
hold a number, so such a field vanished from its sheet and a reader took the endpoint to
have no such price. Each drifted field is now listed under "not a number, shown as
archived", in a long-context tier too, and in `--json` as `unpriced`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from archiver.cli import main
from archiver.paths import key_to_path
from tests.archive_helpers import blob
from tests.small_captures import small_daily, sync_small, with_first_endpoints_edited

DRIFTED: dict[str, Any] = {
    "completion": "x",
    "input_cache_read": None,
    "request": [1, 2],
    "image": {"per": "image"},
    "discount": "ten percent",
}


def _drifted(endpoint: dict[str, Any]) -> dict[str, Any]:
    pricing = {**endpoint["pricing"], **DRIFTED}
    pricing["overrides"] = [{"min_prompt_tokens": 200000, "prompt": "4", "completion": "much"}]
    return {**endpoint, "pricing": pricing}


@pytest.fixture(scope="module")
def drifted_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    capture, (endpoint,) = with_first_endpoints_edited(small_daily()[0], [_drifted])
    repo = tmp_path_factory.mktemp("unpriced") / "archive"
    log = sync_small(repo, capture)
    assert log.commit_id, log.failures
    return repo, endpoint


def _price(repo: Path, endpoint: str, *extra: str) -> str:
    result = CliRunner().invoke(main, ["price", "--repo", str(repo), "endpoint", endpoint, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_archive_holds_the_drifted_prices_as_sent(drifted_archive: tuple[Path, str]) -> None:
    repo, endpoint = drifted_archive
    archived = orjson.loads(blob(repo, "HEAD", key_to_path("endpoint", endpoint)))
    for field, value in DRIFTED.items():
        assert archived["pricing"][field] == value


def test_every_field_without_a_number_is_listed_as_archived(
    drifted_archive: tuple[Path, str],
) -> None:
    repo, endpoint = drifted_archive
    lines = _price(repo, endpoint).splitlines()
    heading = lines.index("  not a number, shown as archived:")
    listed = dict(line.split(None, 1) for line in lines[heading + 1 :])
    # Compact JSON with sorted keys: one line however big the value.
    expected = {
        f: orjson.dumps(v, option=orjson.OPT_SORT_KEYS).decode() for f, v in DRIFTED.items()
    }
    expected["overrides[0].completion"] = '"much"'
    assert listed == expected
    # The numbers beside them are still read: the prompt price and the tier's prompt price.
    assert any(line.strip().startswith("input (prompt)") for line in lines[:heading])
    assert "  prompts of 200,000+ tokens:" in lines


def test_the_json_names_each_field_and_its_value(drifted_archive: tuple[Path, str]) -> None:
    repo, endpoint = drifted_archive
    answer = orjson.loads(_price(repo, endpoint, "--json"))
    got = {item["field"]: orjson.loads(item["as_archived"]) for item in answer["unpriced"]}
    assert got == {**DRIFTED, "overrides[0].completion": "much"}
    assert answer["discount"] is None
