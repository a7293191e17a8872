"""Export: the archive as Parquet tables any engine reads (DuckDB, pandas, polars, Spark,
BigQuery, Hugging Face datasets).

Owns `archiver export --format parquet OUT/`: entity versions as validity intervals
(`entities`: one table per category, typed columns flattened from each version plus its
canonical JSON), every classified change and price move (`changes`, classified and
described by :mod:`archiver.history`), both read in one walk over each file's versions
(`history_tables`: each version read from git once), every telemetry series and the uptime
series (`series`: a folder of files at a time, those of the commit exported
(`telemetry_files`), split into columns by Arrow in `tsv_columns`,
`sheet_columns` and `uptime_columns`, as :mod:`archiver.telemetry`'s readers read them),
the zero-data-retention ledger as membership intervals (`zdr`), all partitioned by month
in hive style (``OUT/<table>/month=YYYY-MM/part-0.parquet``); which months a rerun must
write (`plan`, with the manifest ``OUT/manifest.json``), where rows go and what the last
export wrote (`tables`), the Parquet files themselves (`parquet`) and the run (`run`).

pyarrow and numpy are optional dependencies (the ``export`` extra), imported only by
`parquet` and the column readers: without them the export raises
:class:`ExportUnavailable`, an ArchiverError that says what to install.

May import: the shared modules, `archiver.archive`, `archiver.history`, `archiver.telemetry`
and itself. Never upstream, capture, site or cli.
"""

from __future__ import annotations

from archiver.export.run import ExportReport, ExportUnavailable, export_parquet

__all__ = ["ExportReport", "ExportUnavailable", "export_parquet"]
