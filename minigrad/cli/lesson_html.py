"""The lessons' HTML copies: formulas turned into MathML at build time, an index, previous/next links.

nbconvert's own HTML leaves every formula as TeX for MathJax, which it loads from a CDN, so offline
(a lab machine, CI) the pages show raw `$\\frac{...}$`. Here the markdown is parsed with nbconvert's
own math-aware parser and each formula is converted with latex2mathml; browsers render MathML
natively, so the pages need no script and no network. Only markdown is converted: code cells and
their outputs never go through this path, so a `$` in code stays a `$`.

Needs the `lessons` extra (nbconvert, latex2mathml); `minigrad.cli.lessons` imports this module only
after checking that they are installed.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from jinja2 import pass_context
from latex2mathml.converter import convert as _latex_to_mathml
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath, MathBlockParser, MathInlineParser


class MathConversionError(ValueError):
    """A formula that latex2mathml cannot turn into MathML (an unknown command, unbalanced braces)."""


# Escapes that mean a literal character inside `\text{...}`; latex2mathml keeps their backslash.
_TEXT_ESCAPE = re.compile(r"\\([_%&#$ {}])")
_MTEXT = re.compile(r"(<mtext[^>]*>)(.*?)(</mtext>)", re.S)
# latex2mathml writes an unknown command as visible text (`<mi>\foo</mi>`): a backslash and a letter.
_LEFTOVER_COMMAND = re.compile(r">[^<]*(\\[A-Za-z]+)[^<]*<")
_MATH = re.compile(r"<math\b.*?</math>", re.S)
# A bare | or \| (absolute value, norm): browsers space an infix one like a relation, TeX not at all.
_BAR = re.compile(r'<mo((?: [a-z]+="[^"]*")*)>(&#x0007C;|&#x02016;)</mo>')
_PLACEHOLDER = re.compile(r"MGMATH(\d+)MGMATH")  # a heading's formula while nbconvert adds its anchor


def tex_to_mathml(tex: str, display: bool = False) -> str:
    """One formula (without its `$` delimiters) as a `<math>` element; raises MathConversionError."""
    try:
        mathml = _latex_to_mathml(tex, display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises many types (its own, IndexError, KeyError ...)
        raise MathConversionError(f"cannot convert the formula `{tex}` to MathML: {error}") from error
    mathml = _MTEXT.sub(lambda m: m.group(1) + _TEXT_ESCAPE.sub(r"\1", m.group(2)) + m.group(3), mathml)
    mathml = _BAR.sub(
        lambda m: (
            m.group(0)
            if "space=" in m.group(1) or "form=" in m.group(1)
            else f'<mo{m.group(1)} lspace="0em" rspace="0em">{m.group(2)}</mo>'
        ),
        mathml,
    )
    leftover = _LEFTOVER_COMMAND.search(mathml)
    if leftover:
        raise MathConversionError(
            f"cannot convert the formula `{tex}` to MathML: latex2mathml does not know {leftover.group(1)}"
        )
    return mathml


class _InlineParser(MathInlineParser):
    r"""nbconvert's math parser with two changes, so the HTML matches what a reader means.

    `$...$` follows Pandoc's rule (no space just inside the dollars, no digit right after the
    closing one), so "between $5 and $10" stays text; `\(...\)` and `\[...\]` are math with one
    backslash, as in JupyterLab (nbconvert wants two).
    """

    INLINE_MATH_TEX = r"(?s:(?<![$\\])\$(?![\s$])(?P<math_inline_tex>.+?)(?<![\s\\$])\$(?!\d))"
    INLINE_MATH_LATEX = r"(?s:(?<!\\)\\\\?\((?P<math_inline_latex>.*?)(?<!\\)\\\\?\))"
    BLOCK_MATH_LATEX = r"(?s:(?<!\\)\\\\?\[(?P<math_block_latex>.*?)(?<!\\)\\\\?\])"
    SPECIFICATION: ClassVar[dict[str, str]] = {
        **MathInlineParser.SPECIFICATION,
        "inline_math_tex": INLINE_MATH_TEX,
        "inline_math_latex": INLINE_MATH_LATEX,
        "block_math_latex": BLOCK_MATH_LATEX,
    }


class _BlockParser(MathBlockParser):
    r"""Keeps a one-backslash `\[...\]` display together as one paragraph, as nbconvert does for `\\[`."""

    MULTILINE_MATH = r"(?s:(?<!\\)[$]{2}.*?(?<!\\)[$]{2}|(?<!\\)\\\\?\[.*?\\\\?\]|" + (
        r"\\begin\{(?P<math_env_name>[a-z]*\*?)\}.*?\\end\{(?P=math_env_name)\})"
    )
    SPECIFICATION: ClassVar[dict[str, str]] = {**MathBlockParser.SPECIFICATION, "multiline_math": MULTILINE_MATH}


class MathMLRenderer(IPythonRenderer):
    """nbconvert's markdown renderer, writing each formula as MathML instead of TeX for MathJax."""

    def block_math(self, body: str) -> str:
        """`$$...$$` and `\\[...\\]`: a centred display formula."""
        return tex_to_mathml(body, display=True)

    def inline_math(self, body: str) -> str:
        """`$...$` and `\\(...\\)`: a formula in the running text."""
        return tex_to_mathml(body)

    def latex_environment(self, name: str, body: str) -> str:
        """`\\begin{aligned}...\\end{aligned}` and friends, converted whole."""
        return tex_to_mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)

    def heading(self, text: str, level: int, **attrs: Any) -> str:
        """A heading with its anchor link; formulas kept out of the XML round trip that adds it.

        nbconvert's anchor code re-serialises the heading with ElementTree, which would write
        `<ns0:math>`, an element browsers do not know.
        """
        kept: list[str] = []

        def keep(m: re.Match[str]) -> str:
            kept.append(m.group(0))
            return f"MGMATH{len(kept) - 1}MGMATH"

        out = str(super().heading(_MATH.sub(keep, text), level, **attrs))
        # in the anchor's id and href a formula stands as its text, quoted as nbconvert quotes it
        as_text = lambda m: quote(html.unescape(re.sub(r"<[^>]+>", "", kept[int(m.group(1))])))
        out = re.sub(r'"[^"<>]*"', lambda a: _PLACEHOLDER.sub(as_text, a.group(0)), out)
        return _PLACEHOLDER.sub(lambda m: kept[int(m.group(1))], out)


