"""`archiver replay`: serve a capture over HTTP on loopback."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from archiver.cli import main
from archiver.cli.common import reports_errors


@main.command()
@click.argument("capture", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="0: any free port.")
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="SPEC",
    help="URL[,status=N][,retry-after=S][,delay=S]"
    "[,body=truncated|dropped|html|not-json|empty-data|trickle|gzip-bomb]"
    "[,times=N][,location=URL]; repeatable.",
)
@click.option("--delay", type=click.FloatRange(0.0), default=0.0, help="Seconds added per request.")
@reports_errors
def replay(capture: Path, host: str, port: int, faults: tuple[str, ...], delay: float) -> None:
    """Serve a capture over HTTP at its recorded URLs (prints the base URL first).

    \b
    Example:
        archiver replay captures/daily/2026-07-17T180314Z.jsonl.gz --port 8000
        archiver replay CAPTURE --fault '/api/v1/models,status=503,retry-after=1,times=2'
    """
    from archiver.capture.replay import ReplayServer, parse_fault

    try:
        parsed = [parse_fault(spec) for spec in faults]
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--fault") from error
    server = ReplayServer(capture, host=host, port=port, faults=parsed, delay=delay)
    # Served in this thread only: a second, background server thread would outlive Ctrl-C.
    try:
        click.echo(server.base_url)
        sys.stdout.flush()
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.stop()
