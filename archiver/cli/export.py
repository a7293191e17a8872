"""`archiver export`: the archive as files any engine reads (today: Parquet)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from archiver.cli import main
from archiver.cli.common import PartialFailure, repo_option, reports_errors
from archiver.textsafe import one_line

# What a release tag may be (export-release --tag): a word `gh` cannot take for an option.
_TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

FORMATS = ("parquet",)


@main.command()
@repo_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="parquet",
    show_default=True,
    help="The file format (Parquet, hive-partitioned by month).",
)
@click.option(
    "--publish",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also mirror the export into this folder (e.g. the built site's export/), "
    "hard-linked where possible; files the export no longer holds are removed there "
    "(and the months export-release handed off, which OUT no longer holds).",
)
@click.argument("out", type=click.Path(path_type=Path))
@reports_errors
def export(repo: Path, output_format: str, publish: Path | None, out: Path) -> None:
    """Export the whole history to OUT as tables any engine reads (DuckDB, pandas, Spark...).

    Tables: models, endpoints, providers (each version with valid_from / valid_to), zdr,
    changes, price_moves, telemetry_<kind> and uptime, partitioned by month
    (OUT/<table>/month=YYYY-MM/part-0.parquet). A rerun into the same OUT writes only the
    months new syncs touched and the newest one (OUT/manifest.json records the commit
    exported; a rewritten history is exported again in full). Needs the `export` extra
    (pyarrow). Exit 1 when some files could not be exported (each named on stderr).

    \b
    Example:
        archiver export --format parquet export/
        duckdb -c "SELECT count(*) FROM 'export/changes/*/*.parquet'"
        archiver export .git/archiver/export --publish site/export
    """
    from archiver.export import export_parquet
    from archiver.export.publish import mirror, refuse_foreign_folder, refuse_nested
    from archiver.export.run import export_lock

    if publish is not None:  # Before the export's work, not after it.
        refuse_nested(out, publish)
        refuse_foreign_folder(publish)
    # Held through the mirror: it copies this run's export, never another run's half-written.
    with export_lock(out):
        report = export_parquet(repo, out)
        if publish is not None:
            click.echo(f"{publish}: {mirror(out, publish)} files, the export as of this run")

    if report.up_to_date:
        click.echo(f"{out}: already holds commit {report.head[:12]}; nothing written")
        return
    if report.note:
        # One line, never a workflow command: it may quote the old manifest's format.
        click.echo(f"note: {one_line(report.note)}", err=True)
    rows = ", ".join(f"{table} {count:,}" for table, count in sorted(report.rows.items()))
    click.echo(
        f"{out}: commit {report.head[:12]}, {len(report.written)} files written"
        f" ({rows or 'no rows'}), {len(report.removed)} removed,"
        f" {report.size / 1e6:.1f} MB in all, {report.seconds:.1f} s"
    )
    for problem in report.problems:
        click.echo(f"skipped: {one_line(problem)}", err=True)
    if report.problems:
        raise PartialFailure(f"{len(report.problems)} files were left out of the export")


def _release_tag(tag: str) -> str:
    """Return a release tag made of letters, digits, dots, dashes and underscores, starting
    with a letter or digit: `gh` took `-x` for an option, and a space or slash for other
    words or folders of a release's name."""
    if not _TAG.fullmatch(tag):
        raise click.BadParameter(
            f"{tag!r}: a tag is letters, digits, '.', '-' and '_', starting with a letter or digit"
        )
    return tag


@main.command("export-release")
@click.option(
    "--tag",
    default="export",
    show_default=True,
    help="The release of the manifest, and the prefix of each year's (TAG-YYYY).",
    callback=lambda _context, _param, value: _release_tag(value),
)
@click.argument("out", type=click.Path(path_type=Path, file_okay=False, exists=True))
@reports_errors
def export_release(out: Path, tag: str) -> None:
    """Publish the export in OUT as GitHub release assets, with GitHub's `gh` CLI.

    A year's partitions (TABLE-YYYY-MM.parquet) go to the release TAG-YYYY, manifest.json to
    TAG. Uploads what the releases lack (creating them when missing), then
    removes from OUT the months older than the last two, which no hourly rerun reads back
    (the export folder, and the job's cache holding it, stays about two months in size; a
    rerun that needs one exports in full and uploads everything again), then deletes the
    assets of partitions the export no longer holds. The manifest goes up last. An upload
    that fails keeps what it uploaded before: the next run uploads the rest. `gh` takes its
    token and repository from GH_TOKEN and GH_REPO. Exit 3, in one line, when a step fails.

    \b
    Example:
        archiver export .git/archiver/export
        GH_REPO=you/archive archiver export-release .git/archiver/export
    """
    from archiver.export.github_release import publish_release
    from archiver.export.run import export_lock

    with export_lock(out):
        done = publish_release(out, tag)
    click.echo(
        f"release {tag}: {done.uploaded} files uploaded, {done.marked} partitions marked "
        f"uploaded, {done.removed} old months' files removed from {out}, "
        f"{len(done.deleted)} stale assets deleted"
    )
