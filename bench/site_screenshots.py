"""Screenshots of the grid, the busiest model page and the monitor at 1,440 and 390 px.

    python bench/site_screenshots.py                  # into test-artifacts/screenshots/
    python bench/site_screenshots.py --keep /tmp/shots --scheme light

The site is the one bench/site_browser_bench.py builds from every shared capture; the model
page is the model with the most endpoints. Each page is shot in Debian's Chromium, headless,
once its scripts have drawn (the grid's rows from grid.json, the monitor's cards), the
viewport only (what a reader sees first) and the full page, to look at next to ORCA's
screenshots in ../shared/anchors/ (read only: nothing is written there).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from site_browser_bench import ARGS, CAPTURES, CHROMIUM, _real_site, _served

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "test-artifacts" / "screenshots"
WIDTHS = {1440: 900, 390: 844}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to save (default {OUT})")
    parser.add_argument("--scheme", choices=("dark", "light"), default="dark")
    parser.add_argument(
        "--captures", type=Path, default=CAPTURES, help=f"captures folder (default {CAPTURES})"
    )
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        sys.exit(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    work = args.keep or Path(tempfile.mkdtemp(prefix="site-screenshots-"))
    work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        site, catalog = _real_site(work, args.captures)
        busiest = max(catalog.models, key=lambda model: model.endpoint_count)
        pages = {"grid": "index.html", "model": busiest.href, "monitor": "changes/index.html"}
        saved = shoot(site, pages, args.out, "light" if args.scheme == "light" else "dark")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for path in saved:
        print(path)
    return 0


def shoot(
    site: Path, pages: dict[str, str], out: Path, scheme: Literal["dark", "light"]
) -> list[Path]:
    """Save each page at each width: the viewport and the full page; return the files."""
    from playwright.sync_api import sync_playwright

    saved = []
    with _served(site) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        for width, height in WIDTHS.items():
            context = browser.new_context(
                viewport={"width": width, "height": height}, color_scheme=scheme
            )
            page = context.new_page()
            for name, path in pages.items():
                page.goto(url + quote(path))
                _drawn(page)
                for full in (False, True):
                    target = out / f"{name}-{width}{'-full' if full else ''}.png"
                    page.screenshot(path=str(target), full_page=full)
                    saved.append(target)
            context.close()
        browser.close()
    return saved


def _drawn(page: Any) -> None:
    """Wait until the page's scripts have drawn what they draw."""
    page.wait_for_load_state("networkidle")
    if page.locator("#endpoint-grid").count():
        page.wait_for_selector("#endpoint-grid[data-ready]")


if __name__ == "__main__":
    raise SystemExit(main())
