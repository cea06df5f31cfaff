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
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from html import escape, unescape
from pathlib import Path
from typing import Any

from . import linked_data as ld
from .errors import ExportError
from .kg import progress
from .vocab import DKGR, GENID, GRAPH_BASE

#: The formats written beside each page (HTML first).
SITE_FORMATS = tuple(dict.fromkeys(ld.DOCUMENT_SUFFIXES.values()))
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

    Raises ``ExportError`` when the folder cannot be written, or holds something other than a site.
    """
    folder = _target(Path(output))
    runner = ld.StoreRunner(store)
    ontology_html = _ontology_html(runner)
    staging = _make_folder(folder)
    try:
        pages = files = 0
        index: list[tuple[str, str, str]] = []
        everything = targets(runner)
        for number, where in enumerate(everything, 1):
            made = ld.documents(runner, where, SITE_FORMATS, ontology_html=ontology_html)
            for fmt, document in made.items():
                _write(staging, f"{where.path}.{ld.suffix_of(fmt)}", document.body)
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
    from .files import claim, sweep

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


def _ontology_html(runner: ld.Runner) -> str:
    from .ontology_docs import ontology_html

    return ontology_html(ld.ontology_graph(runner))


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
    page = ld.Page("Index", 0)
    page.add("<h1>The Defenders knowledge graph</h1>")
    page.add(
        '<p>Start with <a href="resource/source-document.html">the paragraph</a>, where each '
        'sentence lists the facts it states, or with <a href="ontology.html">the ontology</a>.</p>'
    )
    for kind, heading in (("resource", "Resources"), ("graph", "Named graphs")):
        chosen = sorted((title.lower(), title, path) for k, title, path in entries if k == kind)
        shared = Counter(title for _, title, _ in chosen)
        # Entities that share a label ("Daredevil": two characters and a series) are told apart
        # by their IRI's local name.
        items = "".join(
            f'<li><a href="{escape(path)}.html">{escape(title)}</a>'
            + (f" <code>{escape(path.rsplit('/', 1)[-1])}</code>" if shared[title] > 1 else "")
            + "</li>"
            for _, title, path in chosen
        )
        page.add(f"<section><h2>{heading} ({len(chosen)})</h2><ul>{items}</ul></section>")
    return page.html()


#: An element's parameters, after its ``;``, hold a q of zero (``q=0``, ``q=0.00``).
_Q_ZERO = r"([^,]*;)?\s*q\s*=\s*0(\.0*)?\s*(;|,|$)"
#: An element's parameters hold a q below one (zero included).
_Q_BELOW_ONE = r"([^,]*;)?\s*q\s*=\s*0"


def _accept_condition(ranges: list[str], refused: str, *, negate: bool = False) -> str:
    """A RewriteCond that holds when the Accept header lists one of ``ranges`` (media types
    or wildcards, matched case-insensitively) with parameters that ``refused`` does not match."""
    names = "|".join(re.escape(media_range) for media_range in ranges)
    pattern = rf"(^|,)\s*({names})\s*(,|$|;(?!{refused}))"
    if negate:  # listed with q=0
        pattern = rf"!(^|,)\s*({names})\s*;{refused}"
    return f"RewriteCond %{{HTTP_ACCEPT}} {pattern} [NC]"


def htaccess(base_url: str) -> str:
    """Apache rewrite rules of the kind w3id.org expects, redirecting the project's IRIs (303,
    with ``Vary: Accept``) to the documents of the site published at ``base_url``.

    mod_rewrite cannot compare q-values, so the rules approximate ``formats.negotiate`` in three
    rounds, each in the server's order of formats: a type listed with q=1, then one listed with
    any q above 0, then one a wildcard admits and that is not listed with q=0; else HTML, unless
    HTML is listed with q=0 (406).
    """
    base = base_url.rstrip("/")
    offers: dict[str, list[str]] = {}
    for media_type, fmt in ld.offered().items():
        offers.setdefault(fmt, []).append(media_type)
    lines = [
        "# w3id.org/defenders-kg: each IRI answers 303 See Other to a document of the site at",
        f"# {base}/, in the format the Accept header prefers (HTML by default).",
        "# Written by `defenders-kg site`; see the W3C 'Cool URIs for the Semantic Web'.",
        "Options +FollowSymLinks",
        "RewriteEngine on",
        "Header always set Vary Accept env=NEGOTIATED",
    ]
    lines += [f"AddType {ld.media_type_of(fmt)} .{ld.suffix_of(fmt)}" for fmt in offers]
    lines.append("")
    paths = (
        ("resource", r"^resource/([A-Za-z0-9_~-]+)$", "resource/$1"),
        ("graph", r"^graph/([A-Za-z0-9_~-]+)$", "graph/$1"),
        # The ontology's version IRIs and modules are described by its documents.
        ("ontology", r"^ontology(/[A-Za-z0-9._~-]+)*$", "ontology"),
    )
    flags = "[R=303,L,E=NEGOTIATED:1]"
    for kind, pattern, document in paths:
        lines.append(f"# {kind}: named with q=1, then with q above 0, then by a wildcard")
        for refused in (_Q_BELOW_ONE, _Q_ZERO):
            for fmt, media_types in offers.items():
                lines.append(_accept_condition(media_types, refused))
                lines.append(f"RewriteRule {pattern} {base}/{document}.{ld.suffix_of(fmt)} {flags}")
        for fmt, media_types in offers.items():
            wildcards = ["*/*", *sorted({f"{m.partition('/')[0]}/*" for m in media_types})]
            lines.append(_accept_condition(wildcards, _Q_ZERO))
            lines.append(_accept_condition(media_types, _Q_ZERO, negate=True))
            lines.append(f"RewriteRule {pattern} {base}/{document}.{ld.suffix_of(fmt)} {flags}")
        lines.append(_accept_condition(offers["html"], _Q_ZERO, negate=True))
        lines.append(f"RewriteRule {pattern} {base}/{document}.html {flags}")
        lines.append(f"RewriteRule {pattern} - [R=406,L,E=NEGOTIATED:1]")
        lines.append("")
    lines.append(f"RewriteRule ^$ {base}/index.html [R=303,L]")
    return "\n".join(lines) + "\n"
