"""Array patch cells made whole for the export, element by element, as text.

A model variant's `model_activity.analytics` is a month of daily rows, and the archive writes
it each day as a patch of the day before (`archiver.telemetry.codec`: copy a run of old
elements, insert one, or an old object with some fields changed). The export gives every row
the whole array, so a week of variants rebuilds thousands of month-long arrays. Writing each
one whole again (`codec.patched`) was most of that work: here each array keeps its elements'
texts too, so a copied run is copied as text and only the new or edited elements are written.
The text is the one `codec.patched` gives (compact JSON: an array's text is its elements'
texts joined by commas); a patch that does not fit the array raises as it does there.
"""

from __future__ import annotations

from typing import Any

from archiver import jsonvalue
from archiver.telemetry.codec import dump, patched


class ArrayState:
    """A key's array as the patches have made it so far: its elements, and their texts once
    a copied run needed them."""

    __slots__ = ("_items", "_texts")

    def __init__(self, items: list[Any], texts: list[str] | None = None) -> None:
        self._items = items
        self._texts = texts

    @classmethod
    def of_cell(cls, cell: str | None) -> ArrayState | str:
        """Return the state a whole cell starts (None or empty: no array yet), or the cell
        itself when it holds no array (a patch of it is made as the archive's reader makes it)."""
        if not cell:
            return cls([])
        items = jsonvalue.loads(cell)
        return cls(items) if type(items) is list else cell

    def text(self) -> str:
        """Return the array's JSON text."""
        return "[" + ",".join(self._element_texts()) + "]"

    def patched(self, cell: str) -> ArrayState:
        """Return the array a patch cell makes of this one."""
        old, old_texts = self._items, self._texts
        items: list[Any] = []
        texts: list[str] = []
        for op in jsonvalue.loads(cell)["@"]:
            if len(op) == 1:
                items.append(op[0])
                texts.append(dump(op[0]))
            elif type(op[1]) is dict:
                merged = {**old[op[0]], **op[1]}
                items.append(merged)
                texts.append(dump(merged))
            else:
                if old_texts is None:
                    old_texts = self._element_texts()
                items.extend(old[op[0] : op[0] + op[1]])
                texts.extend(old_texts[op[0] : op[0] + op[1]])
        return ArrayState(items, texts)

    def _element_texts(self) -> list[str]:
        """Return the elements' texts, written once."""
        if self._texts is None:
            self._texts = [dump(item) for item in self._items]
        return self._texts


def patch_whole(before: ArrayState | str | None, cell: str) -> tuple[ArrayState | str, str]:
    """Return (the state after, its text) of a patch cell applied to a key's state.

    A state that holds no array (a hostile file patching a number or a string) is patched as
    the archive's reader patches it, and its text is what that reader reads.
    """
    state = ArrayState.of_cell(before) if before is None or isinstance(before, str) else before
    if isinstance(state, str):
        text = patched(state, cell)
        return text, text
    after = state.patched(cell)
    return after, after.text()
