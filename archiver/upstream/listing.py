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
# Envelope members (lower case, without `_` and `-`) by which paginated JSON APIs say that
# more items follow: `next_cursor`, `has_more`, `links.next`, `pageInfo.hasNextPage`, ...
_MORE_FOLLOWS = frozenset(
    {"next", "nextcursor", "nextpage", "nextpagetoken", "nexttoken", "nexturl", "nextlink"}
    | {"nextoffset", "hasmore", "hasnext", "hasnextpage"}
)
# Envelope members that count the whole list: more than the page holds means more follow.
_TOTALS = frozenset({"total", "totalcount", "totalitems", "totalresults"})


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
    more = continues(response)
    if more is not None:
        # One page of a paginated listing (OpenRouter may start paginating any day): taken
        # whole, every entity on the other pages was removed. Its items are archived; an
        # entity it lacks is kept, as for a listing cut short.
        problems.append(
            f"{label}: the response is one page of more ({more}); only this page was read, "
            f"nothing it lacks is removed ({response.url})"
        )
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
    return len(items) == len(response.data["data"]) and continues(response) is None


def continues(response: Response, path: tuple[str, ...] = ("data",)) -> str | None:
    """Return what says a listing's response is one page of more (a `Link` header with
    rel="next", an envelope member such as `next_cursor` or `meta.has_more` set, a `total`
    past the items sent), or None when nothing does. `path` leads to the items' list."""
    if response.next_page is not None:
        return f'a Link header names rel="next" {_shown(response.next_page)}'
    members: list[tuple[str, Any]] = []
    holder = response.data
    for step in path:
        if not isinstance(holder, dict):
            return None
        members += [(name, value) for name, value in holder.items() if name != step]
        holder = holder.get(step)
    if not isinstance(holder, list):
        return None
    # One level down too: `meta`, `pagination`, `links`, `pageInfo` hold them in some APIs.
    for parent, value in list(members):
        if isinstance(value, dict):
            members += [(f"{parent}.{name}", inner) for name, inner in value.items()]
    for name, value in members:
        last = name.rsplit(".", 1)[-1].lower().replace("_", "").replace("-", "")
        if last in _MORE_FOLLOWS and not _unset(value):
            return f"{name} is {_shown(value)}"
        past = isinstance(value, int) and not isinstance(value, bool) and value > len(holder)
        if last in _TOTALS and past:
            return f"{name} is {value}, the page holds {len(holder)}"
    return None


def _unset(value: Any) -> bool:
    """Tell whether a member says nothing follows: null, false, 0, empty (or so as text)."""
    if isinstance(value, str):
        return value.strip().lower() in ("", "false", "0", "null", "none")
    return value is None or value is False or value in (0, [], {})


def _shown(value: Any) -> str:
    """Return a value as a one-line problem shows it: short, as JSON."""
    try:
        text = jsonvalue.dumps(value).decode()
    except jsonvalue.EncodeError:
        return "set"
    return text if len(text) <= 60 else f"{text[:60]}..."


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
