"""Ships the top-level templates/, static/ and migrations/ inside the package (as
training/templates and so on; the factory looks in both places); the rest is in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["training", "training.*"])
    + ["training.templates", "training.static", "training.migrations"],
    package_dir={
        "training.templates": "templates",
        "training.static": "static",
        "training.migrations": "migrations",
    },
    package_data={
        "training": ["translations/*/LC_MESSAGES/*.mo", "translations/*/LC_MESSAGES/*.po"],
        "training.templates": ["*.html", "**/*.html"],
        "training.static": ["*.*", "**/*"],
        "training.migrations": ["*.*", "versions/*.py"],
    },
)
