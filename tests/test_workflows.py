"""The GitHub workflows: valid for GitHub, clean under zizmor, and only tested commands inside.

Both tools come from PyPI (the `test` extra) and run offline.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from ruamel.yaml import YAML

from archiver.cli import main
from archiver.history.index import INDEX_FILE
from tests.test_readme import CODE_ONLY

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
SYNC = ROOT / ".github" / "workflows" / "sync.yml"
CI = ROOT / ".github" / "workflows" / "ci.yml"
UPDATE_CODE = ROOT / ".github" / "workflows" / "update-code.yml"
# Programs a workflow step may run: the archiver, its installation, and the CI script.
ALLOWED_STEPS = {("pip", "install", "."), ("pip", "install", ".[export]"), ("bash", ".ci/run")}
# Kept zizmor finding: `unpinned-uses`. The actions (all GitHub's own, actions/*) use major
# version tags, not commit hashes: the stored copies of those repositories we could read do
# not show which commit each release tag names, and a hash we cannot verify is worse than a
# tag GitHub maintains. Everything else above "low" fails the test.
KEPT_FINDINGS = {"unpinned-uses"}
ABOVE_LOW = {"Medium", "High"}
# Commands and options the workflows use that are still being written (issue 6: the CLI
# wiring of archiver.publish; the site issue: `archiver site`). Remove entries as they land.


def tool(name: str) -> str:
    """Return the path of a command-line tool installed with the test extra."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; run: pip install -e '.[test]'")
    return found


def load(path: Path) -> dict[str, Any]:
    """Return a workflow as data (YAML 1.2: `on` stays a string key)."""
    data = YAML(typ="safe").load(path.read_text())
    assert isinstance(data, dict)
    return data


def run_lines(path: Path) -> list[list[str]]:
    """Return every command line of every `run:` step of a workflow, split like a shell."""
    commands = []
    for job in load(path)["jobs"].values():
        for step in job.get("steps", []):
            script = step.get("run", "").replace("\\\n", " ")
            commands += [shlex.split(line, comments=True) for line in script.splitlines()]
    return [command for command in commands if command]


def archiver_invocations() -> list[tuple[str, list[str]]]:
    """Return (subcommand, options) of every `archiver` command the workflows run."""
    found = []
    for path in WORKFLOWS:
        for command in run_lines(path):
            if command[0] == "archiver":
                options = [word.split("=", 1)[0] for word in command[2:] if word.startswith("-")]
                found.append((command[1], options))
    return found


def cli_has(subcommand: str, option: str | None) -> bool:
    """Say whether `archiver SUBCOMMAND [OPTION]` exists in the click app."""
    assert isinstance(main, click.Group)
    command = main.commands.get(subcommand)
    if command is None:
        return False
    names = {name for param in command.params for name in (*param.opts, *param.secondary_opts)}
    return option is None or option in names


def test_workflows_match_githubs_schema() -> None:
    check = [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]

    result = subprocess.run([*check, *map(str, WORKFLOWS)], capture_output=True, text=True)

    assert {SYNC, CI} <= set(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_above_low() -> None:
    command = [tool("zizmor"), "--offline", "--format", "json", *map(str, WORKFLOWS)]

    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)

    findings = json.loads(result.stdout)
    serious = [f for f in findings if f["determinations"]["severity"] in ABOVE_LOW]
    unexplained = [f"{f['ident']}: {f['desc']}" for f in serious if f["ident"] not in KEPT_FINDINGS]
    assert unexplained == []
    # The kept finding covers GitHub's own actions only; anything else must be pinned.
    kept = {
        location["concrete"]["feature"]
        for finding in serious
        for location in finding["locations"]
        if location["symbolic"]["kind"] == "Primary"
    }
    assert kept and all(feature.startswith("actions/") for feature in kept), kept


def test_steps_run_only_the_archiver_and_its_installation() -> None:
    for path in WORKFLOWS:
        for command in run_lines(path):
            assert command[0] == "archiver" or tuple(command) in ALLOWED_STEPS, (path, command)


def test_workflow_archiver_commands_exist_in_the_cli() -> None:
    invocations = archiver_invocations()
    assert ("sync", ["--push", "--keepalive-days", "--summary-file"]) in invocations
    for subcommand, options in invocations:
        for option in [None, *options]:
            assert cli_has(subcommand, option), f"archiver {subcommand} {option or ''}"


