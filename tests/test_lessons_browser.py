"""Every HTML copy of a lesson, and the index, as a reader sees them in real chromium, offline.

The pages come from the session's one run of the lessons (tests/lessons_run.py). Each is opened with
networking disabled (tests/browser.py); a probe script reads what chromium laid out: the text a
reader sees (code cells' sources hidden: they are code, and matplotlib labels in them are TeX on
purpose), the formulas per markdown cell and how chromium displays them, and the links it resolved.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from browser import needs_chromium, probe
from lessons_run import LESSONS, LessonsRun

from minigrad.cli.lesson_html import formulas, lesson_info, plain_text

pytestmark = [needs_chromium, pytest.mark.lessons]

_PROBE = """
<script>
window.addEventListener("load", function () {
  var hide = document.createElement("style");
  hide.textContent = ".jp-CodeCell .jp-Cell-inputWrapper { display: none !important; }";
  document.head.appendChild(hide);
  var all = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  var result = {
    text: document.body.innerText,
    cells: all(".jp-MarkdownCell").map(function (c) { return all("math", c).length; }),
    maths: all("math").length,
    displays: all("math").map(function (m) { return getComputedStyle(m).display; }),
    links: all("nav.mg-lesson-nav a, ol > li > a").map(function (a) { return [a.className, a.href]; })
  };
  var pre = document.createElement("pre");
  pre.id = "mg-probe";
  pre.textContent = JSON.stringify(result);
  document.body.appendChild(pre);
});
</script>
"""

#: What raw TeX looks like on a page whose formulas did not render.
RAW_TEX = re.compile(
    r"\$\\|\$\$|\\\(|\\\[|\\(frac|dfrac|tfrac|hat|sqrt|mathbb|mathrm|text|sum|partial|cdot|left|right|begin|"
    r"epsilon|varepsilon|gamma|beta|mu|sigma|nabla|approx|quad|odot|underbrace|operatorname|boxed)\b"
)


def _file(url: str) -> Path:
    parsed = urlparse(url)
    assert parsed.scheme == "file", f"a link leaves the folder: {url}"
    return Path(unquote(parsed.path))


def _markdown_formulas(notebook: Path) -> list[int]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [len(formulas("".join(c["source"]))) for c in cells if c["cell_type"] == "markdown"]


def _page_probe(lessons_run: LessonsRun, page: Path, tmp_path: Path) -> dict:
    assert lessons_run.result.returncode == 0, lessons_run.result.stdout + lessons_run.result.stderr[-3000:]
    assert page.is_file(), f"{page.name} was not written"
    return probe(page, _PROBE, tmp_path)


@pytest.mark.parametrize("notebook", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_page_shows_math_not_tex_and_links_its_neighbours(
    notebook: Path, lessons_run: LessonsRun, tmp_path: Path
) -> None:
    seen = _page_probe(lessons_run, lessons_run.page(notebook), tmp_path)
    raw = [seen["text"][max(0, m.start() - 40) : m.end() + 40] for m in RAW_TEX.finditer(seen["text"])]
    assert not raw, f"{notebook.stem}: raw TeX on the page: {raw[:5]}"
    # every formula of every markdown cell is a MathML element in that cell, laid out as math
    assert seen["cells"] == _markdown_formulas(notebook)
    assert set(seen["displays"]) <= {"math", "inline math", "block math"}, set(seen["displays"])  # MathML Core
    assert plain_text(lesson_info(notebook).title) in seen["text"]
    # previous / index / next, top and bottom, each to a page that exists
    k = LESSONS.index(notebook)
    expected = ["mg-index"] + (["mg-prev"] if k > 0 else []) + (["mg-next"] if k < len(LESSONS) - 1 else [])
    links = {cls: _file(url) for cls, url in seen["links"]}
    assert sorted(links) == sorted(expected) and len(seen["links"]) == 2 * len(expected), seen["links"]
    assert all(target.is_file() for target in links.values()), links
    assert links["mg-index"].name == "index.html"
    if k > 0:
        assert links["mg-prev"].name == f"{LESSONS[k - 1].stem}.html"
    if k < len(LESSONS) - 1:
        assert links["mg-next"].name == f"{LESSONS[k + 1].stem}.html"


def test_index_lists_every_lesson_with_what_it_answers(lessons_run: LessonsRun, tmp_path: Path) -> None:
    seen = _page_probe(lessons_run, lessons_run.html / "index.html", tmp_path)
    assert not RAW_TEX.search(seen["text"]), seen["text"]
    assert [_file(url).name for _, url in seen["links"]] == [f"{p.stem}.html" for p in LESSONS]
    assert all(_file(url).is_file() for _, url in seen["links"])
    for notebook in LESSONS:
        info = lesson_info(notebook)
        assert plain_text(info.title) in seen["text"] and plain_text(info.answers) in seen["text"], notebook.stem
    answers_math = sum(len(formulas(lesson_info(p).answers)) for p in LESSONS)
    assert seen["maths"] == answers_math
