"""The endpoint grid in a real headless Chromium: each action's median time and the DOM size.

    python bench/site_browser_bench.py                     # real archive + 50,000 rows
    python bench/site_browser_bench.py --rows 10000 --runs 5
    python bench/site_browser_bench.py --captures tests/captures   # the small captures

1. The real archive: every capture under ../shared/openrouter/captures (v1-models, then
   daily) imported with `archiver.backfill.import_captures`, and its site built.
2. A synthetic catalog of --rows endpoints: the real archive's grid rows cloned (new
   endpointIds, models and prices varied), written as the same grid page and grid.json by
   the same code (`archiver.site.pages.grid_page`, `archiver.site.grid_data`).

Each action is timed in the page from just before its input event is dispatched to the
end of the next animation frame with layout forced (`performance.now()` around a click or
an `input` event, then requestAnimationFrame and `offsetHeight`): the JavaScript, style
and layout the reader waits for. Actions: sort by input price (a click on its header,
cycling ascending, descending, default), sort by model name (the same), search ("gpt"
typed in), a facet (image input) and clear (Reset after a search and two facets).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from archiver.backfill import import_captures
from archiver.site import build_site
from archiver.site.catalog import build_catalog
from archiver.site.context import load_projection
from archiver.site.env import environment
from archiver.site.grid_data import GRID_PATH, grid_document
from archiver.site.metrics import load_metrics
from archiver.site.page_contexts import SiteInfo
from archiver.site.pages import grid_page
from archiver.site.rows import Catalog, EndpointRow

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT.parent / "shared" / "openrouter" / "captures"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
AIMS_MS = {1_200: 100.0, 50_000: 300.0}

# One timed action: the statement dispatches the input event; the grid handles clicks at
# once and search input in its next animation frame, which runs before ours.
_TIMED = """async () => {
  const started = performance.now();
  %s;
  await new Promise(done => requestAnimationFrame(() => {
    void document.body.offsetHeight;
    done();
  }));
  return performance.now() - started;
}"""
_CLICK = "document.querySelector(%r).click()"
_TYPE = (
    "(() => { const box = document.querySelector('[data-search]'); box.value = %r;"
    " box.dispatchEvent(new Event('input', {bubbles: true})); })()"
)
# Action -> (untimed set-up, timed statement).
ACTIONS: dict[str, tuple[list[str], str]] = {
    "sort by price": ([], _CLICK % "#endpoint-grid th[data-sort=input]"),
    "sort by name": ([], _CLICK % "#endpoint-grid th[data-sort=model]"),
    "search": ([_CLICK % "button.reset"], _TYPE % "gpt"),
    "facet": ([_CLICK % "button.reset"], _CLICK % "input[data-facet=in][value=image]"),
    "clear": (
        [
            _CLICK % "button.reset",
            _TYPE % "a",
            _CLICK % "input[data-facet=f][value=tools]",
            _CLICK % "input[data-facet=f][value=paid]",
        ],
        _CLICK % "button.reset",
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="synthetic rows (50,000)")
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each action")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument(
        "--captures", type=Path, default=CAPTURES, help=f"captures folder (default {CAPTURES})"
    )
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        sys.exit(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    work = args.keep or Path(tempfile.mkdtemp(prefix="site-browser-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        real_site, catalog = _real_site(work, args.captures)
        synthetic = _synthetic_site(work, real_site, catalog, args.rows)
        print(f"site browser bench: {os.cpu_count()} cores, load average {_load()}")
        _report("real archive", real_site, len(catalog.endpoints), args.runs)
        _report("synthetic", synthetic, args.rows, args.runs)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def _real_site(work: Path, folder: Path) -> tuple[Path, Catalog]:
    """Import every capture (v1-models, then daily), build the site; return it and its rows."""
    captures = sorted((folder / "v1-models").glob("*.jsonl.gz"))
    captures += sorted((folder / "daily").glob("*.jsonl.gz"))
    if not captures:
        sys.exit(f"no captures under {folder}")
    repo = work / "archive"
    if not repo.exists():
        import_captures(repo, captures)
    site = work / "site"
    build_site(repo, site)
    projection = load_projection(repo, None, [])
    catalog = build_catalog(projection, load_metrics(repo, None, []), {})
    return site, catalog


def _synthetic_site(work: Path, real: Path, catalog: Catalog, rows: int) -> Path:
    """Write the grid page and grid.json of `rows` endpoints cloned from the real ones."""
    out = work / f"synthetic-{rows}"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(real / "static", out / "static")
    endpoints = synthetic_rows(catalog.endpoints, rows, seed=7)
    big = Catalog(endpoints, [], [], {}, {}, {}, {})
    site = SiteInfo(
        None, None, datetime.now(UTC), None, "/", {"endpoints": rows, "models": 0, "providers": 0}
    )
    context = grid_page(site, big)
    html = environment().get_template("index.html").render(page=context, frame=context.frame)
    (out / "index.html").write_text(html)
    (out / GRID_PATH).write_bytes(grid_document(endpoints))
    return out


def synthetic_rows(real: list[EndpointRow], count: int, seed: int) -> list[EndpointRow]:
    """Return `count` rows cloned from real ones: new ids, one model family per copy, prices
    and contexts varied, so sorting and search work on realistic spreads."""
    chance = random.Random(seed)
    made = []
    for number in range(count):
        row = real[number % len(real)]
        copy = number // len(real)
        factor = Decimal(chance.randint(50, 150)) / 100

        def scaled(price: Decimal | None, factor: Decimal = factor) -> Decimal | None:
            return None if price is None else (price * factor).quantize(Decimal("0.0001"))

        made.append(
            replace(
                row,
                id=str(uuid.UUID(int=chance.getrandbits(128))),
                model_key=f"{row.model_key}-{copy}" if copy else row.model_key,
                model_name=f"{row.model_name} {copy}" if copy else row.model_name,
                input=scaled(row.input),
                output=scaled(row.output),
                cache_read=scaled(row.cache_read),
                context=int(row.context * chance.choice((0.5, 1, 2))) if row.context else None,
            )
        )
    return made


def _report(label: str, site: Path, rows: int, runs: int) -> None:
    """Open the grid of a site in Chromium, time every action, print medians and DOM size."""
    from playwright.sync_api import sync_playwright

    data = (site / GRID_PATH).stat().st_size
    with _served(site) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        started = time.perf_counter()
        page.goto(url + "index.html")
        page.wait_for_selector("#endpoint-grid[data-ready]", timeout=120_000)
        ready = time.perf_counter() - started
        elements = page.evaluate("document.getElementsByTagName('*').length")
        rendered = page.locator("#endpoint-grid tbody tr[aria-rowindex]").count()
        aim = AIMS_MS[1_200] if rows <= 1_200 else AIMS_MS[50_000]
        print(
            f"\n{label}: {rows:,} endpoints, grid.json {data / 1e6:.2f} MB, ready in "
            f"{ready * 1000:.0f} ms; DOM {elements:,} elements, {rendered} rows rendered"
        )
        print("| action | median ms | min | max | aim |")
        print("|---|---|---|---|---|")
        for name, (setup, timed) in ACTIONS.items():
            times = []
            for _ in range(runs):
                for statement in setup:
                    page.evaluate(_TIMED % statement)
                times.append(page.evaluate(_TIMED % timed))
            median = statistics.median(times)
            verdict = "met" if median < aim else "MISSED"
            print(
                f"| {name} | {median:.1f} | {min(times):.1f} | {max(times):.1f} | "
                f"< {aim:.0f} ms: {verdict} |"
            )
        after = page.evaluate("document.getElementsByTagName('*').length")
        print(f"DOM after the actions: {after:,} elements")
        print(f"axe-core on the grid after the actions: {_axe_counts(page)}")
        for name, path in _other_pages(site).items():
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
            print(f"axe-core on {name} ({path}): {_axe_counts(page)}")
        browser.close()


def _axe_counts(page: Any) -> str:
    """Run axe-core (bundled by axe-playwright-python) on the page; count violations by impact.

    Injected with evaluate, so the page keeps its own strict CSP (tests/test_site_a11y.py).
    """
    script = (resources.files("axe_playwright_python") / "axe.min.js").read_text()
    page.evaluate(script)
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']})")["violations"]
    counts = {impact: 0 for impact in ("critical", "serious", "moderate", "minor")}
    for violation in found:
        counts[violation["impact"]] = counts.get(violation["impact"], 0) + len(violation["nodes"])
    return ", ".join(f"{impact} {count}" for impact, count in counts.items())


def _other_pages(site: Path) -> dict[str, str]:
    """Return the model page with most endpoints and the monitor, where the site has them."""
    pages = {}
    models = sorted((site / "model").rglob("*.html"), key=lambda p: -p.stat().st_size)
    if models:
        pages["the largest model page"] = str(models[0].relative_to(site))
    if (site / "changes" / "index.html").is_file():
        pages["the monitor"] = "changes/index.html"
    return pages


@contextmanager
def _served(folder: Path) -> Iterator[str]:
    """Serve a folder on 127.0.0.1 at a free port, quietly; yield its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


if __name__ == "__main__":
    raise SystemExit(main())
