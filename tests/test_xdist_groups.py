"""The suite's scheduling works: tests sharing a module fixture run on one worker.

tests/conftest.py marks them with an xdist group; `--dist loadgroup` then sends each group
to one worker, which xdist shows by appending the group to the test's id. When that breaks
(as it did with pytest 9.2), nothing fails but every module fixture, from archives to built
sites and browsers, is built once per worker: the suite takes minutes longer.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="module")
def module_value() -> str:
    """Return a value shared by the module's tests, as an archive or a built site would be."""
    return "shared"


def test_a_test_sharing_a_module_fixture_is_grouped_on_one_worker(
    module_value: str, request: pytest.FixtureRequest
) -> None:
    assert module_value == "shared"
    # Not under xdist (`-n 0`), or another `--dist`: nothing is grouped, nor meant to be.
    if not os.environ.get("PYTEST_XDIST_WORKER") or not request.config.getvalue("loadgroup"):
        return
    assert request.node.nodeid.endswith("@tests/test_xdist_groups.py"), request.node.nodeid
