"""The five-year bench keeps one section of RESULTS.md and extrapolates sizes as it says.

The bench itself installs both code trees into venvs and takes minutes even with --quick, so
it is not run here: these check the parts whose mistakes a reader of RESULTS.md would not see.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from five_year_bench import RESULTS_HEADING, YEAR_HOURS, Growth, write_results

RESULTS = Path(__file__).resolve().parents[1] / "bench" / "RESULTS.md"


def test_the_section_goes_before_the_aims_and_a_rerun_replaces_it(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    original = RESULTS.read_text().replace(RESULTS_HEADING, "## Not ours")
    results.write_text(original)
    write_results(["| first run |"], results)
    write_results(["| second run |"], results)
    text = results.read_text()
    assert text.count(RESULTS_HEADING) == 1
    assert "| second run |" in text and "| first run |" not in text
    assert text.index(RESULTS_HEADING) < text.index("\n## Aims")
    # Every other section is left byte for byte.
    section = f"{RESULTS_HEADING}\n\n| second run |\n\n"
    assert text.replace(section, "") == original


def test_sizes_grow_linearly_from_the_simulated_hours() -> None:
    growth = Growth(48, 7_000_000, 110_000.0, 0.05, 60.0, 1e8, 1e8)
    first, fifth = growth.at_year(1), growth.at_year(5)
    assert first == 7_000_000 + 110_000.0 * (YEAR_HOURS - 48)
    assert fifth - first == 110_000.0 * 4 * YEAR_HOURS
