"""The ontology's documentation page, built by the package from the ontology and its modules.

One page (``templates/ontology.html``), the site's header and stylesheet: the core ontology's
header, its modules (the alignments), then every class, property and named individual, each
under an anchor whose id is the term's local name, so that ``ontology.html#castMemberOf`` lands
on its term. The template escapes every value; links between terms go to their anchors, other
IRIs are linked as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import paths
from ..errors import ExportError
from ..files import write_atomic
from ..vocab import DCTERMS, DKG, GENID, OWL, RDF, RDF_TYPE, RDFS, SCHEMA, SKOS, VANN
from .iris import short

if TYPE_CHECKING:
    from rdflib import Graph

CORE = DKG.rstrip("#")


def build_docs(output: str | Path) -> Path:
    """Write ``index.html`` documenting every class and property into the folder ``output``.

    Returns the page's path."""
    from rdflib import Graph

    ontology = Graph()
    for path in paths.ontology_files():
        ontology.parse(path, format="turtle")
    html = ontology_html(ontology)
    folder = Path(output)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ExportError(f"cannot write {folder}: {err.strerror or err}") from None
    page = folder / "index.html"
    write_atomic(page, html.encode("utf-8"))
    return page


def ontology_html(ontology: Graph) -> str:
    """The documentation page of ``ontology`` (core plus modules) as one HTML string, written to
    sit at the site's root (``ontology.html``)."""
    from .html import render

    doc = _Doc(ontology)
    sections = []
    for section_id, heading, kind in _SECTIONS:
        terms = doc.terms_of(kind)
        if terms:
            sections.append((section_id, heading, [doc.term(term) for term in terms]))
    return render(
        "ontology.html", title="The ontology", depth=0, contents=doc.contents(),
        sections=sections, **doc.header(),
    )  # fmt: skip


#: Section id, heading and the ``rdf:type`` of the terms it lists (ids never clash with a term's
#: local name: those start with a letter and have no hyphen).
_SECTIONS = (
    ("classes", "Classes", f"{OWL}Class"),
    ("object-properties", "Object properties", f"{OWL}ObjectProperty"),
    ("datatype-properties", "Datatype properties", f"{OWL}DatatypeProperty"),
    ("annotation-properties", "Annotation properties", f"{OWL}AnnotationProperty"),
    ("named-individuals", "Named individuals", f"{OWL}NamedIndividual"),
)

#: The header fields, as the ontology states them.
_HEADER = (
    ("IRI", None),
    ("Version", f"{OWL}versionInfo"),
    ("Version IRI", f"{OWL}versionIRI"),
    ("Prior version", f"{OWL}priorVersion"),
    ("Description", f"{DCTERMS}description"),
    ("Licence", f"{DCTERMS}license"),
    ("Creators", f"{DCTERMS}creator"),
    ("Created", f"{DCTERMS}created"),
    ("Modified", f"{DCTERMS}modified"),
    ("Imports", f"{OWL}imports"),
    ("Preferred prefix", f"{VANN}preferredNamespacePrefix"),
    ("Namespace", f"{VANN}preferredNamespaceUri"),
    ("See also", f"{RDFS}seeAlso"),
)

#: The fields of a term: the name shown and the predicate read (``^`` for the inverse direction).
_FIELDS = (
    ("Definition", f"{SKOS}definition"),
    ("Comment", f"{RDFS}comment"),
    ("Scope note", f"{SKOS}scopeNote"),
    ("Type", f"{RDF}type"),
    ("Domain", f"{RDFS}domain"),
    ("Range", f"{RDFS}range"),
    ("Range includes", f"{SCHEMA}rangeIncludes"),
    ("Super-classes", f"{RDFS}subClassOf"),
    ("Sub-classes", f"^{RDFS}subClassOf"),
    ("Super-properties", f"{RDFS}subPropertyOf"),
    ("Sub-properties", f"^{RDFS}subPropertyOf"),
    ("Inverse", f"{OWL}inverseOf"),
    ("Inverse of", f"^{OWL}inverseOf"),
    ("Property chain", f"{OWL}propertyChainAxiom"),
    ("Equivalent", f"{OWL}equivalentClass"),
    ("Equivalent property", f"{OWL}equivalentProperty"),
    ("Exact match", f"{SKOS}exactMatch"),
    ("Close match", f"{SKOS}closeMatch"),
    ("One of", f"{OWL}oneOf"),
    ("Different from", f"{OWL}differentFrom"),
    ("Different from", f"^{OWL}differentFrom"),
    ("Instances", f"^{RDF}type"),
)
#: Types every term of a section has; listing them again under "Type" says nothing.
_PLAIN_TYPES = {kind for _, _, kind in _SECTIONS}


@dataclass(frozen=True)
class Piece:
    """A piece of a value as the page shows it: text, a link (``href``) or code."""

    text: str
    href: str = ""
    code: bool = False


#: A value: its pieces, in order.
Value = list[Piece]
#: A field of a term or header: its name and its values.
Field = tuple[str, list[Value]]


@dataclass(frozen=True)
class TermView:
    """A term of the ontology: its local name (the anchor), its label and its fields."""

    name: str
    label: str
    fields: list[Field]


