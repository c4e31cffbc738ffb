"""`python -m minigrad lessons`: execute every lesson notebook headless and write an HTML copy of each.

The notebooks are stored without outputs; this runs them top to bottom in a fresh kernel (with the
Agg backend, so plots render without a screen), embeds the plots in the HTML, and says where.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

#: Per-cell limit; every lesson is meant to run in well under a minute in total.
CELL_TIMEOUT_S = 300


def default_lessons_dir() -> Path:
    """`./lessons` when run from a checkout's root, else the checkout this package was installed from."""
    here = Path.cwd() / "lessons"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "lessons"


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
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
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


def write_html(notebook, destination: Path) -> Path:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(notebook)
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(body, encoding="utf-8")
    return destination


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", type=Path, default=None, help="folder of the lesson notebooks (default: ./lessons)")
    parser.add_argument(
        "--output", type=Path, default=None, help="where to write the HTML copies (default: <dir>/html)"
    )
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        metavar="PART",
        help="run only notebooks whose file name contains one of these",
    )


def run(args: argparse.Namespace) -> int:
    try:  # the notebook stack is the `lessons` extra, imported only when this command runs
        import matplotlib  # noqa: F401
        import nbclient
        import nbconvert
        import nbformat
    except ModuleNotFoundError as error:
        print(f"lessons: needs {error.name!r}; install the lessons extra: pip install -e '.[lessons]'", file=sys.stderr)
        return 2
    directory = args.dir or default_lessons_dir()
    notebooks = find_lessons(directory, args.only)
    if not notebooks:
        print(f"lessons: no notebooks found in {directory}", file=sys.stderr)
        return 2
    output = args.output or directory / "html"
    failures = 0
    for path in notebooks:
        start = time.perf_counter()
        try:
            notebook = execute_notebook(path)
        except Exception as error:  # report every failing lesson, then fail the run
            failures += 1
            print(
                f"FAILED  {path.name}: {type(error).__name__}: {str(error).strip().splitlines()[-1] if str(error).strip() else ''}",
                file=sys.stderr,
            )
            continue
        html = write_html(notebook, output / (path.stem + ".html"))
        print(f"ok      {path.name} ({time.perf_counter() - start:.1f} s) -> {html}")
    print(
        f"{len(notebooks) - failures} of {len(notebooks)} lessons ran; HTML copies with their plots are in {output.resolve()}"
    )
    return 1 if failures else 0
