"""The HTML pages of the IRIs: an entity's facts with the words behind each, the paragraph
sentence by sentence, a graph's triples. The rows become small values here; the templates in
``templates/`` lay them out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox

from ..terms import sparql_term
from ..vocab import DKG, DOCUMENT_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH, PREFIXES, RDF_TYPE
from .html import Piece, Shown, highlight, link, render, shown
from .iris import Target, href, short
from .lookup import Row, Runner, Term, label_contexts, paragraph_query, select, value

_LABEL = PREFIXES["rdfs"] + "label"
_SUPPORT = {DKG + "Explicit": "stated", DKG + "Implicit": "implied"}
_NIF_CONTEXT = PREFIXES["nif"] + "Context"
_KIND_TEXT = {
    "stated": "stated by",
    "implied": "implied by",
    "inferred": "inferred",
    "ontology": "from the ontology",
    "document": "from the document's structure",
    "asserted": "asserted (your data)",
}
#: The most triples a graph's page shows; its RDF documents hold them all. The document graph,
#: with the spans of every fact, has over 4,000: as one HTML table (2 MB) no one reads it, and a
#: browser's accessibility check alone took over a minute.
GRAPH_PAGE_ROWS = 1000


def page_of(runner: Runner, where: Target, rows: list[Row], query_page: str | None) -> str:
    """The page of a target from the rows of its description."""
    contexts = label_contexts(runner)
    if where.kind != "resource":
        return graph_page(where, rows, contexts)
    # The wordings' triples show as marks in the quotes, not as facts.
    rows = [row for row in rows if value(row, "dir") != "wording"]
    kinds = {row["other"].value for row in rows if row["p"].value == RDF_TYPE}
    if _NIF_CONTEXT in kinds:
        paragraph = select(runner, paragraph_query(sparql_term(where.iri)))
        return paragraph_page(where, rows, paragraph, contexts)
    return entity_page(where, rows, query_page, contexts)


def not_found_page(where: Target, message: str) -> str:
    return render("not_found.html", title="Not found", depth=where.depth, message=message)


def spans_of(row: Mapping[str, Term]) -> list[tuple[int, int]]:
    """The spans of a row's ``spans`` column ("begin-end" pairs), in text order."""
    pairs = value(row, "spans").split()
    return sorted((int(b), int(e)) for b, _, e in (pair.partition("-") for pair in pairs))


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence behind a fact: its kind, and for a sentence, the sentence with the
    fact's words marked (``pieces``)."""

    kind: str  # stated, implied, inferred, ontology, document, asserted
    sentence: str = ""
    number: int = 0
    pieces: list[Piece] | None = None
    wording: str = ""
    sentence_href: str = ""

    @property
    def kind_text(self) -> str:
        return _KIND_TEXT[self.kind]


@dataclass
class Fact:
    """A value of a property, with the evidence behind it; ``anchor`` is the id of its item."""

    value: Shown
    sort_key: str
    anchor: str = ""
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Group:
    """The facts of one property: its heading (a link, and the word after it)."""

    heading: Shown
    after: str
    facts: list[Fact]


def _kind(row: Mapping[str, Term]) -> str:
    graph = row["g"].value
    if graph == INFERRED_GRAPH:
        return "inferred"
    if graph == ONTOLOGY_GRAPH:
        return "ontology"
    if graph == DOCUMENT_GRAPH:
        return "document"
    return _SUPPORT.get(value(row, "support"), "asserted")


def _label_of(rows: list[Row]) -> str | None:
    for row in rows:
        if value(row, "dir") == "out" and row["p"].value == _LABEL:
            return row["other"].value
    return None


#: Resources that share a label, each with the words that tell it apart (``label_contexts``).
Contexts = Mapping[str, str]


