"""How many bytes a value takes as indented JSON, counted without writing it.

Owns `indented_size`: the length of orjson's OPT_INDENT_2 text of a value, walked without
recursion and given up as soon as it passes a limit. Indentation costs two bytes a level on
every line, so a value nested 250 levels deep around a wide list is some 250 times longer
indented than sent: writing it to find out could take gigabytes.
"""

from __future__ import annotations

from typing import Any

from archiver import jsonvalue


def indented_size(value: Any, limit: int) -> int:
    """Return the bytes of the value as 2-space-indented JSON (orjson's layout), or a count
    past `limit` as soon as it passes it."""
    size = 0
    # (value, depth): each container's lines are indented by two spaces a level.
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending and size <= limit:
        item, depth = pending.pop()
        if isinstance(item, dict | list | tuple) and item:
            members = len(item)
            # Brackets, a newline after the opener and after each member, a comma between
            # members, each member's indent and the closer's.
            size += 3 + members * (2 * depth + 4) - 1 + 2 * depth
            if size > limit:
                break
            if isinstance(item, dict):
                for key, member in item.items():
                    size += len(jsonvalue.dumps(key)) + 2  # the key, then ": "
                    pending.append((member, depth + 1))
            else:
                pending.extend((member, depth + 1) for member in item)
        else:
            size += len(jsonvalue.dumps(item))
    return size
