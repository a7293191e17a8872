"""An endpoint whose `supported_parameters` holds an object gets its page.

The site put an endpoint's `supported_parameters` in a set to find its features: a list
holding an object (`[{"name": "tools"}]`, a schema change upstream may well make) raised
"unhashable type", and the site reported the endpoint's file as one it "cannot read", left
its page out and exited 1, for a valid file upstream sent as it is. Now only the names in the
list count as parameters. Real small captures cut to the edited endpoint's model, one sync,
one site build.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from archiver.capture.files import Capture
from archiver.site import build_site
from tests.small_captures import (
    first_listed_models,
    small_captures,
    sync_small,
    with_first_endpoints_edited,
    with_models_only,
)

__all__ = ["small_captures"]
PARAMETERS = ["temperature", {"name": "tools", "since": "2026-07"}, ["top_p"]]


def test_parameters_given_as_objects_cost_no_page(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    capture = with_models_only(small_captures[1], first_listed_models(small_captures[1], 1))
    edit = [lambda item: {**item, "supported_parameters": PARAMETERS}]
    edited, (endpoint_id,) = with_first_endpoints_edited(capture, edit)
    repo, site = tmp_path / "archive", tmp_path / "site"
    assert sync_small(repo, edited).commit_id

    report = build_site(repo, site)

    assert not [line for line in report.skipped + report.problems if endpoint_id in line]
    page = orjson.loads((site / "api" / "endpoints.json").read_bytes())["endpoints"]
    (shown,) = [row for row in page if row["id"] == endpoint_id]
    assert (site / shown["page"]).is_file()