def markdown_to_html(source: str, renderer: MathMLRenderer | None = None) -> str:
    """Markdown (a notebook's markdown cell) as HTML, every formula as MathML."""
    renderer = renderer or MathMLRenderer(escape=False)
    return str(MarkdownWithMath(renderer=renderer, block=_BlockParser(), inline=_InlineParser()).render(source))


class _Collector(MathMLRenderer):
    """Writes nothing for a formula; keeps its TeX (for `formulas`)."""

    def __init__(self) -> None:
        """A renderer whose `found` lists each formula's TeX in reading order."""
        super().__init__(escape=False)
        self.found: list[str] = []

    def block_math(self, body: str) -> str:
        """Keep a display formula."""
        self.found.append(body)
        return ""

    def inline_math(self, body: str) -> str:
        """Keep an inline formula."""
        self.found.append(body)
        return ""

    def latex_environment(self, name: str, body: str) -> str:
        """Keep an environment, whole."""
        self.found.append(f"\\begin{{{name}}}{body}\\end{{{name}}}")
        return ""


def formulas(source: str) -> list[str]:
    """The TeX of every formula in a markdown text, in reading order: what `markdown_to_html` converts."""
    collector = _Collector()
    markdown_to_html(source, collector)
    return collector.found


# ---------------------------------------------------------------------------------- the pages
#: No MathJax, no require.js, no mermaid: each would be fetched from a CDN and none is needed. A
#: code cell collapsed in the notebook (a check helper) stays collapsed: its first line, click to open.
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}<style>{{ resources.minigrad_css }}</style>{%- endblock extra_css -%}
{%- block body_header -%}{{ super() }}{{ resources.minigrad_nav }}{%- endblock body_header -%}
{%- block body_footer -%}{{ resources.minigrad_nav }}{{ super() }}{%- endblock body_footer -%}
{%- block input_group -%}
{%- if cell.metadata.get("jupyter", {}).get("source_hidden") -%}
<details class="mg-collapsed-input"><summary>{{ cell.source.strip().splitlines()[0] | e }}
<span class="mg-hint">(code collapsed in the notebook: click to show)</span></summary>
{{ super() }}</details>
{%- else -%}{{ super() }}{%- endif -%}
{%- endblock input_group -%}
"""

CSS = """
nav.mg-lesson-nav { display: flex; justify-content: space-between; gap: 1em; max-width: 1200px;
  margin: 0.5em auto; padding: 0.5em 1em; font: 14px/1.4 system-ui, sans-serif;
  border: 1px solid #ddd; border-radius: 6px; background: #f7f7f9; }
nav.mg-lesson-nav a { text-decoration: none; color: #1a5fb4; }
nav.mg-lesson-nav a:hover { text-decoration: underline; }
nav.mg-lesson-nav .mg-prev, nav.mg-lesson-nav .mg-next { flex: 1; }
nav.mg-lesson-nav .mg-next { text-align: right; }
math { font-family: "Latin Modern Math", "STIX Two Math", "DejaVu Math TeX Gyre", math; }
math[display="block"] { margin: 0.6em 0; }
details.mg-collapsed-input > summary { cursor: pointer; padding: 0.3em 0 0.3em 1em; color: #555;
  font: 13px/1.4 monospace; }
details.mg-collapsed-input .mg-hint { font: italic 12px/1.4 system-ui, sans-serif; color: #777; }
menclose[notation~="box"] { border: 1px solid currentColor; padding: 0.2em 0.3em; }
"""


class OfflineHTMLExporter(HTMLExporter):
    """nbconvert's lab HTML with MathML formulas, no CDN script, and a lesson navigation bar."""

    def __init__(self, **kwargs: Any) -> None:
        """The lab template, without its CDN scripts, with our CSS and nav bar."""
        super().__init__(raw_template=_TEMPLATE, **kwargs)

    @pass_context  # jinja hands the template context (the cell, its attachments) to the filter
    def markdown2html(self, context: Any, source: str) -> str:
        """Markdown cells (and markdown outputs) with their formulas as MathML."""
        cell = context.get("cell", {})
        renderer = MathMLRenderer(
            escape=False,
            attachments=cell.get("attachments", {}),
            embed_images=self.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=self.anchor_link_text,
            exclude_anchor_links=self.exclude_anchor_links,
            **self.lexer_options,
        )
        return markdown_to_html(source, renderer)


@dataclass(frozen=True)
class LessonInfo:
    """What the index and the nav bar say about one lesson, read from its first cell."""

    title: str  #: "Lesson 2 — Gradient checking" (markdown)
    answers: str  #: the one sentence after `**What it answers:**`, or "" (markdown)


_ANSWERS = re.compile(r"^\s*\*\*What it answers:\*\*\s*(.*)$")


def lesson_info(notebook_path: Path) -> LessonInfo:
    """The title (first heading of the first cell) and the "What it answers" line of a lesson."""
    cells = json.loads(notebook_path.read_text(encoding="utf-8")).get("cells", [])
    first = "".join(cells[0]["source"]) if cells and cells[0]["cell_type"] == "markdown" else ""
    lines = first.splitlines()
    heading = next((line.lstrip("#").strip() for line in lines if line.startswith("#")), "")
    answers = next((m.group(1).strip() for line in lines if (m := _ANSWERS.match(line))), "")
    return LessonInfo(title=heading or notebook_path.stem, answers=answers)


def _inline(markdown: str) -> str:
    """One line of markdown as inline HTML (no surrounding <p>)."""
    rendered = markdown_to_html(markdown).strip()
    return rendered[3:-4] if rendered.startswith("<p>") and rendered.endswith("</p>") else rendered


def plain_text(markdown: str) -> str:
    """A title as plain text for <title> and link tooltips: markup and formulas' tags dropped."""
    return html.unescape(re.sub(r"<[^>]+>", "", _inline(markdown)))


INDEX_NAME = "index.html"


def nav_bar(pages: Sequence[str], infos: Sequence[LessonInfo], k: int) -> str:
    """Previous / index / next links for page `k` of `pages` (file names in one folder)."""

    def link(i: int, cls: str, arrow: str) -> str:
        if not 0 <= i < len(pages):
            return f'<span class="{cls}"></span>'
        label = f"{arrow} {_inline(infos[i].title)}" if arrow == "←" else f"{_inline(infos[i].title)} {arrow}"
        return f'<a class="{cls}" href="{html.escape(pages[i])}" rel="{cls[3:]}">{label}</a>'

    return (
        '<nav class="mg-lesson-nav">'
        + link(k - 1, "mg-prev", "←")
        + f'<a class="mg-index" href="{INDEX_NAME}">All lessons</a>'
        + link(k + 1, "mg-next", "→")
        + "</nav>"
    )


def write_page(notebook: Any, destination: Path, info: LessonInfo | None = None, nav: str = "") -> Path:
    """The HTML copy of an executed notebook: formulas as MathML, no network needed, `nav` on top and bottom."""
    if info is not None:
        notebook.metadata["title"] = plain_text(info.title)
    body, _ = OfflineHTMLExporter().from_notebook_node(notebook, resources={"minigrad_nav": nav, "minigrad_css": CSS})
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(body, encoding="utf-8")
    return destination


def write_index(destination: Path, pages: Sequence[str], infos: Sequence[LessonInfo]) -> Path:
    """`index.html`: every written lesson page with its title and the question it answers."""
    items = "\n".join(
        f'<li><a href="{html.escape(page)}">{_inline(info.title)}</a>'
        + (f'<div class="mg-answers">{_inline(info.answers)}</div>' if info.answers else "")
        + "</li>"
        for page, info in zip(pages, infos)
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>minigrad lessons</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em; color: #222; }}
ol {{ padding-left: 1.5em; }} li {{ margin: 0.9em 0; }}
li > a {{ font-weight: 600; color: #1a5fb4; text-decoration: none; }} li > a:hover {{ text-decoration: underline; }}
.mg-answers {{ color: #444; }}
{CSS}
</style>
</head>
<body>
<h1>minigrad lessons</h1>
<p>Executed copies of the lesson notebooks, with their outputs and plots. They need no network:
the formulas are MathML. To run and edit a lesson, open the notebook in Jupyter.</p>
<ol>
{items}
</ol>
</body>
</html>
"""
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(page, encoding="utf-8")
    return destination
