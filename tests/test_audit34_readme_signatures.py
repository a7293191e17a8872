"""The README's table of the Python API calls each function as its signature takes it.

It wrote `build_site(repo, out, at=None, base_url="/")`, but `at` and `base_url` are
keyword-only: `build_site("archive", "site", at)` raised TypeError. A name the table lists
before a `*` must be positional, and one after it keyword-only.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import archiver

README = Path(__file__).resolve().parents[1] / "README.md"
FUNCTIONS = ("sync", "build_site", "import_captures", "key_to_path", "path_to_key")


def test_the_table_calls_each_function_as_it_takes_arguments() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Python API") :]
    for name in FUNCTIONS:
        found = re.search(rf"`{name}\(([^)]*)\)`", section)
        assert found, name
        parameters = inspect.signature(getattr(archiver, name)).parameters
        keyword_only = False
        for written in (part.strip() for part in found.group(1).split(",")):
            keyword_only = keyword_only or written == "*"
            parameter = parameters.get(written.split("=")[0])
            if parameter is not None:
                taken = parameter.kind == inspect.Parameter.KEYWORD_ONLY
                assert taken == keyword_only, (name, written)
