"""The README's promises: its first lines are the two set-up commands, CI runs the second one
exactly, and its example runs."""

from __future__ import annotations

import re
from pathlib import Path

from minigrad.cli.lesson_html import lesson_info

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def setup_commands() -> list[str]:
    first_block = re.match(r"```bash\n(.*?)```", README, re.S)
    assert first_block, "the README must open with the set-up commands"
    return [line for line in first_block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_setup_commands():
    commands = setup_commands()
    assert len(commands) == 2
    assert commands[0].endswith("-m minigrad lessons") and '".[lessons]"' in commands[0]
    assert commands[1].endswith("-m pytest") and '".[test]"' in commands[1]


def test_ci_runs_the_readme_test_command_and_nothing_looser():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert setup_commands()[1] in ci.splitlines()


def test_readme_example_runs(capsys):
    found = re.search(r"```python\n(.*?)```", README, re.S)
    assert found, "the README has no python example"
    example = found.group(1)
    assert len(example.strip().splitlines()) <= 15
    exec(compile(example, "README.md", "exec"), {})
    assert "gradcheck PASSED" in capsys.readouterr().out


def test_readme_links_every_lesson():
    for notebook in sorted((ROOT / "lessons").glob("*.ipynb")):
        assert f"(lessons/{notebook.name})" in README, notebook.name


def test_readme_lesson_table_says_what_each_notebook_says():
    # the table restates each lesson's title and answer line; it must not drift from the notebooks
    for notebook in sorted((ROOT / "lessons").glob("*.ipynb")):
        info = lesson_info(notebook)  # what index.html shows, read the same way
        assert f"| [{info.title}](lessons/{notebook.name}) | {info.answers} |" in README, notebook.name