def test_sync_workflow_runs_hourly_off_peak_one_at_a_time() -> None:
    workflow = load(SYNC)

    (schedule,) = workflow["on"]["schedule"]
    minute, hour, *_ = schedule["cron"].split()
    assert minute.isdigit() and int(minute) != 0 and hour == "*"
    assert "workflow_dispatch" in workflow["on"]
    assert workflow["concurrency"] == {"group": "archive-sync", "cancel-in-progress": False}


def test_workflows_grant_least_privilege() -> None:
    sync_jobs = load(SYNC)["jobs"]

    assert load(SYNC)["permissions"] == {} and load(CI)["permissions"] == {}
    # pages: read only asks GitHub for the site's address (actions/configure-pages).
    assert sync_jobs["sync"]["permissions"] == {"contents": "write", "pages": "read"}
    # contents: write for the export's release assets, used only by `gh` (GH_TOKEN).
    assert sync_jobs["site"]["permissions"] == {"contents": "write", "pages": "read"}
    assert load(UPDATE_CODE)["permissions"] == {}
    assert load(UPDATE_CODE)["jobs"]["update"]["permissions"] == {"contents": "write"}
    assert sync_jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert load(CI)["jobs"]["test"]["permissions"] == {"contents": "read"}
    assert "--force" not in SYNC.read_text()


def test_ci_runs_the_same_command_as_local_ci() -> None:
    assert run_lines(CI) == [["bash", ".ci/run"]]


def test_ci_skips_the_hourly_data_pushes() -> None:
    triggers = load(CI)["on"]
    assert triggers["push"]["paths-ignore"] == ["data/**"]
    assert "pull_request" in triggers


def steps_using(path: Path, action: str) -> list[dict[str, Any]]:
    """Return every step of a workflow that uses an action (any version)."""
    jobs = load(path)["jobs"].values()
    return [s for job in jobs for s in job["steps"] if s.get("uses", "").startswith(action + "@")]


def test_feed_and_notification_links_take_pages_address_from_github() -> None:
    # A user.github.io repository or a custom domain: the address is GitHub's, not a guess.
    text = SYNC.read_text()
    assert "github.io/$REPOSITORY" not in text and "$OWNER.github.io" not in text
    pages = steps_using(SYNC, "actions/configure-pages")
    assert len(pages) == 2 and all(step.get("continue-on-error") for step in pages)
    given = {"site": "--base-url", "notify": "--site-url"}
    commands = [c for c in run_lines(SYNC) if c[0] == "archiver" and c[1] in given]
    addresses = {c[1]: c[c.index(given[c[1]]) + 1] for c in commands}
    assert addresses == {"notify": "$SITE_URL", "site": "$BASE_URL"}


def test_pushing_steps_can_use_a_token_that_may_bypass_a_rule() -> None:
    pushing = [*load(SYNC)["jobs"]["sync"]["steps"], *load(UPDATE_CODE)["jobs"]["update"]["steps"]]
    checkouts = [step for step in pushing if step.get("uses", "").startswith("actions/checkout@")]
    assert len(checkouts) == 2
    for step in checkouts:
        assert step["with"]["persist-credentials"] is True
        assert step["with"]["token"] == "${{ secrets.ARCHIVER_PUSH_TOKEN || github.token }}"


def test_every_clone_without_blobs_keeps_the_token_its_later_fetches_need() -> None:
    # A blob-less or shallow clone fetches on demand after the checkout (blobs, deepening,
    # telemetry days): in a private repository, without the token each fetch is refused.
    checkouts = [s for path in WORKFLOWS for s in steps_using(path, "actions/checkout")]
    lazy = [step for step in checkouts if step["with"].get("filter")]
    assert len(lazy) == 3
    assert all(step["with"].get("persist-credentials") is True for step in lazy)


def test_update_code_runs_from_the_ui_on_the_archives_commits_alone() -> None:
    workflow = load(UPDATE_CODE)
    assert set(workflow["on"]) == {"workflow_dispatch"}
    (checkout,) = steps_using(UPDATE_CODE, "actions/checkout")
    assert checkout["with"]["filter"] == "tree:0" and checkout["with"]["fetch-depth"] == 0
    # The work tree holds the code to install, never data/ (cone mode adds the root files).
    assert checkout["with"]["sparse-checkout"].split() == ["archiver", "templates"]
    (command,) = [c for c in run_lines(UPDATE_CODE) if c[0] == "archiver"]
    assert command == ["archiver", "update-code", "--upstream", "$UPSTREAM"]


