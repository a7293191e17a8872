"""The benchmark suite: every bench in one command, results and aims in bench/RESULTS.md.

Each bench runs as its own process, one after another (they would skew each other's
timings), with sizes chosen so the whole suite stays under 10 minutes on a 2-core machine.
Each bench's table is printed as it finishes; then bench/RESULTS.md gets the machine, every
table, and a summary of every aim of issue 7 (and of the issues it draws on), met or missed.

    python bench/run.py                       # the suite, ~8 minutes
    python bench/run.py --quick               # tiny sizes, a few minutes: a smoke test
    python bench/run.py --only fetch growth   # some benches (RESULTS.md gets only those)
    python bench/run.py --out /tmp/RESULTS.md --check   # exit 1 when an aim is missed

`--quick` serves a small subset of the daily captures (24 models, which the site bench imports
too) and runs two benches at a time: its figures only show that every bench still runs and
reports.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib.metadata
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pygit2

from archiver.capture.files import CapturedResponse, canonical_url, read_capture, write_capture
from archiver.upstream import sources
from archiver.upstream.entities import catalog_key, catalog_variants
from archiver.upstream.fetch import Response

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DAILY = ROOT.parent / "shared" / "openrouter" / "captures" / "daily"
SMALL_DAILY = ROOT / "tests" / "captures" / "daily"
SUITE_AIM_SECONDS = 600
TINY_MODELS = 24


# --- aims -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Aim:
    """One aim: what is measured, the figure, the aim, and whether the figure meets it."""

    source: str
    figure: str
    measured: str
    aim: str
    met: bool | None

    @property
    def verdict(self) -> str:
        """Return met, **missed**, or why there is no figure."""
        if self.met is None:
            return "no figure"
        return "met" if self.met else "**missed**"


def _number(text: str) -> float:
    """Return a figure printed with thousands separators as a float."""
    return float(text.replace(",", ""))


def sync_aims(output: str) -> list[Aim]:
    """Issue 7.1: ours faster than the usual way, wall and CPU, for each kind of sync."""
    aims = []
    row = re.compile(
        r"^\| (full sync|next-day sync|no-change sync) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+)x "
        r"\| ([\d.]+) \| ([\d.]+) \| ([\d.]+)x \|",
        re.M,
    )
    for found in row.finditer(output):
        step, wall, cpu = found[1], _number(found[4]), _number(found[7])
        for kind, ratio, ours, usual in (
            ("wall", wall, found[2], found[3]),
            ("CPU", cpu, found[5], found[6]),
        ):
            aims.append(
                Aim(
                    "7.1",
                    f"{step} of a daily capture, {kind} time, usual / ours",
                    f"{ratio:.2f}x ({ours} s vs {usual} s)",
                    "faster than the usual way (> 1x)",
                    ratio > 1,
                )
            )
    return aims or [Aim("7.1", "sync of a daily capture, usual / ours", "", "> 1x", None)]


def scale_aims(output: str) -> list[Aim]:
    """Issue 7.2: per-sync time, peak memory and ratio at 50,000 endpoints."""
    size = re.search(r"scale bench: (\d+) endpoints", output)
    label = f"{int(size[1]):,} endpoints" if size else "the synthetic catalog"
    aims: list[Aim] = []
    for row, what in (("", "1% changed"), (" traffic", "1% changed, all traffic figures moving")):
        ours = re.search(rf"^\| ours{row} \| ([\d.]+) \| ([\d.]+) \| (\d+) \|", output, re.M)
        ratio = re.search(rf"usual / ours{',.*' if row else ''}: ([\d.]+)x", output)
        if row and not ours:
            continue  # the bench ran without traffic syncs
        seconds = _number(ours[1]) if ours else None
        peak = _number(ours[3]) if ours else None
        times = _number(ratio[1]) if ratio else None
        aims += [
            Aim(
                "7.2",
                f"sync at {label}, {what}: time per sync",
                f"{seconds:.2f} s" if seconds is not None else "",
                "< 5 s",
                None if seconds is None else seconds < 5,
            ),
            Aim(
                "7.2",
                f"sync at {label}, {what}: peak memory",
                f"{peak:.0f} MB" if peak is not None else "",
                "< 500 MB",
                None if peak is None else peak < 500,
            ),
            Aim(
                "7.2",
                f"sync at {label}, {what}: usual / ours",
                f"{times:.1f}x" if times is not None else "",
                ">= 2x",
                None if times is None else times >= 2,
            ),
        ]
    return aims


def fetch_aims(output: str) -> list[Aim]:
    """Issue 7.3: a full sync at concurrency 8 within 1.3x of the ideal."""
    found = re.search(r"at concurrency 8: ([\d.]+)x \(([^)]+)\)", output)
    ratio = _number(found[1]) if found else None
    sources = found[2] if found else "full sync"
    latency = re.search(r"(\d+) ms per request", output)
    delay = f"{latency[1]} ms" if latency else "a delay"
    row = re.search(rf"^\| {sources} \| 8 \| ([\d,]+)[^|]*\| ([\d.]+) \|", output, re.M)
    detail = f" ({row[1]} requests, ideal {row[2]} s)" if row else ""
    return [
        Aim(
            "7.3",
            f"{sources} through {delay} per request at concurrency 8, wall / ideal",
            f"{ratio:.2f}x{detail}" if ratio is not None else "",
            "<= 1.3x",
            None if ratio is None else ratio <= 1.3,
        )
    ]


def history_aims(output: str) -> list[Aim]:
    """Issue 4 (via 7.4): `archiver log` under 0.3 s and 20x faster than `git log -p`."""
    hours = re.search(r"synthetic year: ([\d,]+) hourly commits", output)
    where = f"{hours[1]} hourly commits" if hours else "the synthetic year"
    rows = re.findall(
        r"^log: (a typical|the busiest) endpoint \((\d+) versions\)\s+([\d.]+) ms\s+([\d.]+) ms"
        r"\s+(\d+)x",
        output,
        re.M,
    )
    if not rows:
        return [Aim("4", f"archiver log at {where}", "", "< 0.3 s", None)]
    slowest = max(rows, key=lambda r: _number(r[2]))
    weakest = min(rows, key=lambda r: _number(r[4]))
    return [
        Aim(
            "4",
            f"`archiver log` of an endpoint at {where} (slowest of typical, busiest)",
            f"{_number(slowest[2]):.1f} ms ({slowest[0]}, {slowest[1]} versions)",
            "< 0.3 s",
            _number(slowest[2]) < 300,
        ),
        Aim(
            "4",
            f"`archiver log` vs `git log -p` at {where} (least of typical, busiest)",
            f"{_number(weakest[4]):.0f}x ({weakest[0]})",
            ">= 20x",
            _number(weakest[4]) >= 20,
        ),
    ]


def site_aims(output: str) -> list[Aim]:
    """Issue 5 (via 7.4): a full site build of a year's history under 30 s."""
    year = output.partition("synthetic history:")
    hours = re.match(r"\s*(\d+) hourly commits", year[2])
    rebuild = re.search(r"site, rebuild: ([\d.]+)s wall, ([\d.]+)s CPU", year[2])
    figure = f"full site build, {int(hours[1]):,} hourly commits" if hours else "full site build"
    if not year[1] or not rebuild:
        return [Aim("5", "full site build of a year", "not measured", "< 30 s", None)]
    cpu = _number(rebuild[2])
    return [
        Aim(
            "5",
            f"{figure} (rebuild; the first also builds the history index)",
            f"{cpu:.1f} s CPU, {_number(rebuild[1]):.1f} s wall",
            "< 30 s",
            cpu < 30,
        )
    ]


