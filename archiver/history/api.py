"""`History`: one archive's past as a Python object, the library's face of `archiver log`,
`archiver show`, `archiver changes`, `archiver price` and `archiver cost`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from archiver.archive.git_setup import refuse_stranger_folder
from archiver.history.pricing import EndpointCost, PriceInterval, model_costs, price_in_force
from archiver.history.versions import (
    SyncChanges,
    Version,
    category_at,
    changes,
    entity_at,
    versions,
)
from archiver.paths import Category
from archiver.times import When, given_time


class History:
    """The history of the archive at `repo`: versions, any epoch's state, classified changes.

    Every call brings the derived index in `.git/archiver/` up to date first, so it is fast
    on years of hourly commits and always current. A time (`at`, `since`, `until`) is a
    datetime (naive: UTC), a date (its midnight, UTC) or ISO 8601 text such as "2026-07-18".
    A folder inside a git repository that is no archive raises StoreError.

        >>> history = History("archive")
        >>> history.versions("model", "openai/gpt-4.1")[0].epoch   # the newest version
    """

    def __init__(self, repo: str | Path) -> None:
        self.repo = Path(repo)
        # As the command line's --repo: a folder of an archive stands for it, but a folder
        # inside someone's own repository is refused, not read as an empty archive with a
        # history index written into that repository's .git.
        refuse_stranger_folder(self.repo)

    def versions(self, category: Category, key: str) -> list[Version]:
        """Return every version of one entity, newest first."""
        return versions(self.repo, category, key)

    def entity_at(self, category: Category, key: str, at: When | None) -> dict[str, Any] | None:
        """Return one entity as of the last sync at or before `at` (None: as HEAD holds it),
        or None when it was absent then."""
        return entity_at(self.repo, category, key, _optional(at, "at"))

    def category_at(self, category: Category, at: When | None) -> dict[str, dict[str, Any]]:
        """Return {key: entity} for a whole category as of the last sync at or before `at`
        (None: as HEAD holds it)."""
        return category_at(self.repo, category, _optional(at, "at"))

    def changes(
        self,
        since: When | None = None,
        until: When | None = None,
        category: Category | None = None,
    ) -> list[SyncChanges]:
        """Return the classified changes of the syncs between since and until, newest first."""
        return changes(self.repo, _optional(since, "since"), _optional(until, "until"), category)

    def price(self, category: Category, key: str, at: When | None = None) -> PriceInterval:
        """Return the pricing of a model or endpoint in force at `at` (None: now), and since when.

        Raises PriceLookupError (an ArchiverError) with a one-line reason when there is none.
        """
        return price_in_force(self.repo, category, key, _optional(at, "at"))

    def cost(
        self,
        model: str,
        input_tokens: int,
        output_tokens: int,
        at: When | None = None,
        provider: str | None = None,
    ) -> list[EndpointCost]:
        """Return what a request cost on each endpoint of a model at `at`, cheapest first."""
        moment = _optional(at, "at")
        return model_costs(self.repo, model, moment, input_tokens, output_tokens, provider)


def _optional(value: When | None, label: str) -> datetime | None:
    """Return an optional time as given_time reads it (None: none given)."""
    return None if value is None else given_time(value, label)
