"""Exercise notebooks on disk: nbgrader's markers and metadata, and their student versions.

A solution region is the lines from one containing `BEGIN SOLUTION` to one containing
`END SOLUTION` (nbgrader writes them `### BEGIN SOLUTION`). The student version replaces each
region exactly as nbgrader's ClearSolutions preprocessor does: a code region becomes the stub
`# YOUR CODE HERE` / `raise NotImplementedError()` at the indentation of the BEGIN line, a markdown
region `YOUR ANSWER HERE`, and a solution cell without markers is replaced whole. Outputs are
cleared as nbgrader's ClearOutput does. Notebooks are plain JSON here: no nbgrader, no nbformat.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
SCHEMA_VERSION = 3
#: Files beside the notebooks that they read (copied with the student versions).
DATA_SUFFIXES = (".npz", ".npy", ".csv", ".json", ".txt")


def source_of(cell: dict[str, Any]) -> str:
    """A cell's source as one string (on disk it is usually a list of lines)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _as_lines(text: str) -> list[str]:
    """nbformat's on-disk form of a source: lines that keep their newline."""
    return text.splitlines(keepends=True)


def nbgrader_meta(cell: dict[str, Any]) -> dict[str, Any]:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_solution(cell: dict[str, Any]) -> bool:
    return bool(nbgrader_meta(cell).get("solution", False))


def is_grade(cell: dict[str, Any]) -> bool:
    return bool(nbgrader_meta(cell).get("grade", False))


def replace_regions(text: str, stub: str, where: str = "cell") -> tuple[str, int]:
    """`text` with every solution region replaced by `stub` (indented like its BEGIN line), and
    how many regions there were. A nested BEGIN or a missing END is a `ValueError`."""
    out: list[str] = []
    inside, count = False, 0
    for line in text.split("\n"):
        if BEGIN in line:
            if inside:
                raise ValueError(f"{where}: nested '{BEGIN}' before an '{END}'")
            inside, count = True, count + 1
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + s for s in stub.split("\n"))
        elif END in line:
            if not inside:
                raise ValueError(f"{where}: '{END}' without a '{BEGIN}' before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: '{BEGIN}' without an '{END}'")
    return "\n".join(out), count


def validate_markers(notebook: dict[str, Any], name: str = "notebook") -> list[str]:
    """Problems with the notebook's markers and metadata (empty when it is a well-formed exercise
    notebook): regions well formed and only in solution cells, grade ids present and unique,
    every check cell locked with points, at least one check cell."""
    problems, ids = [], set()
    for i, cell in enumerate(notebook.get("cells", [])):
        where = f"{name}: cell {i}"
        meta = nbgrader_meta(cell)
        try:
            _, regions = replace_regions(source_of(cell), TEXT_STUB, where)
        except ValueError as error:
            problems.append(str(error))
            continue
        if regions and not is_solution(cell):
            problems.append(f"{where}: a solution region in a cell not marked as a solution cell")
        if not meta:
            continue
        if meta.get("schema_version") != SCHEMA_VERSION:
            problems.append(f"{where}: nbgrader schema_version {meta.get('schema_version')!r}, not {SCHEMA_VERSION}")
        grade_id = meta.get("grade_id")
        if not grade_id:
            problems.append(f"{where}: nbgrader metadata without a grade_id")
        elif grade_id in ids:
            problems.append(f"{where}: grade_id {grade_id!r} is used twice")
        ids.add(grade_id)
        if is_grade(cell) and not is_solution(cell):
            if not meta.get("locked"):
                problems.append(f"{where}: check cell {grade_id!r} is not locked")
            if not isinstance(meta.get("points"), (int, float)) or meta["points"] <= 0:
                problems.append(f"{where}: check cell {grade_id!r} has no points")
    if not any(is_grade(c) for c in notebook.get("cells", [])):
        problems.append(f"{name}: no check cell (nbgrader metadata with grade: true)")
    return problems


def student_version(notebook: dict[str, Any], name: str = "notebook") -> dict[str, Any]:
    """The student's copy: solution regions replaced as nbgrader's ClearSolutions does, outputs
    and execution counts cleared as its ClearOutput does. The input is left unchanged."""
    problems = validate_markers(notebook, name)
    if problems:
        raise ValueError("not a well-formed exercise notebook:\n  " + "\n  ".join(problems))
    nb = copy.deepcopy(notebook)
    nb.get("metadata", {}).pop("celltoolbar", None)
    for i, cell in enumerate(nb["cells"]):
        code = cell["cell_type"] == "code"
        stub = CODE_STUB if code else TEXT_STUB
        text, regions = replace_regions(source_of(cell), stub, f"{name}: cell {i}")
        if regions:
            cell["source"] = _as_lines(text)
        elif is_solution(cell):  # a solution cell without markers is all solution
            cell["source"] = _as_lines(stub)
        if code:
            cell["outputs"], cell["execution_count"] = [], None
            for field in ("collapsed", "scrolled"):
                cell.get("metadata", {}).pop(field, None)
    return nb


def read_notebook(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_notebook(notebook: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(notebook, f, indent=1, ensure_ascii=False)
        f.write("\n")


def exercise_notebooks(root: Path) -> list[Path]:
    """Every notebook under `root` (recursively) with at least one nbgrader check cell, sorted."""
    found = []
    for path in sorted(root.rglob("*.ipynb")):
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue  # checkpoints and hidden folders
        if any(is_grade(c) for c in read_notebook(path).get("cells", [])):
            found.append(path)
    return found


def write_student_versions(notebooks: Sequence[Path] | Iterable[Path], root: Path, out_dir: Path) -> list[Path]:
    """Write the student version of each notebook into `out_dir`, keeping its path relative to
    `root`, with the data files of its folder; returns the paths written."""
    written, copied = [], set()
    for path in notebooks:
        rel = path.relative_to(root)
        target = out_dir / rel
        write_notebook(student_version(read_notebook(path), str(rel)), target)
        written.append(target)
        if path.parent not in copied:
            copied.add(path.parent)
            for data in sorted(path.parent.iterdir()):
                if data.is_file() and data.suffix in DATA_SUFFIXES:
                    shutil.copy2(data, target.parent / data.name)
    return written
