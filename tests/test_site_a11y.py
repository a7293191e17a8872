"""Accessibility of every page type: axe-core in a real Chromium, and what every page carries.

axe-core comes from the `axe-playwright-python` package (its bundled axe.min.js), injected
with Playwright's `page.evaluate`: that runs through the DevTools protocol, which the site's
strict CSP (script-src 'self') does not govern, so the page keeps its real CSP while checked.
Its color-contrast rule runs on one element per contrast signature (tests/contrast_sample.js):
on every element it was most of this module's time, on a table's rows styled alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.browser import needs_chromium, recording_page
from tests.site_helpers import SiteArchive

pytestmark = needs_chromium
pytest.importorskip("axe_playwright_python")
AXE_SCRIPT = (resources.files("axe_playwright_python") / "axe.min.js").read_text()
SAMPLED_AXE = (Path(__file__).parent / "contrast_sample.js").read_text()
BLOCKING = ("critical", "serious")
# Roles of the controls a reader operates: each needs a name a screen reader can say.
CONTROL_ROLES = {
    "button", "checkbox", "combobox", "listbox", "radio", "searchbox", "slider",
    "spinbutton", "switch", "textbox",
}  # fmt: skip
# Both schemes and both widths, each page type in each: contrast depends on the scheme,
# layout on the width (two of the four pairings: the other two checked nothing new and
# doubled the suite's slowest module).
SCHEMES = [("dark", 1440), ("light", 390)]
SCHEME_IDS = ["dark-1440", "light-390"]


@pytest.fixture(scope="module")
def page_types(site_folder: Path, site_archive: SiteArchive) -> list[str]:
    """Return one page of every type, the busiest of each kind of entity page."""
    models = json.loads((site_folder / "api" / "models.json").read_text())["models"]
    providers = json.loads((site_folder / "api" / "providers.json").read_text())["providers"]
    endpoint = site_archive.telemetry_endpoint
    assert endpoint, "the site archive has no endpoint with telemetry (charts)"
    paths = [
        "index.html",
        "endpoints/page-1.html",
        "models.html",
        "providers.html",
        max(models, key=lambda m: m["endpoint_count"])["page"],
        f"endpoint/{endpoint}.html",
        max(providers, key=lambda p: p["endpoint_count"])["page"],
        "changes/index.html",
        "status.html",
        "api.html",
        "deprecations.html",
    ]
    for path in paths:
        assert (site_folder / path).is_file() or path == "deprecations.html", path
    return [path for path in paths if (site_folder / path).is_file()]


def sampled_axe(page: Any) -> dict[str, Any]:
    """Run axe-core on the page as it is now, color-contrast on one element per signature.

    Returns its violations, and how many elements contrast was checked on out of how many
    (`checked`, `candidates`).
    """
    page.evaluate(AXE_SCRIPT)
    page.evaluate(SAMPLED_AXE)
    result: dict[str, Any] = page.evaluate("axeSampledViolations({resultTypes: ['violations']})")
    return result


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Return the page's critical and serious axe violations, as it is now."""
    return [found for found in sampled_axe(page)["violations"] if found["impact"] in BLOCKING]


def describe(path: str, violations: list[dict[str, Any]]) -> list[str]:
    """Return one readable line per violating element: page, rule, element, why."""
    return [
        f"{path}: {found['id']} {node['target']} {node['failureSummary'].splitlines()[-1]}"
        for found in violations
        for node in found["nodes"][:5]
    ]


def visit(page: Any, url: str) -> None:
    """Open a page and wait until its scripts have drawn what they fetch (grid, calculator)."""
    page.goto(url)
    # A selector, not a JS predicate: Playwright polls a predicate with eval, which the CSP bars.
    page.wait_for_selector(
        "[data-virtual-grid]:not([data-ready]), [data-calculator]:not([data-calc-ready])",
        state="detached",
    )


def nameless_controls(page: Any, path: str) -> list[str]:
    """Return the controls without a name in Chromium's own accessibility tree, menus open.

    The menus it opens are closed again after: what scripts draw next starts from the page
    as it loaded.
    """
    # Menus and field lists open, so the controls inside them are in the tree.
    page.evaluate(
        """() => {
          window.__a11yOpened = [...document.querySelectorAll('details:not([open])')];
          window.__a11yOpened.forEach(d => { d.open = true; });
        }"""
    )
    nodes = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    page.evaluate("() => window.__a11yOpened.forEach(d => { d.open = false; })")
    found = [
        f"{path}: a {node['role']['value']} without a name"
        for node in nodes
        if not node.get("ignored")
        and node.get("role", {}).get("value") in CONTROL_ROLES
        and not node.get("name", {}).get("value", "").strip()
    ]
    if not any(node.get("role", {}).get("value") == "link" for node in nodes):
        found.append(f"{path}: no link in the accessibility tree")
    return found


