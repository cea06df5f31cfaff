"""The project's IRIs and where their documents live (``resource/NAME.ttl``), the document
formats by suffix and media type, and links from one page to another."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import formats
from ..vocab import DKG, DKGR, GENID, GRAPH_BASE, ONTOLOGY_IRI, PREFIXES

#: A name in an IRI path: letters, digits, ``-``, ``_`` and ``~``. Nothing that can leave the
#: served tree (``..``, ``/``, ``\\``, ``%``, NUL) matches.
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,99}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_~-]{0,199}")
#: The document formats, by suffix: HTML for people, the registry's RDF syntaxes for machines.
DOCUMENT_SUFFIXES: dict[str, str] = {
    "html": "html",
    "ttl": "turtle",
    "nt": "nt",
    "jsonld": "jsonld",
    "rdf": "rdfxml",
    "trig": "trig",
    "nq": "nquads",
}
HTML_TYPE = "text/html"


@dataclass(frozen=True)
class Target:
    """A dereferenceable IRI: its kind (resource, ontology, graph), its IRI and document path."""

    kind: str
    name: str
    iri: str

    @property
    def path(self) -> str:
        """The document path without suffix, relative to the site root (``resource/x``)."""
        return "ontology" if self.kind == "ontology" else f"{self.kind}/{self.name}"

    @property
    def depth(self) -> int:
        return self.path.count("/")


def target(kind: str, name: str = "") -> Target | None:
    """The target of ``/resource/NAME``, ``/graph/NAME`` or ``/ontology``; None if the name is not a
    plain slug (so a path can never leave the served tree)."""
    if kind == "ontology":
        if not name:
            return Target("ontology", "", ONTOLOGY_IRI)
        # A module or version IRI under the ontology's (``/ontology/alignments/wikidata/0.1.0``).
        if all(_SEGMENT.fullmatch(part) for part in name.split("/")):
            return Target("ontology", name, f"{ONTOLOGY_IRI}/{name}")
        return None
    if kind not in ("resource", "graph") or not _NAME.fullmatch(name):
        return None
    base = DKGR if kind == "resource" else GRAPH_BASE
    return Target(kind, name, base + name)


def target_of(iri: str) -> Target | None:
    """The target whose IRI is ``iri``, if the project serves it."""
    if iri == ONTOLOGY_IRI:
        return target("ontology")
    if iri.startswith(ONTOLOGY_IRI + "/"):
        return target("ontology", iri[len(ONTOLOGY_IRI) + 1 :])
    for kind, base in (("resource", DKGR), ("graph", GRAPH_BASE)):
        if iri.startswith(base):
            return target(kind, iri[len(base) :])
    return None


def split_suffix(name: str) -> tuple[str, str | None]:
    """``charlie-cox.ttl`` -> (``charlie-cox``, ``turtle``); a name without a known suffix as is."""
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix in DOCUMENT_SUFFIXES:
        return stem, DOCUMENT_SUFFIXES[suffix]
    return name, None


def suffix_of(fmt: str) -> str:
    return next(suffix for suffix, name in DOCUMENT_SUFFIXES.items() if name == fmt)


def media_type_of(fmt: str) -> str:
    return HTML_TYPE if fmt == "html" else formats.get(fmt).media_type


def offered() -> dict[str, str]:
    """Media types the documents come in, mapped to format names; HTML first (the default)."""
    offers = {HTML_TYPE: "html", "application/xhtml+xml": "html"}
    for fmt in DOCUMENT_SUFFIXES.values():
        if fmt != "html":
            offers.update(dict.fromkeys(formats.get(fmt).media_types, fmt))
    return offers


def href(iri: str, root: str) -> str | None:
    """Where a link to ``iri`` goes: the project's own pages relative to ``root``, other IRIs
    as they are, skolem IRIs (blank nodes) nowhere."""
    if iri.startswith(GENID):
        return None
    if iri.startswith(DKG):
        return f"{root}ontology.html#{iri[len(DKG) :]}"
    document, hash_mark, fragment = iri.partition("#")
    if hash_mark and document.startswith(DKGR) and target_of(document) is not None:
        # A span (``source-document#char=55,63``) or a wording: a fragment of its document's page.
        return f"{href(document, root)}#{fragment}"
    found = target_of(iri)
    if found is not None:
        return f"{root}{found.path}.html"
    if iri.startswith(("http://", "https://")):
        return iri
    return None


def short(iri: str) -> str:
    """An IRI as a prefixed name when one of the project's prefixes covers it."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri
