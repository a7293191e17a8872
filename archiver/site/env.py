"""The one jinja2 environment of the site: where templates live, autoescaping, filters."""

from __future__ import annotations

import shlex
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from archiver.errors import ArchiverError
from archiver.site import formats
from archiver.site.urls import href

__all__ = ["environment", "templates_dir"]

# In a wheel the templates sit inside the package (hatch force-include); in a checkout,
# in the repository's top-level templates/ folder.
_INSTALLED = Path(__file__).resolve().parent / "templates"
_SOURCE = Path(__file__).resolve().parents[2] / "templates"


def templates_dir() -> Path:
    """Return the folder that holds the site's templates and static assets."""
    for folder in (_INSTALLED, _SOURCE):
        if (folder / "base.html").is_file():
            return folder
    raise ArchiverError(
        f"the site's templates are missing (looked in {_INSTALLED} and {_SOURCE}); "
        "reinstall openrouter-archiver"
    )


def tint(text: str) -> int:
    """Return one of 8 avatar colours for a name, the same on every page."""
    return sum(map(ord, text)) % 8


def _finalized(value: Any) -> Any:
    """Return a value about to be written into a page: no character XML forbids, no bidi
    control left to reorder the page's own text."""
    if not isinstance(value, str) or not formats.needs_page_text(value):
        return value  # Numbers, and nearly all text: nothing to rewrite.
    if isinstance(value, Markup):
        return Markup(formats.page_text(str(value)))
    return formats.page_text(value)


@cache
def environment() -> jinja2.Environment:
    """Return the jinja2 environment: autoescaped, strict about undefined names."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        # Every {{ value }} passes here: NUL and other controls never reach a page.
        finalize=_finalized,
    )
    env.filters.update(
        money=formats.money,
        count=formats.count,
        percent=formats.percent,
        uptime=formats.uptime,
        date=formats.date,
        moment=formats.moment,
        iso=formats.iso,
        href=href,
        tint=tint,
        # A command a page suggests names an upstream key: quoted, it is one word to a shell
        # (a key holding `$(...)`, a backtick, `;` or a leading `~` runs or expands nothing).
        shell=shlex.quote,
    )
    return env
