"""Lessons and exercise notebooks read the same way: one title pattern, numbered like their file,
one line saying what each answers, and no reaching outside the package or the notebook's folder.
Static checks on the JSON: nothing here executes a notebook (test_lessons does that)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
LESSON_NOTEBOOKS = sorted(LESSONS.glob("*.ipynb"))
EXERCISE_NOTEBOOKS = sorted((LESSONS / "exercises").glob("*.ipynb"))
ALL = LESSON_NOTEBOOKS + EXERCISE_NOTEBOOKS
IDS = [str(p.relative_to(LESSONS)) for p in ALL]
ANSWER = "**What it answers:**"


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _number(path: Path) -> int:
    found = re.match(r"(\d+)_", path.name)
    assert found, f"{path.name}: a notebook's file name starts with its number, e.g. 04_..."
    return int(found.group(1))


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_title_follows_the_pattern_and_the_file_number(path: Path) -> None:
    first = _cells(path)[0]
    assert first["cell_type"] == "markdown", f"{path.name}: the first cell is the title, in markdown"
    title = _source(first).splitlines()[0]
    kind = "Lesson" if path.parent == LESSONS else "Exercises"
    # an em dash (U+2014) between number and title; the number without a leading zero
    found = re.fullmatch(rf"# {kind} ([1-9]\d*) \u2014 (\S.*\S)", title)
    assert found, f"{path.name}: first line {title!r} is not '# {kind} N \u2014 Title'"
    assert int(found.group(1)) == _number(path), f"{path.name}: titled {found.group(1)}, file says {_number(path)}"


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_first_cell_says_in_one_sentence_what_it_answers(path: Path) -> None:
    lines = _source(_cells(path)[0]).splitlines()
    answers = [line for line in lines if line.startswith(ANSWER)]
    assert len(answers) == 1, f"{path.name}: {len(answers)} lines start with {ANSWER!r}; want exactly one"
    sentence = answers[0][len(ANSWER) :].strip()
    assert len(sentence.split()) >= 5 and sentence[-1] in ".?", f"{path.name}: {sentence!r} is not a sentence"
    if path.parent == LESSONS and "seed" in _source(_cells(path)[0]).lower():
        # a lesson built on a seed question names it where it says what it answers
        assert re.search(r"seeds? \d{3}", sentence), f"{path.name}: name the seed question: {sentence!r}"


def test_lessons_are_numbered_one_to_n_without_gaps() -> None:
    for group in (LESSON_NOTEBOOKS, EXERCISE_NOTEBOOKS):
        numbers = [_number(p) for p in group]
        assert numbers == list(range(1, len(group) + 1)), [p.name for p in group]


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_code_reaches_nothing_outside_the_package_or_its_folder(path: Path) -> None:
    # a copied notebook (lessons --copy, a Colab upload, a wheel install) must still run
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        src = _source(cell)
        assert "sys.path" not in src, f"{path.name}: cell {i} changes sys.path"
        assert not re.search(r"""["'](\.\./|\.\.\\|/work/|/tmp/)""", src), f"{path.name}: cell {i} reads outside"


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_code_lines_fit_in_100_columns(path: Path) -> None:
    # a notebook is read in a browser next to its output: no horizontal scrolling
    long = [
        f"cell {i} line {j + 1} ({len(line)} chars): {line[:60]}..."
        for i, cell in enumerate(_cells(path))
        if cell["cell_type"] == "code"
        for j, line in enumerate(_source(cell).splitlines())
        if len(line) > 100
    ]
    assert not long, f"{path.name}: code lines over 100 characters:\n" + "\n".join(long)


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_every_cell_has_a_unique_id(path: Path) -> None:
    ids = [cell.get("id") for cell in _cells(path)]
    assert None not in ids and len(set(ids)) == len(ids), f"{path.name}: cell ids {ids}"


def _hidden(cell: dict) -> bool:
    return bool(cell.get("metadata", {}).get("jupyter", {}).get("source_hidden"))


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_collapsed_cells_only_define_check_helpers_that_are_used(path: Path) -> None:
    # a collapsed cell hides code from the student: only a named check, called where it teaches
    cells = _cells(path)
    for i, cell in enumerate(cells):
        if not _hidden(cell):
            continue
        assert cell["cell_type"] == "code", f"{path.name}: cell {i} is collapsed but not code"
        tree = ast.parse(_source(cell))
        names = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
        assert names and len(names) == len(tree.body), f"{path.name}: cell {i} does more than define"
        later = "\n".join(_source(c) for c in cells[i + 1 :] if c["cell_type"] == "code" and not _hidden(c))
        for name in names:
            assert name.startswith("check_"), f"{path.name}: cell {i}: {name} is not named check_..."
            assert re.search(rf"\b{name}\(", later), f"{path.name}: {name} is never called after cell {i}"
            assert "hide-input" in cell["metadata"].get("tags", []), f"{path.name}: cell {i} lacks hide-input"


@pytest.mark.parametrize("path", LESSON_NOTEBOOKS, ids=[p.stem for p in LESSON_NOTEBOOKS])
def test_lesson_is_seeded(path: Path) -> None:
    # every run prints the same numbers: the text around them can quote them
    code = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "code")
    assert "manual_seed(" in code, f"{path.name}: never calls mg.manual_seed"
    unseeded = re.findall(r"default_rng\(\s*\)|np\.random\.seed\(\s*\)|SeedSequence\(\s*\)", code)
    assert not unseeded, f"{path.name}: unseeded random generators {unseeded}"