def telemetry_aims(output: str) -> list[Aim]:
    """Issue 3: telemetry size and read times, each line marked `[aim ...]` by the bench."""
    aims = []
    line = re.compile(
        r"^(?P<label>\S.*?)\s{2,}(?P<value>[\d.,]+)\s*(?P<unit>x|MB|s)\b.*"
        r"\[aim (?P<op><=|<) (?P<limit>[\d.]+) ?(?:x|MB|s)?\]",
        re.M,
    )
    for found in line.finditer(output):
        value, limit = _number(found["value"]), _number(found["limit"])
        unit = found["unit"]
        met = value <= limit if found["op"] == "<=" else value < limit
        aims.append(
            Aim(
                "3",
                f"telemetry: {found['label']}",
                f"{found['value']}{'' if unit == 'x' else ' '}{unit}",
                f"{found['op']} {found['limit']}{'' if unit == 'x' else ' '}{unit}",
                met,
            )
        )
    return aims or [Aim("3", "telemetry", "", "", None)]


def growth_aims(output: str) -> list[Aim]:
    """Issue 7.5: a year's packed repository smaller than one-file git scraping."""
    ratio = re.search(r"usual / ours after a year: ([\d.-]+)x", output)
    ours = re.search(r"^\| ours [^|]*\|[^|]*\|[^|]*\|[^|]*\| ([\d,]+) MB \|", output, re.M)
    usual = re.search(r"^\| usual [^|]*\|[^|]*\|[^|]*\|[^|]*\| ([\d,]+) MB \|", output, re.M)
    sizes = f" ({ours[1]} MB vs {usual[1]} MB)" if ours and usual else ""
    value = _number(ratio[1]) if ratio else None
    return [
        Aim(
            "7.5",
            "packed repository after a year, usual / ours",
            f"{value:.1f}x{sizes}" if value is not None else "",
            "smaller than the usual way (> 1x)",
            None if value is None else value > 1,
        )
    ]


