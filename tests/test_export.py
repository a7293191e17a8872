"""The Parquet export: tables, months, incremental reruns, hostile files, and the README's
DuckDB queries answering what the CLI answers.

One archive for the module: two June /api/v1/models captures, then the three small July
daily captures with their uptime windows, documented listings and ZDR list, synced
in-process. It is exported into one folder after June (the current month then), after the
first July sync and after the last; and once more, in full, into another folder.
"""

from __future__ import annotations

import math
import re
import shutil
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pygit2
import pytest
from click.testing import CliRunner

from archiver import jsonvalue
from archiver.canonical import canonical_bytes
from archiver.capture.files import Capture, read_capture
from archiver.cli import main
from archiver.export import ExportReport, export_parquet, series
from archiver.export.columns import dig, number, price_cells
from archiver.export.parquet import read_rows
from archiver.export.plan import MANIFEST
from archiver.export.tsv_columns import numbers
from archiver.history.api import History
from archiver.history.versions import category_at
from archiver.paths import key_to_path
from archiver.telemetry.codec import PATCH
from archiver.times import format_epoch, parse_time
from tests.small_captures import HERE, SMALL_DAILY, SMALL_V1_MODELS, copy_archive, sync_small
from tests.test_export_telemetry import assert_rows_replay_to_reader

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
# Files and their (bytes, mtime) in an export folder.
Files = dict[str, tuple[bytes, int]]


@dataclass(frozen=True)
class Exported:
    """The module's archive and its exports: after June, after July, and a fresh full one."""

    repo: Path
    june: ExportReport
    june_files: Files
    mid_july: ExportReport
    july: ExportReport
    out: Path
    full: Path


def with_sources(path: Path) -> Capture:
    """Return a small daily capture that also answers its extra sources and its ZDR list."""
    daily = read_capture(path)
    extra = [read_capture(HERE / folder / path.name) for folder in ("extra", "zdr")]
    assert all(capture.time == daily.time for capture in extra)
    return replace(daily, responses=daily.responses + tuple(r for c in extra for r in c.responses))


