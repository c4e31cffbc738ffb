"""Plain-text and HTML tables shared by reports, traces and derivations.

Imports nothing from the rest of the package, so any module can use it without a cycle.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from typing import Any


def shape_str(shape: Sequence[int]) -> str:
    """A shape as it is written in Python: `(4, 3)`, `(3,)`, `()`."""
    return str(tuple(int(n) for n in shape))


def text_table(
    header: Sequence[Any], rows: Sequence[Sequence[Any]], right: Sequence[int] = (), width: int | None = None
) -> str:
    """Columns padded to their widest cell under a header and a rule of dashes.

    Left-aligned, except the columns whose index is in `right` (numbers read better
    right-aligned); two spaces between columns; trailing spaces stripped from every line.
    `width`: the widest columns are narrowed, their cells wrapped onto several lines, until the
    table fits in that many characters (as far as words allow).
    """
    table = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(c) for c in col) for col in zip(*table)]
    if width is not None:
        widths = _fit(widths, table, width)

    def lines(cells: Sequence[str]) -> list[str]:
        pieces = [
            textwrap.wrap(c, w, break_on_hyphens=False) or [""] if len(c) > w else [c] for c, w in zip(cells, widths)
        ]
        out = []
        for k in range(max(len(p) for p in pieces)):
            parts = [p[k] if k < len(p) else "" for p in pieces]
            padded = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(parts, widths))]
            out.append("  ".join(padded).rstrip())
        return out

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([*lines(table[0]), rule] + [line for r in table[1:] for line in lines(r)])


def _fit(widths: list[int], table: Sequence[Sequence[str]], width: int) -> list[int]:
    """Narrow the widest columns, one character at a time, until the table fits in `width`."""
    # A column never gets narrower than its longest word (nor than 8 characters, if it is wider).
    floors = [min(w, max(8, *(len(word) for c in col for word in c.split()))) for w, col in zip(widths, zip(*table))]
    widths = list(widths)
    while sum(widths) + 2 * (len(widths) - 1) > width:
        room = [i for i, w in enumerate(widths) if w > floors[i]]
        if not room:
            break
        widest = max(room, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths


def wrap_line(line: str, width: int | None) -> list[str]:
    """A line of prose wrapped to `width`, continuation lines indented two more than the first."""
    if width is None or len(line) <= width:
        return [line]
    indent = line[: len(line) - len(line.lstrip())]
    return textwrap.wrap(
        line.strip(),
        width,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def html_table(header: Sequence[Any], rows: Sequence[Sequence[Any]], caption: str = "") -> str:
    """A plain HTML table (escaped), monospace, as notebooks render it."""
    cap = f"<caption style='text-align:left'>{html.escape(caption)}</caption>" if caption else ""
    head = "".join(f"<th style='text-align:left'>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td style='text-align:left'>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table style='font-family:monospace'>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
