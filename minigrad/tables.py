"""Plain-text and HTML tables shared by reports, traces and derivations.

Imports nothing from the rest of the package, so any module can use it without a cycle.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any


def shape_str(shape: Sequence[int]) -> str:
    """A shape as it is written in Python: `(4, 3)`, `(3,)`, `()`."""
    return str(tuple(int(n) for n in shape))


def text_table(header: Sequence[Any], rows: Sequence[Sequence[Any]], right: Sequence[int] = ()) -> str:
    """Columns padded to their widest cell under a header and a rule of dashes.

    Left-aligned, except the columns whose index is in `right` (numbers read better
    right-aligned); two spaces between columns; trailing spaces stripped from every line.
    """
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]

    def line(cells: Sequence[Any]) -> str:
        out = [str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(out).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def html_table(header: Sequence[Any], rows: Sequence[Sequence[Any]], caption: str = "") -> str:
    """A plain HTML table (escaped), monospace, as notebooks render it."""
    cap = f"<caption style='text-align:left'>{html.escape(caption)}</caption>" if caption else ""
    head = "".join(f"<th style='text-align:left'>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td style='text-align:left'>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table style='font-family:monospace'>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