# --- the benches ------------------------------------------------------------------------


@dataclass(frozen=True)
class Bench:
    """One bench of the suite: its script, its options here and in --quick, its aims."""

    key: str
    title: str
    script: str
    args: tuple[str, ...]
    quick: tuple[str, ...]
    aims: Callable[[str], list[Aim]]
    about: str


BENCHES = (
    Bench(
        "sync",
        "Sync, local cost (issue 7.1)",
        "sync_bench.py",
        ("--rounds", "3"),
        ("--rounds", "1", "--captures", "{daily}"),
        sync_aims,
        "A full, a next-day and a no-change sync of real daily captures through the replay "
        "server (no delay), ours against write-every-file + `git add -A && git commit`; each "
        "sync its own process; medians of the rounds.",
    ),
    Bench(
        "scale",
        "Sync at scale (issue 7.2)",
        "scale_bench.py",
        ("--endpoints", "50000", "--syncs", "1", "--traffic-syncs", "1"),
        # The tiny capture as the template: the full one (read, deep-copied and parsed by each
        # sync) made this the longest quick bench, for the same code paths.
        ("--endpoints", "400", "--syncs", "1", "--traffic-syncs", "1", "--capture", "{capture}"),
        scale_aims,
        "A synthetic catalog of 50,000 endpoints (shapes from a real capture), 1% changed per "
        "sync, HTTP left out (each sync parses the bodies as they would arrive); the first "
        "sync builds the archive, the next is measured, then one in which every endpoint's "
        "traffic figures move as well, as in a real hour (one measured sync of each per way, "
        "to keep the suite short).",
    ),
    Bench(
        "fetch",
        "Fetch (issue 7.3)",
        "fetch_bench.py",
        (),
        ("--capture", "{capture}", "--latency", "0.02", "--entity", "1", "8", "--full", "8"),
        fetch_aims,
        "Syncs through the replay server holding every reply 100 ms, at several concurrencies, "
        "against the ideal `requests x latency / concurrency`.",
    ),
    Bench(
        "history",
        "History (issues 4, 7.4)",
        "history_bench.py",
        ("--repeat", "3"),
        ("--hours", "48", "--repeat", "1", "--endpoints", "100", "--capture", "{capture}"),
        history_aims,
        "A synthetic year of hourly commits (1,300 endpoints, 0.3% changing an hour): the "
        "history library against git on the same files.",
    ),
    Bench(
        "telemetry",
        "Telemetry storage (issue 3)",
        "telemetry_bench.py",
        ("--hours", "24"),
        ("--hours", "6", "--endpoints", "50", "--models", "30", "--variants", "8"),
        telemetry_aims,
        "A day of simulated hourly telemetry (1,300 endpoints, 900 models) through the "
        "telemetry store, packed, against `xz -9` of the same series; sizes and reads scaled "
        "to a year and to 30 days.",
    ),
    Bench(
        "site",
        "Static site (issues 5, 7.4)",
        "site_bench.py",
        (),
        ("--skip-year", "--captures", "{tiny}"),
        site_aims,
        "The site of the archive of every shared capture, then of a synthetic year of "
        "hourly commits; first build and rebuild.",
    ),
    Bench(
        "growth",
        "Growth (issue 7.5)",
        "growth_bench.py",
        ("--hours", "48", "--window", "10"),
        ("--hours", "6", "--window", "10", "--capture", "{capture}"),
        growth_aims,
        "Two days of hourly syncs at the real change rates, ours against the responses "
        "committed as a few big files, both repacked as `git gc` does; a year extrapolated "
        "from the growth per day after the first.",
    ),
)


