"""A real archive for the site's tests: real captures, one hostile description, telemetry."""

from __future__ import annotations

import copy
import importlib
import subprocess
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from archiver.archive.store import Store
from archiver.backfill import import_captures
from archiver.capture.files import CapturedResponse, read_capture, write_capture
from archiver.site import SiteReport
from archiver.times import format_epoch, hour_epoch, parse_time
from tests.archive_helpers import git

# What a hostile upstream might put in a description: none of it may run on the site.
EVIL_DESCRIPTION = (
    "Evil **model**. <script>window.__pwned = 1</script>\n\n"
    '<img src=x onerror="window.__pwned = 2"> [click me](javascript:window.__pwned=3) '
    '<a href="javascript:window.__pwned=4" onclick="window.__pwned=4">raw link</a> '
    "[docs](https://example.com/docs) [mail](mailto:a@example.com) "
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) "
    '<svg onload="window.__pwned=5"></svg>'
    "\n\n[Jj](JaVaScRiPt:window.__pwned=6) ![x](javascript:window.__pwned=7)"
)
ZDR_CAPTURES = Path(__file__).resolve().parent / "captures" / "zdr"
ENDPOINT_STATS = "/api/frontend/v1/stats/endpoint"
EVIL_NAME = 'Evil <b onmouseover="window.__pwned=8">Model</b>'
TELEMETRY_HOURS = 6
ENTITY_FOLDERS = ("data/model", "data/endpoint", "data/provider")
# Where the site archive's site is served, for its feeds' links: every build of it that is
# compared with the session's build at HEAD (tests/conftest.py `site_at_head`) passes it.
SITE_BASE_URL = "https://example.org/archive/"
# A clone's source must allow filters and wants by object id, as GitHub does.
UPLOAD_PACK = "git -c uploadpack.allowfilter=1 -c uploadpack.allowanysha1inwant=1 upload-pack"


@dataclass(frozen=True)
class SiteArchive:
    """The archive and what the tests need to know about how it was made."""

    repo: Path
    evil_model: str
    telemetry_endpoint: str | None
    # The endpoint whose data policy the hostile capture changes (training false -> true).
    policy_endpoint: str = ""


@dataclass(frozen=True)
class HeadBuild:
    """A full build of the site archive at HEAD, how that build read history, its report."""

    folder: Path
    history: str
    report: SiteReport


@dataclass(frozen=True)
class CachedBuild:
    """The hourly site job of the hour before HEAD's: `archiver site --cache` at A, the commit
    before the site archive's last sync that changed entities, in a blob-less clone."""

    a: str
    b: str
    # The cache folder it left (the derived history, the cards, the index copy).
    cache: Path
    # The site it built at A.
    site: Path
    # What the command printed.
    output: str
    # The clone it built in (its .git/archiver holds the history index the build made).
    clone: Path


def entity_commits(repo: Path) -> tuple[str, str]:
    """Return (A, B): the commit before the last sync that changed entities, and HEAD."""
    changed_last = git(repo, "log", "-1", "--format=%H", "--", *ENTITY_FOLDERS).strip()
    a = git(repo, "rev-parse", f"{changed_last}^").strip()
    return a, git(repo, "rev-parse", "HEAD").strip()


def partial_clone(source: Path, target: Path, commit: str) -> Path:
    """Clone source without blobs (as actions/checkout with filter: blob:none) at commit."""
    subprocess.run(
        ["git", "clone", "--quiet", "--filter=blob:none", "--no-checkout", "-u", UPLOAD_PACK,
         f"file://{source}", str(target)],
        check=True, capture_output=True,
    )  # fmt: skip
    git(target, "switch", "--quiet", "--detach", commit)
    return target


def save_site_archive(archive: SiteArchive, path: Path) -> None:
    """Write what the tests know about an archive (all but its path) as JSON."""
    known = {name: value for name, value in asdict(archive).items() if name != "repo"}
    path.write_bytes(orjson.dumps(known))


def load_site_archive(path: Path, repo: Path) -> SiteArchive:
    """Return the SiteArchive save_site_archive wrote, for the copy of its archive at repo."""
    return SiteArchive(repo=repo, **orjson.loads(path.read_bytes()))


