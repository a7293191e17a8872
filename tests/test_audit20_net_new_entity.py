"""A model that appears while one of its listings fails is archived once, whole.

With `/api/v1/models` failing, a model new in the catalog was archived with its catalog
part alone, and changed again the next hour when its v1 part came: a version that never
existed upstream, made by a failed request (the same with the catalog failing and the v1
part alone). A real small archive; the faulty hour served over HTTP by the replay server.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.capture.replay import Fault, ReplayServer
from archiver.cli import main
from archiver.paths import key_to_path
from archiver.times import format_epoch
from tests.archive_helpers import capture_entities, git
from tests.small_captures import copy_archive, small_archive, small_base, small_captures, sync_small

__all__ = ["small_archive", "small_base", "small_captures"]

V1 = "/api/v1/models"
CATALOG = "/api/frontend/v1/catalog/models"


def _new_models(before: Capture, after: Capture) -> set[str]:
    """Return the models `after` lists in both v1 and the catalog that `before` lacks."""
    old, new = capture_entities(before), capture_entities(after)
    catalog = {
        entry["endpoint"]["model_variant_slug"] if entry["endpoint"] else entry["slug"]
        for response in after.responses
        if response.url == CATALOG
        for entry in response.body["data"]
    }
    return (new.models - old.models) & set(new.v1_models) & catalog


@pytest.mark.parametrize("failing", [V1, CATALOG], ids=["v1-fails", "catalog-fails"])
def test_a_new_model_is_written_once_whole_after_a_failed_listing(
    small_archive: Path, small_base: Path, small_captures: list[Capture], failing: str
) -> None:
    first, second = small_captures[0], small_captures[1]
    new = _new_models(first, second)
    assert new, "the second small capture adds no model listed in both v1 and the catalog"
    failed_hour = dataclasses.replace(second, time=first.time + timedelta(hours=1))
    next_hour = dataclasses.replace(second, time=first.time + timedelta(hours=2))
    with ReplayServer(failed_hour, faults=[Fault(failing, status=500)]) as server:
        command = ["sync", "--repo", str(small_archive), "--base-url", server.base_url]
        command += ["--retries", "0", "--epoch", format_epoch(failed_hour.time)]
        result = CliRunner().invoke(main, command)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert not sync_small(small_archive, next_hour).failures
    clean = copy_archive(small_base, small_archive.parent / "clean")
    assert not sync_small(clean, next_hour).failures

    for key in sorted(new):
        path = key_to_path("model", key)
        versions = git(small_archive, "log", "--format=%H", "--", path).split()
        assert len(versions) == 1, f"{path} written {len(versions)} times"
        assert git(small_archive, "show", f"HEAD:{path}") == git(clean, "show", f"HEAD:{path}")