def files(out: Path) -> Files:
    """Return every file of an export folder with its bytes and modification time."""
    return {
        path.relative_to(out).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    root = tmp_path_factory.mktemp("export")
    repo, out = root / "archive", root / "export"
    for path in SMALL_V1_MODELS[:2]:
        assert sync_small(repo, path).commit_id
    june = export_parquet(repo, out)
    june_files = files(out)
    first, *rest = SMALL_DAILY
    assert sync_small(repo, with_sources(first)).commit_id
    # Mid-July: the next run keeps what this one wrote of July and adds the rest.
    mid_july = export_parquet(repo, out)
    for path in rest:
        log = sync_small(repo, with_sources(path))
        assert log.commit_id and not log.failures, log.failures
    july = export_parquet(repo, out)
    full = root / "full"
    export_parquet(repo, full)
    return Exported(repo, june, june_files, mid_july, july, out, full)


def query(exported: Exported, sql: str) -> list[tuple[Any, ...]]:
    """Run SQL with the folder holding `export/` as the working directory, as the README says."""
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute(f"SET file_search_path = '{exported.out.parent}'")
        return connection.execute(sql).fetchall()


def readme_queries() -> list[str]:
    """Return the SQL blocks of the README's DuckDB section, in order."""
    section = README.split("## Analyse the archive with DuckDB", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.+?)```", section, re.DOTALL)


def cli_json(*args: str) -> Any:
    """Run an archiver command in-process and return its JSON output."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout)


# -- tables and months ---------------------------------------------------------------------


def test_every_table_is_partitioned_by_month_hive_style(exported: Exported) -> None:
    manifest = orjson.loads((exported.out / MANIFEST).read_bytes())
    assert manifest["head"] == str(pygit2.Repository(str(exported.repo)).head.target)
    assert manifest["current_month"] == "2026-07"
    tables = set(manifest["tables"])
    expected = {"models", "endpoints", "providers", "zdr", "changes", "price_moves", "uptime"}
    kinds = {p.name for p in (exported.repo / "data" / "telemetry").iterdir()} - {"endpoint_uptime"}
    assert tables == expected | {f"telemetry_{kind}" for kind in kinds}
    on_disk = {p.relative_to(exported.out).as_posix() for p in exported.out.rglob("*.parquet")}
    listed = {
        f"{t}/month={m}/part-0.parquet" for t, months in manifest["tables"].items() for m in months
    }
    assert on_disk == listed
    # June's v1-models syncs changed models: their changes are filed in June.
    assert "2026-06" in manifest["tables"]["changes"]


def test_every_file_reads_whole_with_types_every_engine_has(exported: Exported) -> None:
    # A map column is one Hugging Face datasets cannot load; a dictionary nested in a list
    # (how the figures' names travel from the readers) made pyarrow refuse a file whole.
    def plain(kind: pa.DataType) -> bool:
        if pa.types.is_map(kind) or pa.types.is_dictionary(kind):
            return False
        if pa.types.is_list(kind):
            return plain(kind.value_type)
        return not pa.types.is_struct(kind) or all(plain(field.type) for field in kind)

    read = 0
    for path in sorted(exported.full.rglob("*.parquet")):
        table = pq.read_table(path)
        assert all(plain(field.type) for field in table.schema), (path, table.schema)
        read += table.num_rows
    assert read > 1000


def test_versions_are_intervals_that_read_as_the_archive_at_any_epoch(exported: Exported) -> None:
    history = History(exported.repo)
    epochs = sorted({group.epoch for group in history.changes()})
    for at in (epochs[0], epochs[len(epochs) // 2], epochs[-1]):
        rows = query(
            exported,
            "SELECT key, json FROM read_parquet('export/endpoints/*/*.parquet') "
            "WHERE valid_from <= $at AND (valid_to IS NULL OR valid_to > $at)".replace(
                "$at", f"TIMESTAMPTZ '{format_epoch(at)}'"
            ),
        )
        expected = category_at(exported.repo, "endpoint", at)
        assert {key: orjson.loads(text) for key, text in rows} == expected


def test_prices_are_exact_text_and_doubles(exported: Exported) -> None:
    rows = query(
        exported,
        "SELECT json, price_prompt, price_prompt_usd, price_input_cache_read "
        "FROM read_parquet('export/endpoints/*/*.parquet')",
    )
    checked = 0
    for text, prompt, prompt_usd, cache_read in rows:
        pricing = orjson.loads(text).get("pricing", {})
        assert prompt == pricing.get("prompt")
        assert cache_read == pricing.get("input_cache_read")
        if prompt is not None:
            assert prompt_usd == float(Decimal(prompt))
            checked += 1
    assert checked > 100


@pytest.mark.parametrize(
    "spelled",
    ["1e308", "-1e309", "1e400", '" 2e308 "', "9.99e307", "0.0000025", '"1_000"', '"\u0661"'],
)
def test_a_number_past_a_double_is_null_in_every_column_not_infinity(spelled: str) -> None:
    # The same figure read one value at a time (entity columns, prices) and as a column of
    # telemetry cells: a double, or null where none can hold it, never infinity.
    value = jsonvalue.loads(spelled)
    one = number(value)
    assert one is None or math.isfinite(one)
    assert price_cells(value)[1] == one
    assert numbers(pa.array([spelled])).to_pylist() == [one]


def test_zdr_intervals_follow_the_ledger(exported: Exported) -> None:
    git = pygit2.Repository(str(exported.repo))
    blob = git.head.peel(pygit2.Commit).tree["data/zdr/endpoints.json"]
    assert isinstance(blob, pygit2.Blob)
    ledger = orjson.loads(blob.data)
    now = {(m, t) for m, tags in ledger["endpoints"].items() for t in tags}
    rows = query(
        exported, "SELECT model_id, tag FROM 'export/zdr/*/*.parquet' WHERE valid_to IS NULL"
    )
    assert set(rows) == now and len(rows) == len(now)


def test_uptime_rows_are_the_stitched_series(exported: Exported) -> None:
    key, count = query(
        exported,
        "SELECT key, count(*) AS n FROM 'export/uptime/*/*.parquet' "
        "GROUP BY key ORDER BY n DESC, key",
    )[0]
    points = cli_json(
        "telemetry", "--repo", str(exported.repo), "endpoint-uptime", key, "--format", "json"
    )
    rows = query(
        exported,
        f"SELECT hour, uptime FROM 'export/uptime/*/*.parquet' WHERE key = '{key}' ORDER BY hour",
    )
    assert [(format_epoch(h), u) for h, u in rows] == [(h, v) for h, v in points]
    assert count == len(points) > 24


def test_telemetry_rows_replay_to_what_archiver_telemetry_reads(exported: Exported) -> None:
    telemetry = exported.repo / "data" / "telemetry"
    # The variants' month-long arrays are stored as patches: the export writes them whole.
    assert any(PATCH in p.read_text() for p in (telemetry / "model_variant").rglob("*.tsv"))
    checked = 0
    for kind in series.telemetry_kinds(exported.repo):
        rows = []
        for path in sorted((exported.out / series.table_name(kind)).rglob("*.parquet")):
            rows.extend(read_rows(path))
        checked += assert_rows_replay_to_reader(exported.repo, kind, rows)
    assert checked > 1000


# -- incremental -----------------------------------------------------------------------------


def test_a_rerun_appends_new_months_and_rewrites_only_the_current_one(exported: Exported) -> None:
    assert exported.june.full and not exported.mid_july.full and not exported.july.full
    after = files(exported.out)
    for name, (data, mtime) in exported.june_files.items():
        if name.startswith(("changes/", "price_moves/")):
            # June's syncs are over: their months are never written again.
            assert after[name] == (data, mtime), name
    for report in (exported.mid_july, exported.july):
        written = set(report.written)
        assert not any(
            n.startswith(("changes/month=2026-06", "price_moves/month=2026-06")) for n in written
        )
    # Mid-July, June was the current month: its versions still in force moved to July, and
    # those that ended in June stayed in a June file written again.
    assert "models/month=2026-06/part-0.parquet" in exported.mid_july.written
    assert "models/month=2026-07/part-0.parquet" in exported.mid_july.written
    # At the end of July, June was left alone: only July was written.
    assert exported.july.written and all("month=2026-07" in n for n in exported.july.written)


def test_incremental_and_full_exports_are_the_same_bytes(exported: Exported) -> None:
    incremental = {name: data for name, (data, _) in files(exported.out).items()}
    full = {name: data for name, (data, _) in files(exported.full).items()}
    assert incremental == full


def test_a_rerun_with_nothing_new_writes_nothing(exported: Exported) -> None:
    before = files(exported.out)
    report = export_parquet(exported.repo, exported.out)
    assert report.up_to_date and report.written == [] and report.removed == []
    assert files(exported.out) == before


def test_publish_mirrors_the_export_into_the_site_folder(
    exported: Exported, tmp_path: Path
) -> None:
    site = tmp_path / "site" / "export"
    stale = site / "changes" / "month=1999-01" / "part-0.parquet"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an export of another archive")
    result = CliRunner().invoke(
        main,
        ["export", "--repo", str(exported.repo), str(exported.out), "--publish", str(site)],
    )
    assert result.exit_code == 0, result.output
    published = {name: data for name, (data, _) in files(site).items()}
    assert published == {name: data for name, (data, _) in files(exported.out).items()}
    assert not stale.parent.exists()
    # Hard links where the file system allows: the site holds no second copy of the bytes.
    manifest = site / "manifest.json"
    assert manifest.samefile(exported.out / "manifest.json")


def test_rewritten_history_is_exported_again_in_full(exported: Exported, tmp_path: Path) -> None:
    repo = copy_archive(exported.repo, tmp_path / "archive")
    out = Path(shutil.copytree(exported.out, tmp_path / "export"))
    git = pygit2.Repository(str(repo))
    head = git.head.peel(pygit2.Commit)
    # An amended head: the same tree and parent, another message (as `git commit --amend`).
    amended = git.create_commit(
        None,
        head.author,
        head.committer,
        "Amended: " + head.message,  # The trailers (the epoch) stay last.
        head.tree_id,
        head.parent_ids,
    )
    git.references["refs/heads/main"].set_target(amended)
    result = CliRunner().invoke(main, ["export", "--repo", str(repo), str(out)])
    assert result.exit_code == 0, result.output
    assert "history was rewritten" in result.stderr and len(result.stderr.splitlines()) == 1
    assert orjson.loads((out / MANIFEST).read_bytes())["head"] == str(amended)
    # Every row as a full export of the same history, the amended commit in place of the old.
    renamed = {str(head.id): str(amended)}
    for path in exported.full.rglob("*.parquet"):
        expected = [
            {k: renamed.get(v, v) if k == "commit" else v for k, v in row.items()}
            for row in read_rows(path)
        ]
        assert read_rows(out / path.relative_to(exported.full)) == expected, path


# -- hostile files ---------------------------------------------------------------------------


def test_hostile_files_are_reported_in_one_line_each_and_skipped(
    exported: Exported, tmp_path: Path
) -> None:
    repo = copy_archive(exported.repo, tmp_path / "archive")
    git = pygit2.Repository(str(repo))
    odd_key = "evil/'; DROP TABLE endpoints; --<script>alert(1)</script>"
    hostile = {
        "data/endpoint/not-an-object.json": b"[1, 2]\n",
        "data/endpoint/too-deep.json": b'{"a": ' + b"[" * 2000 + b"]" * 2000 + b"}\n",
        "data/model/Not~A~Canonical~Path.json": b"{}\n",
        key_to_path("model", odd_key): canonical_bytes(
            {"v1": {"name": "<img src=x onerror=alert(1)>"}}
        ),
    }
    # A damaged telemetry file, committed too: the export reads the commit it names.
    damaged = sorted((repo / "data" / "telemetry" / "endpoint").rglob("*.tsv"))[-1]
    damaged.write_bytes(b'"epoch"\t"key"\n"2026-07-19T15:00:00Z"\t{not json\n')
    hostile[damaged.relative_to(repo).as_posix()] = damaged.read_bytes()
    _commit(git, hostile, "2026-07-20T00:00:00Z")
    out = tmp_path / "export"
    result = CliRunner().invoke(main, ["export", "--repo", str(repo), str(out)])
    assert result.exit_code == 1, result.output
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped: ")]
    for name in ("not-an-object.json", "too-deep.json", "Not~A~Canonical~Path.json", damaged.name):
        assert sum(name in line for line in skipped) >= 1, (name, skipped)
    assert len(skipped) == len(set(skipped))
    with duckdb.connect() as connection:
        models = connection.execute(
            f"SELECT key, name FROM '{out}/models/*/*.parquet' WHERE valid_to IS NULL AND key = ?",
            [odd_key],
        ).fetchall()
        endpoints = connection.execute(
            f"SELECT count(*) FROM '{out}/endpoints/*/*.parquet'"
        ).fetchone()
    assert models == [(odd_key, "<img src=x onerror=alert(1)>")]
    clean = query(exported, "SELECT count(*) FROM 'export/endpoints/*/*.parquet'")[0]
    assert endpoints is not None and endpoints[0] >= clean[0]


def _commit(git: pygit2.Repository, blobs: dict[str, bytes], epoch: str) -> None:
    """Commit files on top of HEAD (a sync-like commit with an epoch trailer)."""
    head = git.head.peel(pygit2.Commit)
    index = pygit2.Index()
    index.read_tree(head.tree)
    for path, data in blobs.items():
        index.add(pygit2.IndexEntry(path, git.create_blob(data), pygit2.enums.FileMode.BLOB))
    tree = index.write_tree(git)
    signature = pygit2.Signature("test", "test@example.com", int(parse_time(epoch).timestamp()), 0)
    message = f"Hostile files\n\nSync-Epoch: {epoch}\n"
    git.create_commit("refs/heads/main", signature, signature, message, tree, [head.id])


@pytest.mark.parametrize("absent", ["pyarrow", "numpy"])
def test_without_pyarrow_the_command_says_which_extra_to_install(
    exported: Exported, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, absent: str
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == absent else real(name, *a)
    )
    result = CliRunner().invoke(main, ["export", "--repo", str(exported.repo), str(tmp_path / "x")])
    assert result.exit_code == 3
    assert result.stderr.strip().count("\n") == 0
    assert "openrouter-archiver[export]" in result.stderr and "Traceback" not in result.output
    assert absent in result.stderr


def test_a_folder_that_is_not_an_export_is_refused(exported: Exported, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = CliRunner().invoke(main, ["export", "--repo", str(exported.repo), str(tmp_path)])
    assert result.exit_code == 3 and "not an archiver export" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


# -- the README's queries against the CLI ------------------------------------------------------


def test_the_readme_has_the_five_queries() -> None:
    assert len(readme_queries()) == 5


def test_readme_price_on_each_provider_equals_archiver_cost(exported: Exported) -> None:
    sql = readme_queries()[0]
    model = _literal(sql, r"model = '([^']+)'")
    at = _literal(sql, r"TIMESTAMPTZ '([^']+)'").replace(" ", "T").replace("+00", "Z")
    rows = query(exported, sql)
    costs = cli_json(
        "cost",
        "--repo",
        str(exported.repo),
        model,
        "--at",
        at,
        "--input",
        "1",
        "--output",
        "1",
        "--json",
    )["costs"]
    assert len(rows) == len(costs) > 5
    assert {(r[1], r[2], r[3]) for r in rows} == {
        (c["endpoint"], c["prompt"], c["completion"]) for c in costs
    }
    endpoint, prompt = rows[0][1], rows[0][2]
    price = cli_json(
        "price", "--repo", str(exported.repo), "endpoint", endpoint, "--at", at, "--json"
    )
    assert price["pricing"]["prompt"] == prompt


def test_readme_price_cuts_equal_archiver_changes(exported: Exported) -> None:
    sql = readme_queries()[1]
    month = _literal(sql, r"month = '(\d{4}-\d\d)'")
    rows = query(exported, sql)
    found = cli_json(
        "changes", "--repo", str(exported.repo), "--kind", "price", "--json",
        "--since", f"{month}-01T00:00:00Z", "--until", f"{month}-31T23:59:59Z",
    )  # fmt: skip
    cuts = {
        (group["epoch"], change["category"], change["key"], move["field"], move["old"], move["new"])
        for group in found
        for change in group["changes"]
        for move in change["prices"]
        if Decimal(move["new"]) < Decimal(move["old"])
    }
    assert {(format_epoch(r[0]), *r[1:6]) for r in rows} == cuts
    assert len(rows) == len(cuts) > 10


def test_readme_p50_latency_equals_archiver_telemetry(exported: Exported) -> None:
    sql = readme_queries()[2]
    model, tag = _literal(sql, r"model = '([^']+)'"), _literal(sql, r"provider_tag = '([^']+)'")
    (key,) = endpoints_of(exported.repo, model)[tag]
    samples = cli_json(
        "telemetry", "--repo", str(exported.repo), "endpoint", key, "--format", "json"
    )
    expected = [(s["epoch"], s.get("stats", {}).get("p50_latency")) for s in samples]
    rows = query(exported, sql)
    assert [(format_epoch(epoch), p50) for epoch, p50 in rows] == expected
    assert len(expected) >= 3


def test_readme_changes_of_a_figure_without_a_column_equal_archiver_telemetry(
    exported: Exported,
) -> None:
    sql = readme_queries()[3]
    model, tag = _literal(sql, r"model = '([^']+)'"), _literal(sql, r"provider_tag = '([^']+)'")
    stored = _literal(sql, r"\(changed\)\['([^']+)'\] IS NOT NULL")
    (key,) = endpoints_of(exported.repo, model)[tag]
    samples = cli_json(
        "telemetry", "--repo", str(exported.repo), "endpoint", key, "--format", "json"
    )
    by_epoch = {s["epoch"]: dig(s, stored.split("/")) for s in samples}
    rows = [(format_epoch(epoch), orjson.loads(text)) for epoch, text in query(exported, sql)]
    # Each row is the figure as it stood then; every change of it is a row.
    assert all(by_epoch[epoch] == value for epoch, value in rows)
    epochs, values = list(by_epoch), list(by_epoch.values())
    moved = {epochs[0]} | {epochs[i] for i in range(1, len(values)) if values[i] != values[i - 1]}
    assert moved <= {epoch for epoch, _ in rows}
    assert len(rows) >= 3 and len({value for _, value in rows}) >= 2


def test_readme_uptime_per_provider_equals_archiver_telemetry(exported: Exported) -> None:
    sql = readme_queries()[4]
    model, month = _literal(sql, r"model = '([^']+)'"), _literal(sql, r"month = '(\d{4}-\d\d)'")
    expected = uptime_by_tag(exported.repo, model, month)
    rows = query(exported, sql)
    assert {tag for tag, _, _ in rows} == {tag for tag, values in expected.items() if values}
    for tag, mean, hours in rows:
        assert hours == len(expected[tag])
        assert mean == pytest.approx(sum(expected[tag]) / hours, rel=1e-12)
    assert len(rows) >= 3


def uptime_by_tag(repo: Path, model: str, month: str) -> dict[str, list[float]]:
    """Return {provider tag: uptime figures} of a model's endpoints in a month, from the
    archiver's uptime series, each hour under the tag its endpoint's file had at the last sync
    at or before it (before the first, the first's), read with pygit2."""
    found: dict[str, list[float]] = {}
    for key in set().union(*endpoints_of(repo, model).values()):
        since, until = f"{month}-01T00:00:00Z", f"{month}-31T23:00:00Z"
        result = CliRunner().invoke(
            main,
            ["telemetry", "--repo", str(repo), "endpoint-uptime", key,
             "--format", "json", "--since", since, "--until", until],
        )  # fmt: skip
        if result.exit_code != 0:
            continue
        tags = tags_by_sync(repo, key)
        for hour, value in orjson.loads(result.stdout):
            if value is not None:
                then = [tag for epoch, tag in tags if epoch <= hour] or [tags[0][1]]
                found.setdefault(then[-1], []).append(value)
    return found


def tags_by_sync(repo: Path, key: str) -> list[tuple[str, str]]:
    """Return (epoch, provider tag) of an endpoint at each sync whose tree holds it, oldest
    first."""
    git = pygit2.Repository(str(repo))
    path = key_to_path("endpoint", key)
    walker = git.walk(git.head.target, pygit2.enums.SortMode.TOPOLOGICAL)
    walker.simplify_first_parent()
    found = []
    for commit in walker:
        epoch = re.search(r"^Sync-Epoch: (\S+)$", commit.message, re.MULTILINE)
        if epoch and path in commit.tree:
            entity = orjson.loads(commit.tree[path].read_raw())
            found.append((epoch.group(1), str(entity["provider_slug"])))
    return sorted(found)


def endpoints_of(repo: Path, model: str) -> dict[str, set[str]]:
    """Return {provider tag: endpointIds} of every endpoint a model ever had, from history."""
    tags: dict[str, set[str]] = {}
    for group in History(repo).changes(category="endpoint"):
        for change in group.changes:
            for side in (change.before, change.after):
                if side and side.get("model_variant_slug") == model:
                    tags.setdefault(str(side.get("provider_slug")), set()).add(change.key)
    return tags


def _literal(sql: str, pattern: str) -> str:
    """Return the first value a pattern finds in a query."""
    found = re.search(pattern, sql)
    assert found, pattern
    return found.group(1)
