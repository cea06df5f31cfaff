"""The Linked Data pages as a static site: the same documents ``serve`` answers, as files.

Every resource, named graph and the ontology gets ``PATH.html`` plus its description as
``PATH.ttl``, ``PATH.nt``, ``PATH.jsonld`` and ``PATH.trig``, at the path its IRI has under
``https://w3id.org/defenders-kg/``. Links between pages are relative, so the site works from
``file://`` and under any sub-path. ``.htaccess`` holds the rewrite rules that w3id.org expects
(its repository keeps one per project folder): each IRI answers ``303 See Other`` to the document
in the format the ``Accept`` header names, HTML by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from . import formats
from . import linked_data as ld
from .errors import ExportError
from .files import write_atomic
from .vocab import DKGR, GENID, GRAPH_BASE

#: The formats written beside each page (HTML first).
SITE_FORMATS = ("html", "turtle", "nt", "jsonld", "trig")
#: Where the site is meant to be published; ``.htaccess`` redirects there.
DEFAULT_BASE_URL = "https://defenders-kg.github.io/defenders-kg/"


@dataclass(frozen=True)
class SiteReport:
    """What ``build_site`` wrote: the folder, the number of pages and of files."""

    folder: Path
    pages: int
    files: int


def targets(runner: ld.Runner) -> list[ld.Target]:
    """Every IRI the site documents: resources (subjects or objects), named graphs, ontology."""
    resources = ld._select(
        runner,
        f"""SELECT DISTINCT ?x WHERE {{
  {{ ?x ?p ?o }} UNION {{ ?s ?p ?x }}
  FILTER(isIRI(?x) && STRSTARTS(STR(?x), "{DKGR}") && !STRSTARTS(STR(?x), "{GENID}"))
}} ORDER BY ?x""",
    )
    graphs = ld._select(runner, "SELECT DISTINCT ?g WHERE { GRAPH ?g { } } ORDER BY ?g")
    found = [ld.target_of(row["x"]["value"]) for row in resources]
    found += [ld.target_of(row["g"]["value"]) for row in graphs
              if row["g"]["value"].startswith(GRAPH_BASE)]  # fmt: skip
    found.append(ld.target("ontology"))
    return [where for where in found if where is not None]


def build_site(store: Any, output: str | Path, *, base_url: str = DEFAULT_BASE_URL) -> SiteReport:
    """Write the static site of the graph in ``store`` (an Oxigraph store) into ``output``.

    Raises ``ExportError`` when the folder cannot be written.
    """
    runner = ld.StoreRunner(store)
    folder = Path(output)
    ontology_html = _ontology_html(runner)
    pages = files = 0
    index: list[tuple[str, str, str]] = []
    for where in targets(runner):
        made = ld.documents(runner, where, SITE_FORMATS, ontology_html=ontology_html)
        for fmt, document in made.items():
            _write(folder / f"{where.path}.{ld.suffix_of(fmt)}", document.body)
            files += 1
        if made:
            pages += 1
            index.append((where.kind, _title(made["html"].body), where.path))
    _write(folder / "index.html", _index_page(index).encode("utf-8"))
    _write(folder / ".htaccess", htaccess(base_url).encode("utf-8"))
    return SiteReport(folder, pages, files + 2)


def _ontology_html(runner: ld.Runner) -> str | None:
    from .ontology_docs import ontology_html

    try:
        return ontology_html(ld.ontology_graph(runner))
    except ExportError:  # pyLODE is not installed: the ontology is shown as a table of triples
        return None


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ExportError(f"cannot write {path.parent}: {err.strerror or err}") from None
    write_atomic(path, data)


def _title(html: bytes) -> str:
    text = html.decode("utf-8")
    start = text.find("<title>") + len("<title>")
    return text[start : text.find("</title>", start)].split(" · ")[0]


def _index_page(entries: list[tuple[str, str, str]]) -> str:
    """The site's front page: the paragraph, the ontology, and every page by kind."""
    page = ld.Page("Index", 0)
    page.add("<h1>The Defenders knowledge graph</h1>")
    page.add(
        '<p>Start with <a href="resource/source-document.html">the paragraph</a>, where each '
        'sentence lists the facts it states, or with <a href="ontology.html">the ontology</a>.</p>'
    )
    for kind, heading in (("resource", "Resources"), ("graph", "Named graphs")):
        chosen = sorted((title.lower(), title, path) for k, title, path in entries if k == kind)
        items = "".join(
            f'<li><a href="{escape(path)}.html">{escape(title)}</a></li>'
            for _, title, path in chosen
        )
        page.add(f"<section><h2>{heading} ({len(chosen)})</h2><ul>{items}</ul></section>")
    return page.html()


def htaccess(base_url: str) -> str:
    """Apache rewrite rules of the kind w3id.org expects, redirecting the project's IRIs (303)
    to the documents of the site published at ``base_url``."""
    base = base_url.rstrip("/")
    lines = [
        "# w3id.org/defenders-kg: each IRI answers 303 See Other to a document of the site at",
        f"# {base}/, in the format the Accept header names (HTML by default).",
        "# Written by `defenders-kg site`; see the W3C 'Cool URIs for the Semantic Web'.",
        "Options +FollowSymLinks",
        "RewriteEngine on",
        "",
    ]
    paths = (
        ("resource", r"^resource/([A-Za-z0-9_~-]+)$", "resource/$1"),
        ("graph", r"^graph/([A-Za-z0-9_~-]+)$", "graph/$1"),
        ("ontology", r"^ontology$", "ontology"),
    )
    for kind, pattern, document in paths:
        lines.append(f"# {kind}")
        for fmt in SITE_FORMATS[1:]:
            media_types = formats.get(fmt).media_types
            for position, media in enumerate(media_types):
                more = " [OR]" if position < len(media_types) - 1 else ""
                escaped = media.replace("+", r"\+").replace(".", r"\.")
                lines.append(f"RewriteCond %{{HTTP_ACCEPT}} {escaped}{more}")
            lines.append(f"RewriteRule {pattern} {base}/{document}.{ld.suffix_of(fmt)} [R=303,L]")
        lines.append(f"RewriteRule {pattern} {base}/{document}.html [R=303,L]")
        lines.append("")
    lines.append(f"RewriteRule ^$ {base}/index.html [R=303,L]")
    return "\n".join(lines) + "\n"