@dataclass
class Outcome:
    """What one bench printed, how long it took, and its aims."""

    bench: Bench
    command: list[str]
    output: str = ""
    errors: str = ""
    seconds: float = 0.0
    returncode: int = 0
    aims: list[Aim] = field(default_factory=list)


def command_of(bench: Bench, quick: bool, tiny: dict[str, str]) -> list[str]:
    """Return the command line that runs a bench."""
    args = [a.format(**tiny) for a in (bench.quick if quick else bench.args)]
    return [sys.executable, str(BENCH / bench.script), *args]


def run_bench(bench: Bench, command: list[str], stream: bool) -> Outcome:
    """Run one bench, echoing its output as it comes when stream is set."""
    outcome = Outcome(bench, command)
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=errors, text=True, cwd=ROOT
        )
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if stream:
                print(line, end="", flush=True)
        outcome.returncode = process.wait()
        errors.seek(0)
        outcome.errors = errors.read()
    outcome.seconds = time.perf_counter() - started
    outcome.output = "".join(lines).rstrip()
    if outcome.returncode == 0:
        outcome.aims = bench.aims(outcome.output)
    return outcome


def _banner(bench: Bench, command: list[str]) -> str:
    """Return the line announcing a bench."""
    return f"\n=== {bench.title}: {_shown(command)}"


def _shown(command: list[str]) -> str:
    """Return a command as a reader would type it."""
    return " ".join(["python", str(Path(command[1]).relative_to(ROOT)), *command[2:]])


def _failed(outcome: Outcome) -> str:
    """Return the report of a bench that exited with an error."""
    tail = "\n".join(outcome.errors.strip().splitlines()[-15:])
    return f"{outcome.bench.script} failed (exit {outcome.returncode}):\n{tail}"


def run_suite(benches: list[Bench], quick: bool, tiny: dict[str, str], jobs: int) -> list[Outcome]:
    """Run the benches, one at a time (or `jobs` at a time), printing each one's output."""
    commands = {b.key: command_of(b, quick, tiny) for b in benches}
    if jobs <= 1:
        outcomes = []
        for bench in benches:
            print(_banner(bench, commands[bench.key]), flush=True)
            outcome = run_bench(bench, commands[bench.key], stream=True)
            if outcome.returncode:
                print(_failed(outcome), flush=True)
            print(f"=== {bench.key} took {outcome.seconds:.0f}s", flush=True)
            outcomes.append(outcome)
        return outcomes
    # The site bench is the longest at tiny sizes too (it imports 11 captures): start it first.
    ordered = sorted(benches, key=lambda b: b.key != "site")
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = {pool.submit(run_bench, b, commands[b.key], False): b for b in ordered}
        for future in concurrent.futures.as_completed(futures):
            outcome = future.result()
            print(_banner(outcome.bench, outcome.command))
            print(outcome.output if not outcome.returncode else _failed(outcome), flush=True)
        done = {future.result().bench.key: future.result() for future in futures}
        return [done[b.key] for b in benches]


# --- tiny captures for --quick ----------------------------------------------------------


def tiny_captures(folder: Path, models: int = TINY_MODELS) -> dict[str, str]:
    """Write two small daily captures (a few models each) into folder; return their paths."""
    # The committed small captures: --quick runs anywhere, ../shared or not.
    daily = sorted(SMALL_DAILY.glob("*.jsonl.gz"))
    if len(daily) < 2:
        raise SystemExit(f"need two daily captures in {SMALL_DAILY}")
    folder.mkdir(parents=True, exist_ok=True)
    keys: set[str] | None = None
    for path in daily[-2:]:
        capture = read_capture(path)
        recorded = {canonical_url(r.url): r for r in capture.responses}
        catalog = recorded[sources.CATALOG_MODELS].body
        if keys is None:
            with_endpoint = sorted(catalog_key(e) for e in catalog["data"] if e.get("endpoint"))
            keys = set(with_endpoint[: models * 3 : 3])
        kept = {**catalog, "data": [e for e in catalog["data"] if catalog_key(e) in keys]}
        responses = _tiny_responses(recorded, kept, keys)
        write_capture(folder / path.name, capture.time, capture.source, "tiny subset", responses)
    tiny = sorted(folder.glob("*.jsonl.gz"))
    # The site bench imports a folder of captures (its daily/ subfolder): these two. The
    # tests' small ones (11 captures, ~100 models) took it 20 s, where a smoke test needs two.
    return {"daily": str(folder), "capture": str(tiny[-1]), "tiny": str(folder.parent)}


def _tiny_responses(
    recorded: dict[str, CapturedResponse], catalog: dict[str, object], keys: set[str]
) -> Iterator[CapturedResponse]:
    """Yield the responses of a capture cut down to the kept models."""
    for path in sources.LISTINGS.values():
        if path not in recorded:
            continue
        response = recorded[path]
        body = response.body
        if path == sources.CATALOG_MODELS:
            body = catalog
        elif path == sources.V1_MODELS:
            body = {**body, "data": [m for m in body["data"] if m.get("id") in keys]}
        yield CapturedResponse(response.method, response.url, response.status, body)
    variants = catalog_variants(Response(sources.CATALOG_MODELS, catalog, status=200))
    for variant in variants.values():
        for path in (sources.ENDPOINT_STATS, sources.EFFECTIVE_PRICING, sources.MODEL_ACTIVITY):
            found = recorded.get(canonical_url(variant.url(path)))
            if found is not None:
                yield found


# --- the report -------------------------------------------------------------------------


def machine() -> list[str]:
    """Return the machine description, as Markdown list items."""
    cpu = _first_field(Path("/proc/cpuinfo"), "model name") or platform.processor()
    memory = _first_field(Path("/proc/meminfo"), "MemTotal")
    gib = f"{int(memory.split()[0]) / 2**20:.1f} GiB" if memory else "unknown"
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    pygit2_version = importlib.metadata.version("pygit2")
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores (`nproc`)",
        f"- memory: {gib}",
        f"- system: {platform.platform()}",
        f"- Python {platform.python_version()}, {git}, pygit2 {pygit2_version} "
        f"(libgit2 {pygit2.LIBGIT2_VERSION})",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- load average (1, 5, 15 min) when the suite started: {load}",
    ]


def _first_field(path: Path, name: str) -> str:
    """Return the value of the first `name: value` line of a /proc file, or ''."""
    try:
        text = path.read_text()
    except OSError:
        return ""
    found = re.search(rf"^{re.escape(name)}\s*:\s*(.+)$", text, re.M)
    return found[1].strip() if found else ""


