"""The Linked Data pages as a static site: the same documents ``serve`` answers, as files.

Every resource, named graph and the ontology gets ``PATH.html`` plus its description as
``PATH.ttl``, ``PATH.nt``, ``PATH.jsonld``, ``PATH.rdf``, ``PATH.trig`` and ``PATH.nq`` (every
format ``serve`` offers), at the path its IRI has under ``https://w3id.org/defenders-kg/``.
Links between pages are relative, so the site works from ``file://`` and under any sub-path.
``.htaccess`` holds the rewrite rules that w3id.org expects (its repository keeps one per project
folder): each IRI answers ``303 See Other`` to the document in the format the ``Accept`` header
prefers, HTML by default.

The site is built in a hidden folder beside the target and renamed into place once complete, so a
failure leaves the target as it was. A target that exists must be empty or a site written earlier
(it holds ``MARKER``); anything else is refused rather than overwritten.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

from ..errors import ExportError
from ..kg import progress
from ..vocab import DKGR, GENID, GRAPH_BASE
from .documents import documents
from .htaccess import htaccess
from .html import render
from .iris import DOCUMENT_SUFFIXES, Target, suffix_of, target, target_of
from .lookup import Runner, StoreRunner, ontology_graph, select

#: The formats written beside each page (HTML first).
SITE_FORMATS = tuple(dict.fromkeys(DOCUMENT_SUFFIXES.values()))
#: Where the site is meant to be published; ``.htaccess`` redirects there.
DEFAULT_BASE_URL = "https://defenders-kg.github.io/defenders-kg/"
#: The file that marks a folder as a site this module wrote, which a rebuild may replace.
MARKER = ".defenders-kg-site"


@dataclass(frozen=True)
class SiteReport:
    """What ``build_site`` wrote: the folder, the number of pages and of files."""

    folder: Path
    pages: int
    files: int


def targets(runner: Runner) -> list[Target]:
    """Every IRI the site documents: resources (subjects or objects), named graphs, ontology."""
    resources = select(
        runner,
        f"""SELECT DISTINCT ?x WHERE {{
  {{ ?x ?p ?o }} UNION {{ ?s ?p ?x }}
  FILTER(isIRI(?x) && STRSTARTS(STR(?x), "{DKGR}") && !STRSTARTS(STR(?x), "{GENID}"))
}} ORDER BY ?x""",
    )
    graphs = select(runner, "SELECT DISTINCT ?g WHERE { GRAPH ?g { } } ORDER BY ?g")
    found = [target_of(row["x"].value) for row in resources]
    found += [target_of(row["g"].value) for row in graphs
              if row["g"].value.startswith(GRAPH_BASE)]  # fmt: skip
    found.append(target("ontology"))
    return [where for where in found if where is not None]


def build_site(store: Any, output: str | Path, *, base_url: str = DEFAULT_BASE_URL) -> SiteReport:
    """Write the static site of the graph in ``store`` (an Oxigraph store) into ``output``.

    Raises ``ExportError`` when the folder cannot be written, or holds something other than a site.
    """
    folder = _target(Path(output))
    runner = StoreRunner(store)
    ontology_html = _ontology_html(runner)
    staging = _make_folder(folder)
    try:
        pages = files = 0
        index: list[tuple[str, str, str]] = []
        everything = targets(runner)
        for number, where in enumerate(everything, 1):
            made = documents(runner, where, SITE_FORMATS, ontology_html=ontology_html)
            for fmt, document in made.items():
                _write(staging, f"{where.path}.{suffix_of(fmt)}", document.body)
                files += 1
            if made:
                pages += 1
                index.append((where.kind, _title(made["html"].body), where.path))
            if number % 100 == 0:
                progress(f"site: {number} of {len(everything)} pages")
        _write(staging, "index.html", _index_page(index).encode("utf-8"))
        _write(staging, ".htaccess", htaccess(base_url).encode("utf-8"))
        _write(
            staging, MARKER, b"Written by `defenders-kg site`; a rebuild replaces this folder.\n"
        )
        _swap_into_place(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return SiteReport(folder, pages, files + 2)


def _target(folder: Path) -> Path:
    """The real folder to write (a symlink is followed), refused unless empty or a former site."""
    folder = Path(os.path.realpath(folder))
    if folder.exists():
        if not folder.is_dir():
            raise ExportError(f"{folder} exists and is not a folder")
        if any(folder.iterdir()) and not (folder / MARKER).is_file():
            raise ExportError(
                f"{folder} is not empty and was not written by `defenders-kg site`; "
                "give a new or empty folder"
            )
    return folder


def _make_folder(folder: Path) -> Path:
    from ..files import claim, sweep

    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        sweep(folder.parent, f".{folder.name}.")  # left by a run that was killed
        staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
        claim(staging)  # held until the process ends, so no other run sweeps it
        return staging
    except OSError as err:
        raise ExportError(f"cannot write {folder}: {err.strerror or err}") from None


def _swap_into_place(staging: Path, folder: Path) -> None:
    """Rename the finished site over ``folder``; the former site is removed only once the new one
    is in place (if it cannot be put back after a failure, it is left in its hidden folder)."""
    os.chmod(staging, 0o755)  # mkdtemp makes the folder private; a site is meant to be read
    former = None
    try:
        if folder.exists():
            former = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.old."))
            os.replace(folder, former / "site")
        os.replace(staging, folder)
    except OSError as err:
        if former is not None and not folder.exists():
            with contextlib.suppress(OSError):
                os.replace(former / "site", folder)
                former.rmdir()
        raise ExportError(f"cannot write {folder}: {err.strerror or err}") from None
    if former is not None:
        shutil.rmtree(former, ignore_errors=True)


def _ontology_html(runner: Runner) -> str:
    from .ontology_page import ontology_html

    return ontology_html(ontology_graph(runner))


def _write(staging: Path, name: str, data: bytes) -> None:
    path = staging / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as err:
        raise ExportError(f"cannot write {name} of the site: {err.strerror or err}") from None


def _title(html: bytes) -> str:
    text = html.decode("utf-8")
    start = text.find("<title>") + len("<title>")
    # The page escaped it once; the index escapes it again, so it is read back as text.
    return unescape(text[start : text.find("</title>", start)].split(" · ")[0])


def _index_page(entries: list[tuple[str, str, str]]) -> str:
    """The site's front page: the paragraph, the ontology, and every page by kind."""
    sections = []
    for kind, heading in (("resource", "Resources"), ("graph", "Named graphs")):
        chosen = sorted((title.lower(), title, path) for k, title, path in entries if k == kind)
        shared = Counter(title for _, title, _ in chosen)
        # Entities that share a label ("Daredevil": two characters and a series) are told apart
        # by their IRI's local name.
        items = [(path, title, path.rsplit("/", 1)[-1] if shared[title] > 1 else "")
                 for _, title, path in chosen]  # fmt: skip
        sections.append((heading, items))
    return render("site_index.html", title="Index", depth=0, sections=sections)