def sort_the_grid_and_open_a_menu(page: Any, path: str) -> list[str]:
    """Sort the endpoint grid by input price, open its first menu; return axe's findings."""
    header = page.locator("#endpoint-grid th[data-sort=input]")
    if header.is_visible():
        header.click()
    else:  # A phone's cards have no header row: its sort picker sorts.
        page.select_option("[data-sort-pick]", "input")
    page.locator("details.drop summary").first.click()
    return describe(f"{path} sorted, menu open", axe_violations(page))


def sort_the_models(page: Any, path: str) -> list[str]:
    """Sort the models table by its fourth column; return axe's findings."""
    page.locator("#models th[data-sort]").nth(3).click()
    return describe(f"{path} sorted", axe_violations(page))


def turn_a_line_off_and_read_out(page: Any, path: str) -> list[str]:
    """Turn a chart's first line off and show its readout; return axe's findings."""
    found = []
    toggles = page.locator(".chartblock .legend input.line-toggle")
    if toggles.count():
        # By keyboard, as a person without a mouse would: a click can land off target while
        # the page still lays out its off-screen panels (content-visibility) on a busy machine.
        toggles.first.focus()
        page.keyboard.press("Space")
        if toggles.first.is_checked():
            found.append(f"{path}: Space left the first line toggle checked")
    page.locator(".chartblock .plotbox").first.focus()
    page.keyboard.press("ArrowLeft")
    return found + describe(f"{path} readout, a line off", axe_violations(page))


def filter_the_monitor(page: Any, site_url: str) -> list[str]:
    """Open the change monitor filtered to price changes; return axe's findings once drawn."""
    visit(page, site_url + "changes/index.html?kind=price")
    page.wait_for_selector("[data-results] article.card")
    # Every month it asked for is drawn: the scope line says so once it has searched them all.
    page.locator("[data-scope]", has_text="of the whole history").wait_for(state="attached")
    return describe("changes filtered", axe_violations(page))


@dataclass
class Sweep:
    """What one pass over every page type in one scheme and width found."""

    problems: list[str] = field(default_factory=list)
    nameless: list[str] = field(default_factory=list)
    # In what scripts draw: sorted grids, an open menu, the monitor's results, a readout.
    drawn: list[str] = field(default_factory=list)


class Sweeps:
    """One pass per scheme and width over every page type, made when a test first asks.

    Each page is loaded once: axe checks it as loaded; in the dark 1,440 px pass the name
    check reads it next; then, on the pages whose scripts draw (the grid, the models table, a
    model's chart), the scripts are made to draw and axe checks again.
    """

    def __init__(self, browser: Any, site_url: str, page_types: list[str]) -> None:
        self.browser, self.site_url, self.page_types = browser, site_url, page_types
        self.done: dict[tuple[str, int], Sweep] = {}
        self.drawing: dict[str, Callable[[Any, str], list[str]]] = {
            "index.html": sort_the_grid_and_open_a_menu,
            "models.html": sort_the_models,
            page_types[4]: turn_a_line_off_and_read_out,  # The busiest model's page.
        }

    def of(self, scheme: str, width: int) -> Sweep:
        """Return the pass in this scheme and width, making it first if needed."""
        if (scheme, width) not in self.done:
            self.done[scheme, width] = self._sweep(scheme, width)
        return self.done[scheme, width]

    def _sweep(self, scheme: str, width: int) -> Sweep:
        found = Sweep()
        with recording_page(self.browser, f"a11y-{scheme}-{width}", width, 900) as page:
            page.emulate_media(color_scheme=scheme)
            for path in self.page_types:
                visit(page, self.site_url + quote(path))
                found.problems += describe(path, axe_violations(page))
                if (scheme, width) == ("dark", 1440):
                    found.nameless += nameless_controls(page, path)
                if path in self.drawing:
                    found.drawn += self.drawing[path](page, path)
            found.drawn += filter_the_monitor(page, self.site_url)
        return found


@pytest.fixture(scope="module")
def sweeps(browser: Any, site_url: str, page_types: list[str]) -> Sweeps:
    """Return the module's passes over every page type (made lazily, once each)."""
    return Sweeps(browser, site_url, page_types)


@pytest.mark.parametrize(("scheme", "width"), SCHEMES, ids=SCHEME_IDS)
def test_no_serious_axe_violation_on_any_page_type(sweeps: Sweeps, scheme: str, width: int) -> None:
    assert sweeps.of(scheme, width).problems == []


@pytest.mark.parametrize(("scheme", "width"), SCHEMES, ids=SCHEME_IDS)
def test_no_serious_axe_violation_in_what_scripts_draw(
    sweeps: Sweeps, scheme: str, width: int
) -> None:
    """Sorted grids, open menus, the monitor's results and a chart's readout are checked too."""
    assert sweeps.of(scheme, width).drawn == []


def test_every_control_has_an_accessible_name(sweeps: Sweeps) -> None:
    """Chromium's own accessibility tree: each input, select and button has a name."""
    assert sweeps.of("dark", 1440).nameless == []