def built_at(repo: Path, commit: str) -> datetime:
    """Return a build time fixed by the commit's epoch, so two builds can be compared."""
    epoch = git(repo, "log", "-1", "--format=%(trailers:key=Sync-Epoch,valueonly)", commit)
    return parse_time(epoch.strip()) + timedelta(minutes=30)


def build_test_archive(root: Path, v1_paths: list[Path], daily_paths: list[Path]) -> SiteArchive:
    """Import 2 v1-models captures and 3 daily ones, a hostile capture, then telemetry."""
    repo = root / "archive"
    dailies = [_with_zdr(path, root) for path in daily_paths[:3]]
    evil_path, evil_model, policy_endpoint = _evil_capture(dailies[-1], root)
    import_captures(repo, [*v1_paths[:2], *dailies, evil_path])
    endpoint = _write_telemetry(repo, read_capture(evil_path).time)
    return SiteArchive(repo, evil_model, endpoint, policy_endpoint)


def _with_zdr(daily: Path, root: Path) -> Path:
    """Return a copy of a daily capture that also answers its ZDR list (tests/captures/zdr)."""
    zdr = ZDR_CAPTURES / daily.name
    if not zdr.exists():
        return daily
    capture, listed = read_capture(daily), read_capture(zdr)
    path = root / f"zdr-{daily.name}"
    note = f"{capture.note}; with the ZDR list of {zdr.name}"
    write_capture(path, capture.time, capture.source, note, capture.responses + listed.responses)
    return path


def _evil_capture(source: Path, root: Path) -> tuple[Path, str, str]:
    """Write a copy of a daily capture, an hour later, with one model's text made hostile
    and one endpoint's data policy changed; return it, the model and the endpoint."""
    capture = read_capture(source)
    responses = []
    target = None
    policy_endpoint = ""
    for response in capture.responses:
        body = response.body
        if (
            not policy_endpoint
            and response.url.startswith(ENDPOINT_STATS)
            and response.status == 200
        ):
            body = copy.deepcopy(body)
            for endpoint in body.get("data") or []:
                policy = endpoint.get("data_policy")
                if isinstance(policy, dict) and policy.get("training") is False:
                    policy["training"] = True
                    policy_endpoint = endpoint["id"]
                    break
        if response.url == "/api/frontend/v1/catalog/models":
            body = copy.deepcopy(body)
            entry = next(item for item in body["data"] if item.get("endpoint"))
            entry["description"] = EVIL_DESCRIPTION
            entry["name"] = EVIL_NAME
            target = entry["endpoint"]["model_variant_slug"]
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    assert target is not None
    path = root / "evil.jsonl.gz"
    time = capture.time + timedelta(hours=1)
    assert policy_endpoint
    note = "hostile description; one endpoint's data policy now trains on prompts"
    write_capture(path, time, "tests/site_helpers.py", note, responses)
    return path, target, policy_endpoint


def _write_telemetry(repo: Path, after: datetime) -> str | None:
    """Commit hourly telemetry of one endpoint after the last sync; None without the module."""
    try:
        telemetry: Any = importlib.import_module("archiver.telemetry")
    except ImportError:
        return None
    store = Store(repo, create=False)
    endpoint = sorted(
        path.split("/")[-1].removesuffix(".json") for path in store.tracked("data/endpoint/")
    )[0]
    start = hour_epoch(after)
    for hour in range(1, TELEMETRY_HOURS + 1):
        epoch = start + timedelta(hours=hour)
        figures = {
            "stats": {
                "p50_latency": 400.0 + 50 * hour,
                "p50_throughput": 30.0 + hour,
                "request_count": 10,
            },
            "status": 0 if hour != 3 else -2,
        }
        writes = telemetry.telemetry_writes(
            {"endpoint": {endpoint: figures}}, epoch, store.tracked(), store.read
        )
        stamp = format_epoch(epoch)
        message = f"Telemetry {stamp}\n\nSync-Epoch: {stamp}\nSync-Failures: 0\n"
        store.commit(writes.writes, [], message)
    return endpoint
