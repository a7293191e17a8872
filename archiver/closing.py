"""A `with` block that ends with the object's own `close()`: one pair of dunders for them all.

The history index, the blob stream and the export's folder readers each hold something that
must be let go of at the end (a database, a `git cat-file` process, reader processes), as a
call of its own or at the end of a `with` block.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self


class ClosedOnExit:
    """Mixin: `with thing:` returns the thing, and calls its `close()` on the way out."""

    def close(self) -> None:
        """Let go of what the object holds."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
