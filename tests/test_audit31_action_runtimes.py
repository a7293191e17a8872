"""Every action the workflows use runs on Node 24, which GitHub's runners keep.

GitHub deprecated Node 20 for actions (changelog of 2025-09-19) and removes it from the
runners; an action still declaring `using: node20` then runs on a Node it was never built
for, warning on every run of a job that runs unattended for years (actionlint reports each
as an error). The first major version of each action that declares `node24`, read from the
actions' own `action.yml` (upload-pages-artifact is composite: its v5 calls
upload-artifact v7, which runs on Node 24).
"""

from __future__ import annotations

import re

from tests.test_workflows import WORKFLOWS, load

FIRST_NODE24_MAJOR = {
    "actions/checkout": 5,
    "actions/setup-python": 6,
    "actions/cache/restore": 5,
    "actions/cache/save": 5,
    "actions/configure-pages": 6,
    "actions/upload-pages-artifact": 5,
    "actions/deploy-pages": 5,
}


def test_every_action_is_a_version_that_runs_on_node24() -> None:
    used = []
    for path in WORKFLOWS:
        for job in load(path)["jobs"].values():
            used += [step["uses"] for step in job.get("steps", []) if "uses" in step]
    assert used
    old = []
    for uses in used:
        action, _, version = uses.partition("@")
        # An action this table does not know: read its action.yml and add it here.
        assert action in FIRST_NODE24_MAJOR, uses
        major = re.fullmatch(r"v(\d+)(?:\.\d+)*", version)
        assert major, uses
        if int(major[1]) < FIRST_NODE24_MAJOR[action]:
            old.append(uses)
    assert old == []