def test_axe_and_the_name_check_see_what_they_must(browser: Any, site_url: str) -> None:
    """The checks can fail: low contrast and a nameless input put into a real page are seen."""
    with recording_page(browser, "a11y-self-check") as page:
        visit(page, site_url + "status.html")
        page.evaluate(
            """() => {
              const main = document.querySelector('main');
              const faint = document.createElement('p');
              faint.textContent = 'old price $0.30';
              faint.style.cssText = 'color:#5c5c66;background:#121215';
              main.append(faint, document.createElement('input'));
            }"""
        )
        found = {violation["id"] for violation in axe_violations(page)}
        nameless = nameless_controls(page, "status.html")
    assert {"color-contrast", "label"} <= found
    assert nameless == ["status.html: a textbox without a name"]


# A long table put into a real page: rows styled alike, but for two faint rows deep inside,
# each its own color, and one row with the same faint color under a tinted overlay.
LONG_TABLE = """() => {
  const table = document.createElement('table');
  for (let row = 0; row < 400; row += 1) {
    const line = table.insertRow();
    line.id = `row-${row}`;
    line.insertCell().textContent = `provider ${row}`;
    line.insertCell().textContent = `$${(row / 100).toFixed(2)} per M tokens`;
  }
  document.querySelector('main').append(table);
  document.querySelector('#row-230').style.color = '#3a3a40';
  document.querySelector('#row-370').style.color = '#2d2d5a';
}"""


def test_the_contrast_sample_keeps_one_element_per_style(browser: Any, site_url: str) -> None:
    """Rows alike are checked once; each differently colored row deep in a table is checked."""
    with recording_page(browser, "a11y-contrast-sample") as page:
        visit(page, site_url + "status.html")
        before = sampled_axe(page)
        page.evaluate(LONG_TABLE)
        after = sampled_axe(page)
    contrast = [found for found in after["violations"] if found["id"] == "color-contrast"]
    flagged = {target for found in contrast for node in found["nodes"] for target in node["target"]}
    # Both faint rows, each cell of each: neither is hidden behind the other or row 1.
    assert {"#row-230 > td:nth-child(1)", "#row-230 > td:nth-child(2)"} <= flagged
    assert {"#row-370 > td:nth-child(1)", "#row-370 > td:nth-child(2)"} <= flagged
    # 800 new cells with text, in a few styles (and places: in view or below it): only a
    # few more elements checked, not 800.
    assert after["candidates"] - before["candidates"] == 800
    assert after["checked"] - before["checked"] <= 16


class PageOutline(HTMLParser):
    """Collect a page's h1 texts, meta description and title."""

    def __init__(self) -> None:
        super().__init__()
        self.h1: list[str] = []
        self.description: str | None = None
        self.title = ""
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and values.get("name") == "description":
            self.description = values.get("content") or ""
        if tag in ("h1", "title"):
            self._in = tag
            if tag == "h1":
                self.h1.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "h1":
            self.h1[-1] += data
        elif self._in == "title":
            self.title += data


def outline(html: str) -> PageOutline:
    """Return the outline of one page's HTML."""
    parser = PageOutline()
    parser.feed(html)
    return parser


def test_every_page_has_one_h1_and_a_description(site_folder: Path) -> None:
    pages = sorted(site_folder.rglob("*.html"))
    assert len(pages) > 10
    wrong: list[str] = []
    descriptions: dict[str, str] = {}
    for path in pages:
        found = outline(path.read_text())
        name = str(path.relative_to(site_folder))
        if len(found.h1) != 1 or not found.h1[0].strip():
            wrong.append(f"{name}: h1 {found.h1}")
        if not (found.description or "").strip():
            wrong.append(f"{name}: no meta description")
        descriptions[name] = found.description or ""
    assert wrong == []
    # Per page, not one text for all: each entity page says what it is about.
    entity_pages = [name for name in descriptions if name.startswith(("model/", "endpoint/"))]
    assert len({descriptions[name] for name in entity_pages}) == len(entity_pages)


def test_descriptions_state_the_page_s_own_figures(site_folder: Path) -> None:
    models = json.loads((site_folder / "api" / "models.json").read_text())["models"]
    busiest = max(models, key=lambda m: m["endpoint_count"])
    found = outline((site_folder / busiest["page"]).read_text())
    assert found.description is not None
    assert busiest["key"] in found.description
    assert f"{busiest['endpoint_count']} endpoints" in found.description
    grid = outline((site_folder / "index.html").read_text()).description or ""
    assert (
        f"{len(json.loads((site_folder / 'api' / 'endpoints.json').read_text())['endpoints']):,}"
        in grid
    )


def test_the_outline_check_sees_a_page_without_h1_or_description() -> None:
    found = outline("<html><head><title>t</title></head><body><h2>x</h2></body></html>")
    assert found.h1 == [] and found.description is None