def as_markdown(output: str) -> str:
    """Return a bench's output for RESULTS.md: Markdown tables kept, plain text in a block."""
    lines = output.splitlines()
    if not any(line.startswith("|") for line in lines):
        return "```text\n" + output + "\n```"
    blocks: list[str] = []
    table: list[str] = []
    for line in lines:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            blocks.append("\n".join(table))
            table = []
        if line.strip():
            blocks.append(line)
    if table:
        blocks.append("\n".join(table))
    return "\n\n".join(blocks)


def aims_table(aims: list[Aim]) -> list[str]:
    """Return the summary of every aim as a Markdown table."""
    lines = ["| issue | figure | measured | aim | verdict |", "|---|---|---|---|---|"]
    lines += [f"| {a.source} | {a.figure} | {a.measured} | {a.aim} | {a.verdict} |" for a in aims]
    return lines


def report(outcomes: list[Outcome], described: list[str], seconds: float, quick: bool) -> str:
    """Return RESULTS.md."""
    mode = "`python bench/run.py`"
    if quick:
        mode = "`python bench/run.py --quick` (tiny sizes: a smoke test)"
    parts = [
        "# Benchmark results",
        "",
        f"Generated by {mode}; the suite took {seconds / 60:.1f} minutes. Every bench ran in "
        "its own process, one after another" + (" (two at a time here)" if quick else "") + ".",
        "",
        "## Machine",
        "",
        *described,
        f"- load average when it ended: {', '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]
    for outcome in outcomes:
        body = as_markdown(outcome.output)
        if outcome.returncode:
            body = "```text\n" + _failed(outcome) + "\n```"
        parts += [
            "",
            f"## {outcome.bench.title}",
            "",
            f"`{_shown(outcome.command)}` ({outcome.seconds:.0f} s). {outcome.bench.about}",
            "",
            body,
        ]
    parts += ["", "## Aims", "", *aims_table(all_aims(outcomes, seconds, quick)), ""]
    return "\n".join(parts)


def all_aims(outcomes: list[Outcome], seconds: float, quick: bool) -> list[Aim]:
    """Return every aim of the benches that ran, then the suite's own."""
    aims: list[Aim] = []
    for outcome in outcomes:
        if outcome.returncode:
            aims.append(Aim("", f"{outcome.bench.script}", "failed", "runs", False))
        aims += outcome.aims
    aims.append(
        Aim(
            "7",
            "the whole suite" + (" (--quick)" if quick else ""),
            f"{seconds / 60:.1f} min",
            "< 10 min",
            seconds < SUITE_AIM_SECONDS,
        )
    )
    return aims


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Return the command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a smoke test")
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md", help="results file")
    keys = [b.key for b in BENCHES]
    parser.add_argument("--only", nargs="+", choices=keys, metavar="BENCH", help=", ".join(keys))
    parser.add_argument("--jobs", type=int, help="benches at a time (default 1; --quick: 2)")
    parser.add_argument("--check", action="store_true", help="exit 1 when an aim is missed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the suite, print every table, write the results file; 1 if a bench failed."""
    args = parse_args(argv)
    benches = [b for b in BENCHES if not args.only or b.key in args.only]
    described = machine()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as scratch:
        tiny = tiny_captures(Path(scratch) / "daily") if args.quick else {}
        jobs = args.jobs or (2 if args.quick else 1)
        outcomes = run_suite(benches, args.quick, tiny, jobs)
    seconds = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report(outcomes, described, seconds, args.quick))
    aims = all_aims(outcomes, seconds, args.quick)
    print("\n=== Aims\n" + "\n".join(aims_table(aims)))
    print(f"\nsuite took {seconds / 60:.1f} min; wrote {args.out}")
    if any(o.returncode for o in outcomes):
        return 1
    return 1 if args.check and any(a.met is False for a in aims) else 0


if __name__ == "__main__":
    sys.exit(main())
