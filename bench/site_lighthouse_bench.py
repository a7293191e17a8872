"""Lighthouse (mobile) on the site built from every shared capture: four scores per page.

    npm i -E --prefix bench lighthouse@12.2.3      # once; bench/node_modules is git-ignored
    python bench/site_lighthouse_bench.py           # grid, busiest model page, monitor
    python bench/site_lighthouse_bench.py --keep /tmp/lh --runs 3

The site is the one bench/site_browser_bench.py builds (every capture under
../shared/openrouter/captures imported, then `archiver.site.build_site`), served on
127.0.0.1 with gzip for text files, as GitHub Pages serves it (Lighthouse's simulated
network counts transferred bytes). Each page is audited by Lighthouse's default mobile run
(a Moto G class phone, 4x CPU slowdown, simulated slow 4G) in Debian's Chromium, headless;
with --runs N the median of N runs is printed. Audits scoring under 0.9 go to stderr.
The aim (issue 13): performance and accessibility at least 90.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from site_browser_bench import CAPTURES, CHROMIUM, _real_site

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "bench" / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
AIM = 90


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs per page (median printed)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument(
        "--captures", type=Path, default=CAPTURES, help=f"captures folder (default {CAPTURES})"
    )
    args = parser.parse_args(argv)
    if not LIGHTHOUSE.exists():
        sys.exit(f"no Lighthouse at {LIGHTHOUSE}: npm i -E --prefix bench lighthouse@12.2.3")
    if not CHROMIUM.exists():
        sys.exit(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    work = args.keep or Path(tempfile.mkdtemp(prefix="site-lighthouse-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        site, catalog = _real_site(work, args.captures)
        busiest = max(catalog.models, key=lambda model: model.endpoint_count)
        pages = {
            "grid": "index.html",
            f"model ({busiest.key}, {busiest.endpoint_count} endpoints)": busiest.href,
            "monitor": "changes/index.html",
        }
        print(f"Lighthouse mobile: {os.cpu_count()} cores, load average {_load()}")
        print(f"| page | {' | '.join(CATEGORIES)} | aim >= {AIM} |")
        print("|---|" + "---|" * (len(CATEGORIES) + 1))
        with _served_gzipped(site) as url:
            for label, path in pages.items():
                scores = [audit(url + quote(path), work / "reports") for _ in range(args.runs)]
                medians = {c: statistics.median(s[c] for s in scores) for c in CATEGORIES}
                met = medians["performance"] >= AIM and medians["accessibility"] >= AIM
                cells = " | ".join(f"{medians[c]:.0f}" for c in CATEGORIES)
                print(f"| {label} | {cells} | {'met' if met else 'MISSED'} |")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def audit(url: str, reports: Path) -> dict[str, float]:
    """Run Lighthouse once on a URL; return each category's score out of 100."""
    reports.mkdir(parents=True, exist_ok=True)
    report = reports / "last.json"
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            f"--only-categories={','.join(CATEGORIES)}",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ],
        check=True,
        env={**os.environ, "CHROME_PATH": str(CHROMIUM)},
    )
    result = json.loads(report.read_text())
    failing = [
        f"{key} {audit['score']}"
        for key, audit in result["audits"].items()
        if audit.get("score") is not None
        and audit["score"] < 0.9
        and audit.get("scoreDisplayMode") in ("binary", "numeric")
    ]
    if failing:
        print(f"  {url}: below 0.9: {', '.join(sorted(failing))}", file=sys.stderr)
    return {name: result["categories"][name]["score"] * 100 for name in CATEGORIES}


COMPRESSED = {".html", ".css", ".js", ".json", ".xml", ".svg"}


class _GzipHandler(http.server.SimpleHTTPRequestHandler):
    """A quiet static file handler that gzips text files for clients that accept it."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts and path.is_file() and path.suffix in COMPRESSED):
            super().do_GET()
            return
        body = gzip.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def _served_gzipped(folder: Path) -> Iterator[str]:
    """Serve a folder on 127.0.0.1 at a free port, gzipping text; yield its base URL."""
    handler = functools.partial(_GzipHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
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
