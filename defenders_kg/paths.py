"""The one place that finds the data folders: inside an installed wheel, or at the repo root."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_root() -> Path:
    """The folder that holds ``ontology/``, ``graph/`` and ``queries/``.

    A wheel carries them in ``defenders_kg/_data``; a source checkout has them next to the package.
    """
    for candidate in (_PACKAGE_DIR / "_data", _PACKAGE_DIR.parent):
        if (candidate / "ontology").is_dir() and (candidate / "queries").is_dir():
            return candidate
    raise FileNotFoundError(f"no ontology/ and queries/ folders found near {_PACKAGE_DIR}")


def ontology_files() -> list[Path]:
    """The core ontology and its alignment modules (not the SHACL shapes)."""
    root = data_root() / "ontology"
    return [root / "defenders.ttl", *sorted((root / "alignments").glob("*.ttl"))]


def shapes_files() -> list[Path]:
    return sorted((data_root() / "ontology" / "shapes").glob("*.ttl"))


def document_file() -> Path:
    return data_root() / "graph" / "document.ttl"


def statement_files() -> list[Path]:
    return sorted((data_root() / "graph" / "statements").glob("*.ttl"))


def span_files() -> list[Path]:
    """The wordings of each statement group: one file per group, named like its statements."""
    return sorted((data_root() / "graph" / "spans").glob("*.ttl"))


def source_text_file() -> Path:
    return data_root() / "graph" / "source" / "the-defenders.txt"


def queries_dir() -> Path:
    return data_root() / "queries"


def store_queries_dir(store: str) -> Path:
    """The texts of canned queries written for one store's query planner (``virtuoso``)."""
    return data_root() / "queries" / store


def checks_dir() -> Path:
    return data_root() / "queries" / "checks"