def entity_page(
    where: Target, rows: list[Row], query_page: str | None, contexts: Contexts | None = None
) -> str:
    """The HTML page of a resource: label, types, facts by property (outgoing, then incoming),
    each asserted fact with its sentence quoted and the words that state it marked. A label
    that other resources share is followed by what tells this one apart."""
    contexts = contexts or {}
    label = _label_of(rows) or where.name
    context = contexts.get(where.iri, "")
    root = "../" * where.depth
    types = sorted(
        {
            (value(row, "olabel") or short(row["other"].value), row["other"].value)
            for row in rows
            if value(row, "dir") == "out" and row["p"].value == RDF_TYPE
            and _kind(row) != "inferred"
        }
    )  # fmt: skip
    describe = None
    if query_page is not None:
        describe = f"{root}{query_page}?query=" + quote(
            f"DESCRIBE {sparql_term(where.iri)}", safe=""
        )
    asserted = [row for row in rows if _kind(row) != "inferred"]
    inferred = [row for row in rows if _kind(row) == "inferred"]
    sections = []
    for direction, title in (
        ("out", f"Facts about {label}"),
        ("in", f"Facts that point to {label}"),
    ):
        part = [row for row in asserted if value(row, "dir") == direction]
        if part:
            sections.append((title, _fact_groups(part, direction, root, contexts, iri=where.iri)))
    inferred_sections = []
    for direction, heading in (("out", "About it"), ("in", "Pointing to it")):
        part = [row for row in inferred if value(row, "dir") == direction]
        if part:
            inferred_sections.append((heading, _fact_groups(part, direction, root, contexts)))
    return render(
        "entity.html", title=f"{label} ({context})" if context else label, depth=where.depth,
        alternates=("ttl", "jsonld"), name=where.name, label=label, context=context, iri=where.iri,
        types=[link(iri, text, root) for text, iri in types], describe_href=describe,
        sections=sections, inferred_count=len(inferred), inferred=inferred_sections,
    )  # fmt: skip


_PREPOSITIONS = frozenset({"about", "after", "at", "by", "for", "from", "in", "of", "on", "with"})
_VERBS = frozenset({"concerns", "portrays"})


def incoming_wording(label: str) -> tuple[str, str]:
    """How a property without a labelled inverse reads from its object's side, as the words of
    its label to show and the word that follows them: "has member" reads
    "member of", a noun "actor" reads "actor of", and a phrase with a preposition or a verb
    ("based on", "named after", "part of collection", "concerns") reads "based on this"."""
    words = label.split()
    if len(words) > 1 and words[0].lower() == "has":
        return " ".join(words[1:]), " of"
    if _PREPOSITIONS & {w.lower() for w in words} or label.lower() in _VERBS:
        return label, " this"
    return label, " of"


def _fact_groups(
    rows: list[Row], direction: str, root: str, contexts: Contexts, *, iri: str = ""
) -> list[Group]:
    """Facts grouped by property, each value once with every piece of evidence behind it.

    A value that is a fragment of the page's own IRI (a wording of a statement group) gets its
    fragment as the id of its item, so that links to it land there.
    """
    groups: dict[str, dict[Term, Fact]] = defaultdict(dict)
    plabels: dict[str, str] = {}
    inverses: dict[str, tuple[str, str]] = {}
    for row in rows:
        prop = row["p"].value
        plabels[prop] = value(row, "plabel", short(prop))
        if "inverse" in row and "ilabel" in row:
            inverses[prop] = (row["inverse"].value, row["ilabel"].value)
        other = row["other"]
        fact = groups[prop].get(other)
        if fact is None:
            olabel = row.get("olabel")
            document, hash_mark, fragment = other.value.partition("#")
            anchor = fragment if hash_mark and iri and document == iri else ""
            sort_key = olabel.value if olabel is not None else other.value
            fact = Fact(_value_shown(other, olabel, root, contexts), sort_key, anchor)
            groups[prop][other] = fact
        fact.evidence.append(_evidence(row, root))
    out = []
    for prop in sorted(groups, key=lambda p: (plabels[p].lower(), p)):
        after = ""
        if direction == "out":
            heading = link(prop, plabels[prop], root)
        elif prop in inverses:
            heading = link(*inverses[prop], root)
        else:
            words, after = incoming_wording(plabels[prop])
            heading = link(prop, words, root)
        facts = sorted(groups[prop].values(), key=lambda f: f.sort_key)
        for fact in facts:
            fact.evidence = _distinct(fact.evidence)
        out.append(Group(heading, after, facts))
    return out


def _shown(term: Term | None, label: Term | None, root: str, contexts: Contexts) -> Shown | None:
    context = contexts.get(term.value, "") if isinstance(term, ox.NamedNode) else ""
    return shown(term, label, root, context)


def _value_shown(term: Term, label: Term | None, root: str, contexts: Contexts) -> Shown:
    found = _shown(term, label, root, contexts)
    assert found is not None
    return found


