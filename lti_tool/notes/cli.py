"""``flask notes purge``: delete for good the notes deleted longer ago than the retention
period (``NOTES_RETENTION_DAYS``, or ``--days``). Safe to run from a scheduler."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from lti_tool.notes import services

notes_cli = AppGroup("notes", help="Notes about learners.")


@notes_cli.command("purge")
@click.option("--days", type=click.IntRange(min=0), default=None,
              help="Retention period in days (default: NOTES_RETENTION_DAYS).")
def purge(days: int | None) -> None:
    """Delete for good the notes deleted more than the retention period ago."""
    period = days if days is not None else int(current_app.config["NOTES_RETENTION_DAYS"])
    count = services.purge(period)
    click.echo(f"Purged {count} note(s) deleted more than {period} day(s) ago.")
