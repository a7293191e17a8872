"""The watch list's words match what it does: `models` and `providers` are globs that ignore
case, `kinds` are exact names (data/README.md said every field was a glob, case-insensitive,
and `kinds = ["Price"]` or `["pri*"]` was refused as an unknown kind)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from archiver.notify import NotifyError, read_watch_list


def _layout() -> str:
    return " ".join(resources.files("archiver").joinpath("archive_readme.md").read_text().split())


@pytest.mark.parametrize("kind", ["Price", "pri*"])
def test_kinds_are_exact_names_as_the_layout_says(tmp_path: Path, kind: str) -> None:
    watch = tmp_path / "notify.toml"
    watch.write_text(f'[[watch]]\nmodels = ["Z-AI/GLM-*"]\nkinds = ["{kind}"]\n')
    with pytest.raises(NotifyError, match="unknown kind"):
        read_watch_list(watch)
    watch.write_text('[[watch]]\nmodels = ["Z-AI/GLM-*"]\nkinds = ["price"]\n')
    assert read_watch_list(watch)
    rule = re.search(r"matches every field one rule names \(([^)]*)\)", _layout())
    assert rule is not None and "`kinds` are names" in rule.group(1)
    assert "exactly" in rule.group(1)
