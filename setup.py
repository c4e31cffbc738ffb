"""The lessons ship in the wheel: lessons/ (kept at the top of the repository) is mapped to the
data-only package minigrad._lessons. Everything else is configured in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["minigrad*"]), "minigrad._lessons", "minigrad._lessons.exercises"],
    package_dir={"minigrad._lessons": "lessons"},
    package_data={
        "minigrad": ["py.typed", "data/*.csv.gz"],
        "minigrad._lessons": ["*.ipynb", "*.md"],
        "minigrad._lessons.exercises": ["*.ipynb"],
    },
)
