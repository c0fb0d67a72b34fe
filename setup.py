"""Ships the top-level templates/, static/ and migrations/ inside the package (as
training/templates and so on; the factory looks in both places); the rest is in pyproject.toml."""

from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).resolve().parent
DATA_FOLDERS = {
    "training.templates": "templates",
    "training.static": "static",
    "training.migrations": "migrations",
}


def data_packages(package: str, folder: str) -> list[str]:
    """The folder and each folder under it as a package: setuptools ships a data file only as
    part of a package, and warns of every folder of data files not declared as one."""
    names = [package]
    for path in sorted((ROOT / folder).rglob("*")):
        if path.is_dir() and "__pycache__" not in path.parts:
            names.append(".".join([package, *path.relative_to(ROOT / folder).parts]))
    return names


translations = data_packages("training.translations", "training/translations")
data = [name for package, folder in DATA_FOLDERS.items() for name in data_packages(package, folder)]

setup(
    packages=find_packages(include=["training", "training.*"]) + data + translations,
    package_dir=DATA_FOLDERS,
    package_data={
        "training.translations": ["*.pot"],
        **{name: ["*"] for name in data + translations},
    },
)
