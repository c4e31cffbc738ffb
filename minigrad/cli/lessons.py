"""`python -m minigrad lessons`: execute every lesson notebook headless and write an HTML copy of each.

The notebooks are stored without outputs; this runs them top to bottom in a fresh kernel (with the
Agg backend, so plots render without a screen), embeds the plots in the HTML, and says where.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

#: Per-cell limit; every lesson is meant to run in well under a minute in total.
CELL_TIMEOUT_S = 300
#: The kernelspec the lessons run in (their metadata names it too).
KERNEL = "python3"


#: Where a wheel install keeps the lessons (setup.py maps the repository's lessons/ there).
PACKAGED_LESSONS = Path(__file__).resolve().parents[1] / "_lessons"
#: The modules the `lessons` extra provides (the kernel is ipykernel's).
NEEDED = ("matplotlib", "nbformat", "nbclient", "nbconvert", "ipykernel", "latex2mathml")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def default_lessons_dir() -> Path:
    """`./lessons` in a checkout's root, else the checkout of an editable install, else the packaged copy."""
    for candidate in (Path.cwd() / "lessons", Path(__file__).resolve().parents[2] / "lessons"):
        if any(candidate.glob("*.ipynb")):
            return candidate
    return PACKAGED_LESSONS


def default_output_dir(directory: Path) -> Path:
    """`<dir>/html` next to a checkout's lessons; `./lessons-html` for the packaged (read-only) ones."""
    if directory.resolve() == PACKAGED_LESSONS:
        return Path.cwd() / "lessons-html"
    return directory / "html"


def copy_lessons(directory: Path, destination: Path) -> list[Path]:
    """Clean copies (no outputs) of every lesson notebook and its companions into `destination`."""
    import nbformat

    written = []
    for source in sorted(directory.rglob("*")):
        rel = source.relative_to(directory)
        if source.is_dir() or rel.parts[0] in ("html", ".ipynb_checkpoints", "__pycache__"):
            continue
        if source.suffix not in (".ipynb", ".md"):
            continue
        target = destination / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix == ".ipynb":
            notebook = nbformat.read(source, as_version=4)
            for cell in notebook.cells:
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = [], None
            nbformat.write(notebook, target)
        else:
            shutil.copyfile(source, target)
        written.append(target)
    return written


def error_summary(error: BaseException) -> str:
    """The last line of an error, without the terminal colour codes a kernel traceback carries."""
    text = _ANSI.sub("", str(error)).strip()
    return f"{type(error).__name__}: {text.splitlines()[-1] if text else ''}"


def find_lessons(directory: Path, only: list[str] | None = None) -> list[Path]:
    notebooks = sorted(p for p in directory.glob("*.ipynb") if not p.name.startswith("."))
    if only:
        notebooks = [p for p in notebooks if any(key in p.name for key in only)]
    return notebooks


def execute_notebook(path: Path, timeout: int = CELL_TIMEOUT_S):
    """Run `path` in a fresh kernel with its folder as working directory; returns the executed notebook."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name=KERNEL, resources={"metadata": {"path": str(path.parent)}}
    )
    # The kernel inherits this process's environment. Force the inline backend: it needs no screen
    # and embeds every figure as a PNG (a backend such as Agg inherited from a CI environment
    # would silently drop the plots from the HTML).
    previous = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        # The kernel process's own stderr carries only its start-up log (e.g. a warning per lesson
        # about local TCP transport); cell output, errors included, arrives through the notebook.
        client.execute(stderr=subprocess.DEVNULL)
    finally:
        if previous is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = previous
    return notebook


def write_html(notebook, destination: Path, source: Path | None = None, nav: str = "") -> Path:
    """The offline HTML copy of an executed notebook (formulas as MathML); `source` gives its title."""
    from minigrad.cli.lesson_html import lesson_info, write_page

    return write_page(notebook, destination, lesson_info(source) if source else None, nav)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="folder of the lesson notebooks (default: ./lessons, else the packaged ones)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="where to write the HTML copies (default: <dir>/html, or ./lessons-html for the packaged lessons)",
    )
    parser.add_argument(
        "--copy", type=Path, default=None, metavar="DIR", help="write clean copies of the notebooks into DIR and stop"
    )
    parser.add_argument("--keep-going", action="store_true", help="run the remaining lessons after one fails")
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        metavar="PART",
        help="run only notebooks whose file name contains one of these",
    )


def run(args: argparse.Namespace) -> int:
    directory = args.dir or default_lessons_dir()
    notebooks = find_lessons(directory, args.only)
    if not notebooks:
        print(f"lessons: no notebooks found in {directory}", file=sys.stderr)
        return 2
    # the notebook stack is the `lessons` extra, imported only when this command runs
    missing = [name for name in NEEDED if importlib.util.find_spec(name) is None]
    if missing:
        print(
            f"lessons: needs {', '.join(missing)}; install the lessons extra: pip install 'minigrad[lessons]'"
            " (from a checkout: pip install -e '.[lessons]')",
            file=sys.stderr,
        )
        return 2
    if args.copy is not None:
        copies = copy_lessons(directory, args.copy)
        print(f"wrote {len(copies)} files into {args.copy.resolve()}")
        print(f"open them with:  jupyter lab {args.copy}   (or: jupyter notebook {args.copy})")
        return 0
    problem = kernel_problem()
    if problem:
        print(f"lessons: {problem}", file=sys.stderr)
        return 2
    from minigrad.cli.lesson_html import INDEX_NAME, lesson_info, nav_bar, write_index

    output = args.output or default_output_dir(directory)
    infos = [lesson_info(path) for path in notebooks]
    pages = [path.stem + ".html" for path in notebooks]
    executed: dict[int, Any] = {}
    failures = 0
    for k, path in enumerate(notebooks):
        start = time.perf_counter()
        try:
            notebook = execute_notebook(path)
            html = write_html(notebook, output / pages[k], path, nav_bar(pages, infos, k))
        except Exception as error:  # report the failing lesson; stop unless asked to keep going
            failures += 1
            print(f"FAILED  {path.name}: {error_summary(error)}", file=sys.stderr)
            if not args.keep_going:
                break
            continue
        executed[k] = notebook
        print(f"ok      {path.name} ({time.perf_counter() - start:.1f} s) -> {html}")
    kept = sorted(executed)
    if kept and len(kept) < len(notebooks):
        # some lesson failed or was not reached: link each page only to pages that were written
        for j, k in enumerate(kept):
            nav = nav_bar([pages[i] for i in kept], [infos[i] for i in kept], j)
            write_html(executed[k], output / pages[k], notebooks[k], nav)
    print(f"{len(kept)} of {len(notebooks)} lessons ran", end="")
    if kept:
        index = write_index(output / INDEX_NAME, [pages[k] for k in kept], [infos[k] for k in kept])
        print(f"; HTML copies with their plots are in {output.resolve()}; start at {index.resolve()}")
    else:
        print("; no HTML written")
    return 1 if failures else 0


def kernel_problem(name: str = KERNEL) -> str | None:
    """Why the lessons cannot start a kernel (no kernelspec `name`), or None when they can."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return (
            f"no Jupyter kernel named {name!r} is installed, so the notebooks cannot run; "
            f"install one for this Python with:  {Path(sys.executable).name} -m ipykernel install --user"
        )
    return None
