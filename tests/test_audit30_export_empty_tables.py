"""A table with no rows has no file: the README says so, as readers of the export meet it.

The export writes a month's file only when the table has rows there, so a young archive's
export has no `price_moves` folder (no price has moved yet), and a month without a price move
no file or release asset. DuckDB then fails on the README's glob rather than returning no
rows; the README promised one asset a table and month, and said nothing of it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from archiver.export import export_parquet
from tests.small_captures import SMALL_DAILY, sync_small

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
SECTION = README.split("## Analyse the archive with DuckDB", 1)[1].split("\n## ", 1)[0]


def test_a_table_with_no_rows_has_no_folder_and_the_readme_says_so(tmp_path: Path) -> None:
    repo, out = tmp_path / "archive", tmp_path / "export"
    assert sync_small(repo, SMALL_DAILY[0]).commit_id
    report = export_parquet(repo, out)
    assert "price_moves" not in report.rows and not (out / "price_moves").exists()
    with duckdb.connect() as connection, pytest.raises(duckdb.IOException, match="No files found"):
        connection.execute(f"SELECT * FROM read_parquet('{out}/price_moves/*/*.parquet')")
    said = " ".join(SECTION.split())
    assert "a table with no rows at all has no folder" in said
    assert "No files found that match the pattern" in said
    assert "one asset a table and month that has rows" in said
