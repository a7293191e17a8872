"""A stand-in for GitHub's `gh` CLI, which cannot reach GitHub from here: the release
commands `archiver export-release` runs, acting on a folder per release.

It answers as gh does where the archiver reads the answer: `release list` names the
releases' tags, `release view` lists the asset names (`--jq '.assets[].name'`) or fails
saying "release not found"; `upload --clobber`
replaces assets of the same name. FAKE_GH_FAIL=<verb> makes that verb fail as a network
error does. FAKE_GH_UPLOAD_BUDGET=<file> holds how many more assets GitHub takes before its
rate limit: an upload past it stores the files the budget allows, then fails as gh does.
"""

from __future__ import annotations

import sys
from pathlib import Path

SCRIPT = """#!{python} -S
import os, shutil, sys
from pathlib import Path

args = sys.argv[1:]
if os.environ.get("FAKE_GH_FAIL") == args[1]:
    sys.exit("HTTP 502: Bad Gateway (https://uploads.github.com/repos/you/archive/releases)")
root = Path(os.environ["FAKE_GH_RELEASES"])
if args[:2] == ["release", "list"]:
    assert args[2:] == ["--limit", "1000", "--json", "tagName", "--jq", ".[].tagName"], args
    print("\\n".join(sorted(path.name for path in root.iterdir())))
    sys.exit(0)
_, verb, tag, *rest = args
release = root / tag
if verb == "view":
    if not release.is_dir():
        sys.exit("release not found")
    assert rest == ["--json", "assets", "--jq", ".assets[].name"], rest
    print("\\n".join(sorted(path.name for path in release.iterdir())))
elif verb == "create":
    release.mkdir()
elif verb == "upload":
    assert rest[-1] == "--clobber", rest
    budget = os.environ.get("FAKE_GH_UPLOAD_BUDGET")
    left = int(Path(budget).read_text()) if budget else len(rest)
    for name in rest[:-1]:
        if left == 0:
            sys.exit("HTTP 403: You have exceeded a secondary rate limit")
        shutil.copyfile(name, release / Path(name).name)
        left -= 1
        if budget:
            Path(budget).write_text(str(left))
elif verb == "delete-asset":
    assert rest[1:] == ["--yes"], rest
    (release / rest[0]).unlink()
else:
    sys.exit(f"unknown command {{verb}}")
"""


def install_fake_gh(folder: Path) -> tuple[Path, Path]:
    """Write the fake `gh` into folder/bin; return (that bin folder, the releases folder)."""
    bin_folder, releases = folder / "bin", folder / "releases"
    bin_folder.mkdir(parents=True)
    releases.mkdir()
    gh = bin_folder / "gh"
    gh.write_text(SCRIPT.format(python=sys.executable))
    gh.chmod(0o755)
    return bin_folder, releases