class _Doc:
    """The ontology graph and the HTML of its parts."""

    def __init__(self, ontology: Graph) -> None:
        from rdflib import URIRef

        self.graph = ontology
        self.uri = URIRef

    def header(self) -> dict[str, Any]:
        """The core ontology's title and header fields, and each module's name and fields."""
        core = self.uri(CORE)
        title = self._text(self.graph.value(core, self.uri(f"{DCTERMS}title"))) or CORE
        modules = sorted(
            (
                node
                for node in self.graph.subjects(self.uri(RDF_TYPE), self.uri(OWL + "Ontology"))
                if node != core
            ),
            key=str,
        )
        shown = []
        for module in modules:
            name = self._text(self.graph.value(module, self.uri(f"{DCTERMS}title")))
            shown.append((name or str(module), self._fields_of_header(module)))
        return {"heading": title, "header": self._fields_of_header(core), "modules": shown}

    def contents(self) -> list[tuple[str, str, list[Value]]]:
        items = []
        for section_id, heading, kind in _SECTIONS:
            terms = self.terms_of(kind)
            if terms:
                items.append((section_id, heading, [self.link(term) for term in terms]))
        return items

    def terms_of(self, kind: str) -> list[Any]:
        """The ontology's own terms of ``kind``; a term of two kinds is listed under the first."""
        earlier = [k for _, _, k in _SECTIONS[: [k for _, _, k in _SECTIONS].index(kind)]]
        return sorted(
            (
                term
                for term in set(self.graph.subjects(self.uri(RDF_TYPE), self.uri(kind)))
                if str(term).startswith(DKG)
                and not any((term, self.uri(RDF_TYPE), self.uri(k)) in self.graph for k in earlier)
            ),
            key=lambda term: str(term).lower(),
        )

    def term(self, term: Any) -> TermView:
        name = str(term)[len(DKG) :]
        label = self._text(self.graph.value(term, self.uri(f"{RDFS}label"))) or name
        fields: list[Field] = [("IRI", [[Piece(str(term), code=True)]])]
        for field, predicate in _FIELDS:
            values = self._values(term, predicate)
            if field == "Type":
                values = [value for value in values if str(value) not in _PLAIN_TYPES]
            if values:
                fields.append((field, [self.show(value) for value in values]))
        disjoint = self._disjoint_with(term)
        if disjoint:
            fields.append(("Disjoint with", [self.link(other) for other in disjoint]))
        return TermView(name, label, fields)

    def show(self, value: Any) -> Value:
        """A value: a term as a link, a literal as text, an RDF list or an inverse as words."""
        from rdflib import BNode, Literal

        if isinstance(value, Literal):
            return [Piece(str(value))]
        if isinstance(value, BNode) or str(value).startswith(GENID):
            items = self._list(value)
            if items is not None:
                out: Value = []
                for number, item in enumerate(items):
                    out += ([Piece(" · ")] if number else []) + self.show(item)
                return out
            inverse = self.graph.value(value, self.uri(f"{OWL}inverseOf"))
            if inverse is not None:
                return [Piece("inverse of "), *self.show(inverse)]
            return [Piece("an anonymous expression")]
        return self.link(value)

    def link(self, iri: Any) -> Value:
        text = str(iri)
        if text.startswith(DKG):
            local = text[len(DKG) :]
            return [Piece(local, f"#{local}")]
        label = self._text(self.graph.value(iri, self.uri(f"{RDFS}label")))
        shown = short(text) + (f" ({label})" if label else "")
        if text.startswith(("http://", "https://")):
            return [Piece(shown, text)]
        return [Piece(shown)]

    def _fields_of_header(self, ontology: Any) -> list[Field]:
        fields: list[Field] = []
        for field, predicate in _HEADER:
            if predicate is None:
                fields.append((field, [[Piece(str(ontology), code=True)]]))
                continue
            values = self._values(ontology, predicate)
            if values:
                fields.append((field, [self.show(value) for value in values]))
        return fields

    def _values(self, subject: Any, predicate: str) -> list[Any]:
        if predicate.startswith("^"):
            found: Iterable[Any] = (  # blank nodes are shown where they are used
                node
                for node in self.graph.subjects(self.uri(predicate[1:]), subject)
                if str(node).startswith(("http://", "https://")) and not str(node).startswith(GENID)
            )
        else:
            found = self.graph.objects(subject, self.uri(predicate))
        return sorted(set(found), key=lambda value: (str(value).lower(), str(value)))

    def _list(self, node: Any) -> list[Any] | None:
        if self.graph.value(node, self.uri(RDF + "first")) is None:
            return None
        items = []
        while node is not None and node != self.uri(RDF + "nil"):
            items.append(self.graph.value(node, self.uri(RDF + "first")))
            node = self.graph.value(node, self.uri(RDF + "rest"))
        return items

    def _disjoint_with(self, term: Any) -> list[Any]:
        others: set[Any] = set()
        for axiom in self.graph.subjects(self.uri(RDF_TYPE), self.uri(OWL + "AllDisjointClasses")):
            members = self._list(self.graph.value(axiom, self.uri(OWL + "members"))) or []
            if term in members:
                others.update(member for member in members if member != term)
        others.update(self.graph.objects(term, self.uri(OWL + "disjointWith")))
        others.update(self.graph.subjects(self.uri(OWL + "disjointWith"), term))
        return sorted(others, key=str)

    @staticmethod
    def _text(value: Any) -> str:
        return "" if value is None else str(value)
