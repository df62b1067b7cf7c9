"""A window of a long list: the items shown, where they stand, and the windows around them.

Pages that list what grows with a school (a space's plans, a course's observations) show
one window of each list at a time, chosen by the address (``?done=20``), so that a page's
size and cost stay the same however long the list is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

OFFSET_DIGITS = 6  # an offset of up to 999,999: longer is not a window anyone asked for


@dataclass(frozen=True)
class Window:
    """``items`` are those at ``offset`` (0-based) of the ``total`` items of list ``name``."""

    name: str
    total: int
    offset: int
    shown: int  # the most a window holds
    items: list[Any]

    @property
    def first(self) -> int:
        return self.offset + 1

    @property
    def last(self) -> int:
        return self.offset + len(self.items)

    @property
    def earlier(self) -> int | None:
        """The offset of the window before this one, or None at the start."""
        return max(0, self.offset - self.shown) if self.offset > 0 else None

    @property
    def later(self) -> int | None:
        """The offset of the window after this one, or None at the end."""
        return self.offset + self.shown if self.offset + self.shown < self.total else None


def parse_offsets(args: Mapping[str, str], names: Iterable[str]) -> dict[str, int]:
    """The windows a reader asked for (``?units=6``): ASCII digits only, else ignored."""
    offsets = {}
    for name in names:
        raw = args.get(name, "")
        if raw and len(raw) <= OFFSET_DIGITS and raw.isascii() and raw.isdigit():
            offsets[name] = int(raw)
    return offsets
