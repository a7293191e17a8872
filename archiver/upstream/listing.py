"""One upstream listing (an object with a `data` list): its valid items, and whether it was whole.

A listing is whole when it came back usable and every item in it was valid; only a whole
listing can say that an entity missing from it is gone upstream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from archiver import jsonvalue
from archiver.canonical import canonical_bytes
from archiver.upstream.fetch import Response

# Fields that together mark an item of another listing: a catalog model, a provider endpoint.
CATALOG_MODEL_MARK = ("permaslug", "endpoint")
ENDPOINT_MARK = ("model_variant_slug", "provider_info")


def listing_items(
    response: Response | None,
    label: str,
    required: tuple[str, ...],
    problems: list[str],
    foreign: tuple[tuple[str, ...], ...] = (),
) -> list[dict[str, Any]] | None:
    """Return a listing's valid items, or None when the response is unusable.

    Items missing a required string field are skipped and reported; `is_whole` then says
    the listing was not whole. A listing every item of which carries one of the `foreign`
    marks (all of its fields) is another listing's body: unusable.
    """
    if response is None:
        return None
    if not response.ok:
        problems.append(f"{label}: {response.error}")
        return None
    body = response.data
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        problems.append(f"{label}: expected an object with a 'data' list from {response.url}")
        return None
    mark = _foreign_mark(data, foreign)
    if mark is not None:
        # Another URL's response (a cache serving the catalog for the provider list): taken,
        # its items became entities of the wrong kind, named by the other listing's keys.
        problems.append(
            f"{label}: every item holds {', '.join(mark)}, as another listing's items do; "
            f"taken as another URL's response, not read ({response.url})"
        )
        return None
    valid = [item for item in data if _has_fields(item, required)]
    if len(valid) < len(data):
        bad = len(data) - len(valid)
        fields = ", ".join(required)
        problems.append(f"{label}: {bad} item(s) lack a string {fields}; skipped ({response.url})")
    return valid


def is_whole(response: Response | None, items: list[dict[str, Any]] | None) -> bool:
    """Tell whether listing_items found the response usable and every item of it valid."""
    if items is None:
        return False
    assert response is not None
    return len(items) == len(response.data["data"])


def same_item(one: dict[str, Any], other: dict[str, Any]) -> bool:
    """Tell whether two copies of an item hold the same data, members in any order (not
    when a copy cannot be written: nested too deep)."""
    first = _writable_first(one)
    return not first[0] and first == _writable_first(other)


def _writable_first(item: dict[str, Any]) -> tuple[bool, bytes]:
    """Return where a copy sorts among copies of one key: by its canonical bytes; a copy no
    file can hold (nested too deep) after every one that can (kept only when no copy can be
    held, and then refused, naming the field, like any such value)."""
    try:
        return False, canonical_bytes(item)
    except jsonvalue.EncodeError:
        return True, b""


def _foreign_mark(data: list[Any], marks: tuple[tuple[str, ...], ...]) -> tuple[str, ...] | None:
    """Return the mark every item of a non-empty listing carries, if one does."""
    for mark in marks:
        if data and all(isinstance(item, dict) and all(f in item for f in mark) for item in data):
            return mark
    return None


def _has_fields(item: Any, required: tuple[str, ...]) -> bool:
    """Tell whether an item is an object with every required field as a non-empty string."""
    return isinstance(item, dict) and all(
        isinstance(item.get(name), str) and item[name] for name in required
    )


def unique_by(
    items: Iterable[dict[str, Any]],
    key: Callable[[dict[str, Any]], str],
    label: str,
    problems: list[str],
    archived: Callable[[dict[str, Any]], Any] = lambda item: item,
) -> dict[str, dict[str, Any]]:
    """Return {key: item}; of two different items with one key, keep the one sorting first:
    by what the archive keeps of it (`archived`: the item without its telemetry), then whole.

    Upstream should never list a key twice; when it does, the choice must not depend on
    the order it sent them in, or the file would flip between the two every sync; nor on
    figures that change every hour, or it would flip as they do.
    """
    chosen: dict[str, dict[str, Any]] = {}
    conflicts: set[str] = set()

    def rank(item: dict[str, Any]) -> tuple[tuple[bool, bytes], tuple[bool, bytes]]:
        return _writable_first(archived(item)), _writable_first(item)

    for item in items:
        name = key(item)
        held = chosen.get(name)
        if held is None:
            chosen[name] = item
        # By bytes, not by ==: False == 0 == 0.0 in Python, yet each is archived as sent.
        elif _writable_first(held) != _writable_first(item):
            conflicts.add(name)
            chosen[name] = min(held, item, key=rank)
    for name in sorted(conflicts):
        problems.append(
            f"{label}: {name!r} is listed more than once with different content; "
            "kept the copy that sorts first"
        )
    return chosen
