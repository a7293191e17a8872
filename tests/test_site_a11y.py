"""Accessibility of every page type: axe-core in a real Chromium, and what every page carries.

axe-core comes from the `axe-playwright-python` package (its bundled axe.min.js), injected
with Playwright's `page.evaluate`: that runs through the DevTools protocol, which the site's
strict CSP (script-src 'self') does not govern, so the page keeps its real CSP while checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
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
BLOCKING = ("critical", "serious")
# Roles of the controls a reader operates: each needs a name a screen reader can say.
CONTROL_ROLES = {
    "button", "checkbox", "combobox", "listbox", "radio", "searchbox", "slider",
    "spinbutton", "switch", "textbox",
}  # fmt: skip


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


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; return its critical and serious violations."""
    page.evaluate(AXE_SCRIPT)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [found for found in results["violations"] if found["impact"] in BLOCKING]


def describe(path: str, violations: list[dict[str, Any]]) -> list[str]:
    """Return one readable line per violating element: page, rule, element, why."""
    return [
        f"{path}: {found['id']} {node['target']} {node['failureSummary'].splitlines()[-1]}"
        for found in violations
        for node in found["nodes"][:5]
    ]


def visit(page: Any, url: str) -> None:
    """Open a page and wait until its scripts have drawn what they draw."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    if page.locator("#endpoint-grid").count():
        page.wait_for_selector("#endpoint-grid[data-ready]")


# Both schemes and both widths, each page type in each: contrast depends on the scheme,
# layout on the width (two of the four pairings: the other two checked nothing new and
# doubled the suite's slowest module).
@pytest.fixture(params=[("dark", 1440), ("light", 390)], ids=["dark-1440", "light-390"])
def scheme_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Return a page in one color scheme at one width, for every page type in turn."""
    scheme, width = request.param
    with recording_page(browser, f"a11y-{scheme}-{width}", width, 900) as page:
        page.emulate_media(color_scheme=scheme)
        yield page


def test_no_serious_axe_violation_on_any_page_type(
    scheme_page: Any, site_url: str, page_types: list[str]
) -> None:
    problems: list[str] = []
    for path in page_types:
        visit(scheme_page, site_url + quote(path))
        problems += describe(path, axe_violations(scheme_page))
    assert problems == []


def test_no_serious_axe_violation_in_what_scripts_draw(
    scheme_page: Any, site_url: str, page_types: list[str]
) -> None:
    """Sorted grids, open menus, the monitor's results and a chart's readout are checked too."""
    problems: list[str] = []
    visit(scheme_page, site_url + "index.html")
    header = scheme_page.locator("#endpoint-grid th[data-sort=input]")
    if header.is_visible():
        header.click()
    else:  # A phone's cards have no header row: its sort picker sorts.
        scheme_page.select_option("[data-sort-pick]", "input")
    scheme_page.locator("details.drop summary").first.click()
    problems += describe("index.html sorted, menu open", axe_violations(scheme_page))
    visit(scheme_page, site_url + "models.html")
    scheme_page.locator("#models th[data-sort]").nth(3).click()
    problems += describe("models.html sorted", axe_violations(scheme_page))
    visit(scheme_page, site_url + "changes/index.html?kind=price")
    scheme_page.wait_for_selector("[data-results] article.card")
    problems += describe("changes filtered", axe_violations(scheme_page))
    model_page = page_types[4]
    visit(scheme_page, site_url + quote(model_page))
    toggles = scheme_page.locator(".chartblock .legend input.line-toggle")
    if toggles.count():
        # By keyboard, as a person without a mouse would: a click can land off target while
        # the page still lays out its off-screen panels (content-visibility) on a busy machine.
        toggles.first.focus()
        scheme_page.keyboard.press("Space")
        assert not toggles.first.is_checked()
    scheme_page.locator(".chartblock .plotbox").first.focus()
    scheme_page.keyboard.press("ArrowLeft")
    problems += describe(f"{model_page} readout, a line off", axe_violations(scheme_page))
    assert problems == []


def test_every_control_has_an_accessible_name(
    browser: Any, site_url: str, page_types: list[str]
) -> None:
    """Chromium's own accessibility tree: each input, select and button has a name."""
    nameless: list[str] = []
    with recording_page(browser, "a11y-names") as page:
        session = page.context.new_cdp_session(page)
        for path in page_types:
            visit(page, site_url + quote(path))
            # Menus and field lists open, so the controls inside them are in the tree.
            page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
            nodes = session.send("Accessibility.getFullAXTree")["nodes"]
            nameless += [
                f"{path}: a {node['role']['value']} without a name"
                for node in nodes
                if not node.get("ignored")
                and node.get("role", {}).get("value") in CONTROL_ROLES
                and not node.get("name", {}).get("value", "").strip()
            ]
            assert any(node.get("role", {}).get("value") == "link" for node in nodes), path
    assert nameless == []


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
    assert {"color-contrast", "label"} <= found


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