def _evidence(row: Mapping[str, Term], root: str) -> Evidence:
    kind = _kind(row)
    if "sentence" not in row:
        return Evidence(kind)
    number = int(row["num"].value)
    pieces = highlight(row["text"].value, int(row["begin"].value), spans_of(row))
    sentence_href = f"{root}resource/source-document.html#sentence-{number:02d}"
    return Evidence(kind, row["sentence"].value, number, pieces, value(row, "wording"),
                    sentence_href)  # fmt: skip


def _distinct(evidence: list[Evidence]) -> list[Evidence]:
    """The evidence in sentence order, each kind and sentence once."""
    out, seen = [], set()
    for item in sorted(evidence, key=lambda e: (e.number, e.kind)):
        if (item.kind, item.sentence) not in seen:
            seen.add((item.kind, item.sentence))
            out.append(item)
    return out


@dataclass(frozen=True)
class Triple:
    """A triple as a page shows it."""

    subject: Shown | None
    predicate: Shown | None
    object: Shown | None


def _triple(row: Mapping[str, Term], root: str, contexts: Contexts) -> Triple:
    return Triple(
        *(_shown(row.get(name), row.get(name + "label"), root, contexts) for name in "spo")
    )


def graph_page(where: Target, rows: list[Row], contexts: Contexts | None = None) -> str:
    """A named graph as a table of its triples (at most ``GRAPH_PAGE_ROWS``)."""
    title = "The ontology" if where.kind == "ontology" else f"Graph {where.name}"
    stem = where.path.rpartition("/")[2]
    root = "../" * where.depth
    shown_rows = rows[:GRAPH_PAGE_ROWS]
    return render(
        "graph.html", title=title, depth=where.depth, alternates=("ttl", "jsonld"), name=stem,
        iri=where.iri, stem=stem, total=len(rows), shown_count=len(shown_rows),
        triples=[_triple(row, root, contexts or {}) for row in shown_rows],
    )  # fmt: skip


@dataclass(frozen=True)
class Stated:
    """A fact of a sentence: the triple, its wording and the words of its spans."""

    triple: Triple
    wording: str
    words: str


@dataclass(frozen=True)
class Span:
    """A recorded span of a sentence, and the facts it states."""

    begin: int
    end: int
    words: str
    triples: list[Triple]


@dataclass(frozen=True)
class Sentence:
    """A sentence of the paragraph, its spans marked, and its facts by support."""

    number: int
    href: str
    pieces: list[Piece]
    groups: list[tuple[str, str, list[Stated]]]
    spans: list[Span]


def paragraph_page(
    where: Target, rows: list[Row], sentences: list[Row], contexts: Contexts | None = None
) -> str:
    """The source paragraph: each sentence, and under it the facts it states and implies."""
    contexts = contexts or {}
    label = _label_of(rows) or where.name
    root = "../" * where.depth
    by_sentence: dict[str, list[Row]] = defaultdict(list)
    for row in sentences:
        by_sentence[row["sentence"].value].append(row)
    shown_sentences = []
    for iri, part in sorted(by_sentence.items(), key=lambda item: int(item[1][0]["num"].value)):
        head = part[0]
        begin, text = int(head["begin"].value), head["text"].value
        facts = [row for row in part if "s" in row]
        stating: dict[tuple[int, int], list[Triple]] = defaultdict(list)
        for row in facts:
            for span in spans_of(row):
                stating[span].append(_triple(row, root, contexts))
        groups = []
        for support, title in (("stated", "States"), ("implied", "Implies")):
            chosen = [row for row in facts if _SUPPORT.get(value(row, "support")) == support]
            if chosen:
                stated = [
                    Stated(_triple(row, root, contexts), value(row, "wording"),
                           " … ".join(text[b - begin : e - begin] for b, e in spans_of(row)))
                    for row in chosen
                ]  # fmt: skip
                groups.append((support, title, stated))
        spans = [Span(b, e, text[b - begin : e - begin], triples)
                 for (b, e), triples in sorted(stating.items())]  # fmt: skip
        shown_sentences.append(
            Sentence(int(head["num"].value), href(iri, root) or "#",
                     highlight(text, begin, stating), groups, spans)
        )  # fmt: skip
    return render(
        "paragraph.html", title=label, depth=where.depth, alternates=("ttl", "jsonld"),
        name=where.name, label=label, iri=where.iri, sentences=shown_sentences,
    )  # fmt: skip
