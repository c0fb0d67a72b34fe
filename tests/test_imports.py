"""The features' boundaries, read from their import statements."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "training"


def _imports(path: Path) -> set[str]:
    """Every module a file imports, as dotted names."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _feature_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "training" else None


def _is_routes(module: str) -> bool:
    return module.split(".")[-1].endswith("routes")


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        dotted = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        yield dotted, path


def test_no_feature_imports_another_features_routes():
    crossings = [
        f"{module} imports {imported}"
        for module, path in _modules()
        if _feature_of(module) is not None
        for imported in _imports(path)
        if _is_routes(imported)
        and _feature_of(imported) is not None
        and _feature_of(imported) != _feature_of(module)
    ]
    assert crossings == []


@pytest.mark.parametrize(("feature", "forbidden"), [("catalog", "enrollment")])
def test_feature_does_not_depend_on(feature, forbidden):
    crossings = [
        f"{module} imports {imported}"
        for module, path in _modules()
        if _feature_of(module) == feature
        for imported in _imports(path)
        if _feature_of(imported) == forbidden
    ]
    assert crossings == []


def test_the_reading_finds_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import training.desk.routes\nfrom training.enrollment import services\n")

    assert {"training.desk.routes", "training.enrollment.services"} <= _imports(sample)


@pytest.mark.parametrize(
    "module",
    [
        "training.permissions",
        "training.accounts.models",
        "training.enrollment.services",
        "training.planning.services",
        "training.checkin.scans",
    ],
)
def test_a_feature_module_imports_on_its_own(module):
    # A fresh interpreter: in this one every module is loaded already.
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
