"""The lessons' HTML copies without executing anything: formulas to MathML, titles, index and nav."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from minigrad.cli.lesson_html import (
    LessonInfo,
    MathConversionError,
    formulas,
    lesson_info,
    markdown_to_html,
    nav_bar,
    tex_to_mathml,
    write_index,
    write_page,
)

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
NOTEBOOKS = sorted(LESSONS.glob("*.ipynb"))
ALL_NOTEBOOKS = NOTEBOOKS + sorted((LESSONS / "exercises").glob("*.ipynb"))


def maths(html: str) -> list[str]:
    return re.findall(r"<math\b.*?</math>", html, re.S)


# ------------------------------------------------------------------------------ formulas
def test_inline_formula_becomes_inline_mathml():
    out = markdown_to_html(r"the error is $O(\varepsilon^2)$, small")
    (formula,) = maths(out)
    assert 'display="inline"' in formula and "<msup>" in formula
    assert "$" not in out and "\\" not in out and "the error is" in out


def test_display_formulas_in_both_spellings():
    for source in (r"$$\frac{a}{b}$$", "\\[\\frac{a}{b}\\]", "\\\\[\\frac{a}{b}\\\\]"):
        (formula,) = maths(markdown_to_html(source))
        assert 'display="block"' in formula and "<mfrac>" in formula, source


def test_inline_latex_delimiters():
    for source in (r"a \(\hat x\) b", r"a \\(\hat x\\) b"):
        (formula,) = maths(markdown_to_html(source))
        assert 'display="inline"' in formula and "<mover" in formula, source


def test_a_multiline_display_stays_one_formula():
    out = markdown_to_html("$$\na = b\n\\quad\nc = \\sqrt{d}\n$$")
    (formula,) = maths(out)
    assert "<msqrt>" in formula


def test_formula_in_a_heading_stays_mathml_and_its_anchor_is_text():
    out = markdown_to_html(r"## The $\varepsilon$ trade-off")
    assert re.match(r'<h2 id="The-%CE%B5-trade-off">The <math [^>]*display="inline">', out), out
    assert "ns0" not in out and 'href="#The-%CE%B5-trade-off"' in out


def test_dollar_amounts_are_not_math():
    out = markdown_to_html("It costs $5, or $10 with tax.")
    assert not maths(out) and "$5, or $10" in out


def test_escaped_dollar_and_code_spans_are_not_math():
    out = markdown_to_html(r"a literal \$x\$ and `$y$` in code")
    assert not maths(out) and "$x$" in out and "<code>$y$</code>" in out


def test_underscores_in_text_lose_their_backslash():
    formula = tex_to_mathml(r"\text{moving\_mean} + 1")
    assert "<mtext>moving_mean</mtext>" in formula


def test_absolute_value_bars_are_not_spaced_like_relations():
    formula = tex_to_mathml(r"|a| + |b| + \|x\| + \left|c\right|")
    assert formula.count('lspace="0em" rspace="0em"') == 6  # the four bare bars and the two norm bars
    assert 'form="prefix"' in formula  # \left| already has the fence spacing


def test_unknown_command_is_a_clear_error():
    with pytest.raises(MathConversionError, match=r"`\\foo x` to MathML: latex2mathml does not know \\foo$"):
        markdown_to_html(r"see $\foo x$")


def test_code_cells_and_outputs_keep_their_dollars(tmp_path):
    notebook = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell('print("$x$ costs $5")')
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="$x$ costs $5\n")]
    notebook.cells = [nbformat.v4.new_markdown_cell("# T\n\nmath $x$"), code]
    page = write_page(notebook, tmp_path / "page.html").read_text(encoding="utf-8")
    assert len(maths(page)) == 1  # the markdown's, and only that
    assert page.count("$x$ costs $5") == 2  # the source and the output, verbatim
    assert not re.search(r"<script[^>]*\bsrc=", page), "the page loads a script"
    assert "mathjax" not in page.lower()


def test_a_cell_collapsed_in_the_notebook_is_collapsed_on_the_page(tmp_path):
    helper = nbformat.v4.new_code_cell("# Check helper: every number\nassert 1")
    helper.metadata["jupyter"] = {"source_hidden": True}
    notebook = nbformat.v4.new_notebook(cells=[helper, nbformat.v4.new_code_cell("shown = 1")])
    page = write_page(notebook, tmp_path / "page.html").read_text(encoding="utf-8")
    (folded,) = re.findall(r"<details.*?</details>", page, re.S)
    assert re.search(r"<summary># Check helper: every number\s", folded) and "assert" in folded
    assert "shown" in page and "shown" not in folded


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=[p.stem for p in ALL_NOTEBOOKS])
def test_every_formula_in_the_notebook_converts(path):
    cells = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "markdown"]
    for cell in cells:
        source = "".join(cell["source"])
        out = markdown_to_html(source)
        assert len(maths(out)) == len(formulas(source))
        leftover = re.sub(r"<math\b.*?</math>|<code>.*?</code>|<pre>.*?</pre>", "", out, flags=re.S)
        assert not re.search(r"\$|\\[A-Za-z]+", leftover), f"{path.name}: raw TeX left in {leftover[:300]}"
    if any("$" in "".join(c["source"]) for c in cells):
        assert any(formulas("".join(c["source"])) for c in cells), f"{path.name}: dollars, yet no formula found"


# ------------------------------------------------------------------------- titles and index
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_index_reads_each_lessons_title_and_answer(path):
    # the pattern itself is test_lesson_style's; this checks the index reads it
    info = lesson_info(path)
    assert info.title.startswith(f"Lesson {int(path.name.split('_')[0])} — "), info
    assert info.answers and not info.answers.startswith("*"), f"{path.name}: no **What it answers:** sentence read"


def test_lesson_info_falls_back_to_the_first_heading(tmp_path):
    path = tmp_path / "x.ipynb"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Intro\n## Some title\ntext")])
    nbformat.write(notebook, path)
    assert lesson_info(path) == LessonInfo(title="Some title", answers="")
    nbformat.write(nbformat.v4.new_notebook(), path)
    assert lesson_info(path) == LessonInfo(title="x", answers="")


def test_nav_bar_links_neighbours_and_the_index():
    infos = [LessonInfo(f"Lesson {i} — T{i}", "") for i in (1, 2, 3)]
    pages = ["a.html", "b.html", "c.html"]
    first, middle, last = (nav_bar(pages, infos, k) for k in range(3))
    links = lambda nav: re.findall(r'href="([^"]+)"', nav)
    assert links(first) == ["index.html", "b.html"]
    assert links(middle) == ["a.html", "index.html", "c.html"]
    assert links(last) == ["b.html", "index.html"]
    assert "Lesson 1 — T1" in middle and "Lesson 3 — T3" in middle


def test_index_lists_every_page_with_its_answer(tmp_path):
    infos = [LessonInfo("Lesson 1 — Tensors", "Why is $x^2$ fine?"), LessonInfo("Lesson 2 — More", "")]
    text = write_index(tmp_path / "index.html", ["a.html", "b.html"], infos).read_text(encoding="utf-8")
    assert re.findall(r'<li><a href="([^"]+)">', text) == ["a.html", "b.html"]
    assert "Lesson 1 — Tensors" in text and len(maths(text)) == 1 and "$" not in text


# ------------------------------------------------------------------------- the command
def test_missing_kernelspec_is_a_clear_error(monkeypatch, capsys):
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    from minigrad.cli.main import main

    def no_kernel(self, name):
        raise NoSuchKernel(name)

    monkeypatch.setattr(KernelSpecManager, "get_kernel_spec", no_kernel)
    assert main(["lessons", "--dir", str(LESSONS), "--only", "01_"]) == 2
    err = capsys.readouterr().err
    assert "no Jupyter kernel named 'python3'" in err and "ipykernel install" in err and "Traceback" not in err


@pytest.mark.lessons
def test_keep_going_links_and_reports_only_the_pages_written(tmp_path, capsys):
    from minigrad.cli.main import main

    def lesson(name: str, markdown: str, code: str) -> None:
        cells = [nbformat.v4.new_markdown_cell(markdown), nbformat.v4.new_code_cell(code)]
        nbformat.write(nbformat.v4.new_notebook(cells=cells), tmp_path / name)

    lesson("01_ok.ipynb", "# Lesson 1 — One\n**What it answers:** Does one run?", "x = 1")
    lesson("02_raises.ipynb", "# Lesson 2 — Two", "raise ValueError('planted')")
    lesson("03_bad_tex.ipynb", r"# Lesson 3 — Three" + "\nsee $\\foo x$", "x = 3")
    lesson("04_ok.ipynb", "# Lesson 4 — Four", "x = 4")
    out = tmp_path / "html"
    assert main(["lessons", "--dir", str(tmp_path), "--output", str(out), "--keep-going"]) == 1
    printed = capsys.readouterr()
    assert "FAILED  02_raises.ipynb: " in printed.err and "planted" in printed.err and "\x1b[" not in printed.err
    assert "FAILED  03_bad_tex.ipynb: MathConversionError: " in printed.err and "\\foo" in printed.err
    assert sorted(p.name for p in out.iterdir()) == ["01_ok.html", "04_ok.html", "index.html"]
    assert "02_raises.html" not in printed.out and "03_bad_tex.html" not in printed.out
    assert "2 of 4 lessons ran" in printed.out and str(out / "index.html") in printed.out
    first = (out / "01_ok.html").read_text(encoding="utf-8")
    assert re.findall(r'href="([^"#]+)"', first) == ["index.html", "04_ok.html"] * 2  # top and bottom bars
    index = (out / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'<li><a href="([^"]+)"', index) == ["01_ok.html", "04_ok.html"]
    assert "Does one run?" in index
