"""Line diffs for history pages and the three-way merge that saves a conflicting edit.

Both work on lines, like the version control teachers never have to see: a
plan's body is prose in Markdown, and a line (a paragraph, a list item, a
table row) is the unit a colleague changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

DiffKind = Literal["same", "added", "removed"]

CONFLICT_START = "<<<<<<<"
CONFLICT_MIDDLE = "======="
CONFLICT_END = ">>>>>>>"


def lines_of(text: str | None) -> list[str]:
    """Lines of a text as browsers submit it (``\\r\\n``) or as it is stored (``\\n``)."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n") if text else []


@dataclass(frozen=True)
class DiffLine:
    kind: DiffKind
    text: str
    old_number: int | None
    new_number: int | None


def line_diff(old: str | None, new: str | None, context: int = 3) -> list[DiffLine | None]:
    """The changed lines between two texts, with ``context`` unchanged lines around each change.

    ``None`` in the result stands for unchanged lines left out ("…").
    """
    a, b = lines_of(old), lines_of(new)
    out: list[DiffLine | None] = []
    for group in SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        if out:
            out.append(None)
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(DiffLine("same", a[i], i + 1, j1 + i - i1 + 1) for i in range(i1, i2))
                continue
            if tag in ("replace", "delete"):
                out.extend(DiffLine("removed", a[i], i + 1, None) for i in range(i1, i2))
            if tag in ("replace", "insert"):
                out.extend(DiffLine("added", b[j], None, j + 1) for j in range(j1, j2))
    return out


@dataclass(frozen=True)
class _Hunk:
    start: int  # base lines [start, end) are replaced by ``lines``
    end: int
    lines: list[str]
    side: str


@dataclass(frozen=True)
class MergeResult:
    text: str
    conflicts: int


def _hunks(base: list[str], other: list[str], side: str) -> list[_Hunk]:
    matcher = SequenceMatcher(None, base, other, autojunk=False)
    return [
        _Hunk(i1, i2, other[j1:j2], side)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def _apply(base: list[str], start: int, end: int, hunks: list[_Hunk]) -> list[str]:
    """One side's text for base lines [start, end), from that side's hunks in the range."""
    out: list[str] = []
    pos = start
    for h in hunks:
        out.extend(base[pos:h.start])
        out.extend(h.lines)
        pos = h.end
    out.extend(base[pos:end])
    return out


def merge3(
    base: str | None, theirs: str | None, mine: str | None,
    theirs_label: str = "their version", mine_label: str = "your version",
) -> MergeResult:
    """Merge two edits of ``base``: changes to different lines combine on their own.

    Where both changed the same (or touching) lines differently, the result
    holds both, between conflict markers, for the teacher to resolve::

        <<<<<<< their version
        …
        =======
        …
        >>>>>>> your version
    """
    b = lines_of(base)
    hunks = sorted(
        _hunks(b, lines_of(theirs), "theirs") + _hunks(b, lines_of(mine), "mine"),
        key=lambda h: (h.start, h.end),
    )
    out: list[str] = []
    conflicts = 0
    pos = 0
    i = 0
    while i < len(hunks):
        group = [hunks[i]]
        start, end = hunks[i].start, hunks[i].end
        i += 1
        # Hunks that overlap or touch the group's base range must be decided together.
        while i < len(hunks) and hunks[i].start <= end:
            group.append(hunks[i])
            end = max(end, hunks[i].end)
            i += 1
        out.extend(b[pos:start])
        pos = end
        theirs_part = [h for h in group if h.side == "theirs"]
        mine_part = [h for h in group if h.side == "mine"]
        if not mine_part:
            out.extend(_apply(b, start, end, theirs_part))
            continue
        if not theirs_part:
            out.extend(_apply(b, start, end, mine_part))
            continue
        t_lines = _apply(b, start, end, theirs_part)
        m_lines = _apply(b, start, end, mine_part)
        if t_lines == m_lines:  # both made the same change
            out.extend(t_lines)
            continue
        conflicts += 1
        out.append(f"{CONFLICT_START} {theirs_label}")
        out.extend(t_lines)
        out.append(CONFLICT_MIDDLE)
        out.extend(m_lines)
        out.append(f"{CONFLICT_END} {mine_label}")
    out.extend(b[pos:])
    return MergeResult("\n".join(out), conflicts)


def has_conflict_markers(text: str | None) -> bool:
    """True while a merged text still holds a conflict the teacher has not resolved."""
    lines = lines_of(text)
    return any(line.startswith(CONFLICT_START) for line in lines) and any(
        line.startswith(CONFLICT_END) for line in lines
    )


def count_conflicts(text: str | None) -> int:
    """How many unresolved conflicts (``<<<<<<<`` … ``>>>>>>>`` blocks) a text still holds."""
    return sum(1 for line in lines_of(text) if line.startswith(CONFLICT_START)) if (
        has_conflict_markers(text)
    ) else 0


def merge_value(base: object, theirs: object, mine: object) -> tuple[object, bool]:
    """Three-way merge of a single value (title, dates, tags): (value, conflicted).

    A conflict keeps the teacher's own value; the page shows theirs next to it.
    """
    if mine == base or mine == theirs:
        return theirs, False
    if theirs == base:
        return mine, False
    return mine, True