def test_site_job_clones_head_alone_and_keeps_its_derived_history() -> None:
    steps = load(SYNC)["jobs"]["site"]["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    (checkout,) = [step for step in steps if step.get("uses", "").startswith("actions/checkout@")]
    # Shallow and blob-less: `archiver site` deepens it only as far as its cache needs.
    assert checkout["with"]["filter"] == "blob:none" and checkout["with"]["fetch-depth"] == 1
    restore = steps[uses.index("actions/cache/restore")]
    save = steps[uses.index("actions/cache/save")]
    build = next(i for i, step in enumerate(steps) if "archiver site" in step.get("run", ""))
    # Restored before the build, saved after it, under the same key; any earlier run's
    # cache is the fallback, the newest first.
    assert uses.index("actions/cache/restore") < build < uses.index("actions/cache/save")
    assert restore["with"]["key"] == save["with"]["key"]
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"])
    # The folder is where `archiver site` keeps its cache and the history index by default.
    assert restore["with"]["path"] == save["with"]["path"] == f".git/{INDEX_FILE.parent}"
    (command,) = [c for c in run_lines(SYNC) if c[:2] == ["archiver", "site"]]
    assert "--no-cache" not in command and "--cache" not in command


@pytest.mark.parametrize(("job", "reader"), [("sync", "archiver sync"), ("site", "archiver site")])
def test_jobs_check_out_the_newest_telemetry_alone(job: str, reader: str) -> None:
    steps = load(SYNC)["jobs"][job]["steps"]
    (checkout,) = [step for step in steps if step.get("uses", "").startswith("actions/checkout@")]
    options = checkout["with"]
    # Without blobs, and without data/telemetry/ (HEAD keeps every day's files for good).
    assert options["filter"] == "blob:none" and options["fetch-depth"] == 1
    assert options["sparse-checkout-cone-mode"] is False
    assert options["sparse-checkout"].split() == ["/*", "!/data/telemetry/"]
    runs = [step.get("run", "") for step in steps]
    recent = next(i for i, run in enumerate(runs) if run.startswith("archiver checkout-recent"))
    install = next(i for i, run in enumerate(runs) if run.startswith("pip install"))
    assert install < recent < next(i for i, run in enumerate(runs) if run.startswith(reader))


def test_ci_checks_out_everything_but_the_telemetry() -> None:
    # HEAD's telemetry grows by gigabytes a year; the README test clones CI's checkout with
    # the same patterns (a whole checkout and its clone would fill the runner's disk).
    (checkout,) = steps_using(CI, "actions/checkout")
    options = checkout["with"]
    assert options["sparse-checkout-cone-mode"] is False
    assert options["sparse-checkout"].split() == CODE_ONLY
    assert "filter" not in options  # git cannot clone a shallow partial clone locally.


def test_site_job_publishes_the_parquet_export_as_release_assets() -> None:
    steps = load(SYNC)["jobs"]["site"]["steps"]
    runs = [step.get("run", "") for step in steps]
    assert "pip install .[export]" in runs
    site = runs.index(next(run for run in runs if run.startswith("archiver site")))
    export = runs.index("archiver export --format parquet .git/archiver/export")
    release = runs.index("archiver export-release .git/archiver/export")
    save = next(i for i, step in enumerate(steps) if "cache/save" in step.get("uses", ""))
    upload = next(i for i, step in enumerate(steps) if "upload-pages" in step.get("uses", ""))
    # After the site is built, before the cache is saved (so it keeps the export without the
    # months handed off to the release); neither ever keeps the site from deploying.
    assert site < export < release < save < upload
    assert steps[export]["continue-on-error"] is True and steps[release]["continue-on-error"]
    # The repository's releases hold the default branch's export alone, never a branch's a
    # person ran the workflow on by hand.
    condition = steps[release]["if"]
    assert "github.event_name == 'schedule'" in condition
    assert "github.ref_name == github.event.repository.default_branch" in condition
    # gh uploads with the job's own token, to this repository's release.
    assert steps[release]["env"] == {
        "GH_TOKEN": "${{ github.token }}",
        "GH_REPO": "${{ github.repository }}",
    }
    # Not on Pages, whose published site may be no larger than 1 GB.
    assert "--publish" not in SYNC.read_text() and "site/export" not in SYNC.read_text()
    (cached,) = {step["with"]["path"] for step in steps if "cache" in step.get("uses", "")}
    assert ".git/archiver/export".startswith(cached + "/")
