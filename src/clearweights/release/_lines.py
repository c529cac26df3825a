"""Lines of a text as ``str.splitlines`` numbers them, found by searching the whole text.

Where "\\n" is the only line end (most cards) a position's line is counted from the last one
asked, so no list of lines or of their ends is built to find a few.
"""

from __future__ import annotations

import bisect
import re
from itertools import accumulate

# What str.splitlines ends a line at, besides "\n" (a "\r\n" pair is one end).
_OTHER_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def line_ends(text: str) -> list[int] | None:
    """Where each line of *text* ends; None where "\\n" is the only line end (then counted)."""
    if any(c in text for c in _OTHER_BREAKS):
        return list(accumulate(map(len, text.splitlines(keepends=True))))
    return None


class Lines:
    """The line (as ``str.splitlines`` numbers them) of positions asked in increasing order."""

    def __init__(self, text: str, ends: list[int] | None) -> None:
        self.text = text
        self.ends = ends
        self.at = self.line = 0

    def of(self, position: int) -> int:
        if self.ends is not None:
            return bisect.bisect_right(self.ends, position)
        self.line += self.text.count("\n", self.at, position)  # only "\n" ends a line
        self.at = position
        return self.line

    def after(self, line: int, position: int) -> int:
        """Where the line after *line* (which holds *position*) starts; -1 after the last."""
        if self.ends is not None:
            return self.ends[line] if line < len(self.ends) - 1 else -1
        end = self.text.find("\n", position)
        return -1 if end < 0 else end + 1


def marked_lines(text: str, marks: tuple[str, ...], lines: Lines) -> list[int]:
    """The lines (in order) holding one of *marks* (none spans two lines): a find per mark."""
    found: list[int] = []
    nexts = [text.find(mark) if mark[0] in text else -1 for mark in marks]  # memchr first
    while hits := [p for p in nexts if p >= 0]:
        at = min(hits)
        line = lines.of(at)
        found.append(line)
        start = lines.after(line, at)
        if start < 0:
            break
        pairs = zip(marks, nexts, strict=True)
        nexts = [text.find(mark, start) if 0 <= p < start else p for mark, p in pairs]
    return found


def pattern_lines(text: str, pattern: re.Pattern[str], lines: Lines) -> list[int]:
    """The lines (in order) where *pattern* matches (never across lines): a search per line."""
    found: list[int] = []
    at = 0
    while (m := pattern.search(text, at)) is not None:
        line = lines.of(m.start())
        found.append(line)
        at = lines.after(line, m.start())
        if at < 0:
            break
    return found
