"""The encoded document: offsets, evidence coverage, names, statement groups."""

from __future__ import annotations

import re
import unicodedata

import pytest
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef

from defenders_kg import KnowledgeGraph, paths
from defenders_kg.load import embedded_sources

NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
DKG = Namespace("https://w3id.org/defenders-kg/ontology#")
DKGR = Namespace("https://w3id.org/defenders-kg/resource/")
TEXT = paths.source_text_file().read_text(encoding="utf-8")
NAMED_ENTITY_CLASSES = (
    "Person",
    "Organization",
    "CreativeWork",
    "WorkCollection",
    "FictionalCharacter",
    "FictionalGroup",
    "FictionalUniverse",
    "Franchise",
    "Place",
    "AgentGroup",
)


@pytest.fixture(scope="module")
def document() -> Graph:
    return Graph().parse(paths.document_file(), format="turtle")


def test_document_holds_the_full_text(document: Graph) -> None:
    assert str(document.value(DKGR["source-document"], NIF.isString)) == TEXT
    assert int(document.value(DKGR["source-document"], NIF.endIndex)) == len(TEXT)


def test_twelve_sentences_whose_offsets_slice_the_text_exactly(document: Graph) -> None:
    sentences = sorted(
        document.subjects(RDF.type, NIF.Sentence),
        key=lambda s: int(document.value(s, DKG.sentenceNumber)),
    )
    assert len(sentences) == 12
    previous_end = 0
    for number, sentence in enumerate(sentences, 1):
        begin = int(document.value(sentence, NIF.beginIndex))
        end = int(document.value(sentence, NIF.endIndex))
        anchor = str(document.value(sentence, NIF.anchorOf))
        assert TEXT[begin:end] == anchor, f"sentence {number}"
        assert TEXT[previous_end:begin].strip() == "", f"text lost before sentence {number}"
        previous_end = end
    assert previous_end == len(TEXT)
    # The offsets count code points: three accented letters come before sentence 6.
    assert any(ord(c) > 127 for c in TEXT[: int(document.value(sentences[5], NIF.beginIndex))])


def test_every_statement_file_has_a_group_description_and_back(document: Graph) -> None:
    files = {source.graph for source in embedded_sources() if "/resource/" in str(source.graph)}
    described = {str(g) for g in document.subjects(RDF.type, DKG.StatementGroup)}
    assert len(files) >= 12
    assert files == described
    for group in described:
        kind = document.value(URIRef(group), DKG.support)
        assert kind == (DKG.Explicit if group.endswith("-stated") else DKG.Implicit), group


def test_all_literals_are_nfc(kg: KnowledgeGraph) -> None:
    literals = [
        o for _, _, o, _ in kg.asserted().quads((None, None, None, None)) if isinstance(o, Literal)
    ]
    assert literals
    for literal in literals:
        assert unicodedata.is_normalized("NFC", str(literal)), literal


def _normalizations() -> dict[str, str]:
    readme = (paths.data_root() / "graph" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Names\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|$", section, flags=re.MULTILINE)
    return {label: words for label, words in rows if label != "label" and not label.startswith("-")}


def test_every_entity_name_occurs_in_the_text(closure: Graph) -> None:
    normalizations = _normalizations()
    assert "United States" in normalizations
    for words in normalizations.values():
        assert words in TEXT, f"normalization source {words!r} is not in the text"
    checked = 0
    for class_name in NAMED_ENTITY_CLASSES:
        for entity in set(closure.subjects(RDF.type, DKG[class_name])):
            for label in closure.objects(entity, RDFS.label):
                checked += 1
                name = str(label)
                assert name in TEXT or name in normalizations, (
                    f"{entity}: {name!r} is not in the text"
                )
    assert checked >= 40


def test_the_text_keeps_its_non_ascii_names() -> None:
    for name in ("Ramón Rodríguez", "Élodie Yung"):
        assert name in TEXT


# -- spans: the words behind each fact ---------------------------------------------------------


@pytest.fixture(scope="module")
def spans() -> Graph:
    graph = Graph()
    files = paths.span_files()
    assert [f.name for f in files] == [f.name for f in paths.statement_files()]
    for path in files:
        graph.parse(path, format="turtle")
    return graph


def span_errors(spans: Graph, document: Graph) -> list[str]:
    """What is wrong with the spans: words that are not the text at their offsets, or a span
    outside the sentence that it names or that its wording's statement group names."""
    errors = []
    for span in spans.subjects(RDF.type, NIF.Phrase):
        begin, end = int(spans.value(span, NIF.beginIndex)), int(spans.value(span, NIF.endIndex))
        if TEXT[begin:end] != str(spans.value(span, NIF.anchorOf)):
            errors.append(f"{span}: the text at {begin}-{end} is {TEXT[begin:end]!r}")
        if str(span) != f"{DKGR['source-document']}#char={begin},{end}":
            errors.append(f"{span}: its name does not give its offsets")
        sentences = {spans.value(span, NIF.sentence)} | {
            document.value(spans.value(wording, DKG.inStatementGroup), DKG.evidence)
            for wording in spans.subjects(DKG.span, span)
        }
        for sentence in sentences:
            low, high = (
                document.value(sentence, NIF.beginIndex),
                document.value(sentence, NIF.endIndex),
            )
            if low is None or not int(low) <= begin < end <= int(high):
                errors.append(f"{span}: outside {sentence}")
    return errors


def test_every_span_gives_its_words_inside_its_sentence(spans: Graph, document: Graph) -> None:
    assert len(set(spans.subjects(RDF.type, NIF.Phrase))) == 189
    assert span_errors(spans, document) == []


def test_a_span_whose_offsets_miss_its_words_is_found(spans: Graph, document: Graph) -> None:
    tampered = Graph()
    for triple in spans:
        tampered.add(triple)
    american = URIRef(f"{DKGR['source-document']}#char=55,63")
    assert str(tampered.value(american, NIF.anchorOf)) == "American"
    tampered.set((american, NIF.anchorOf, Literal("America")))
    tampered.set((american, NIF.sentence, DKGR["sentence-02"]))
    errors = span_errors(tampered, document)
    assert any("'American'" in e for e in errors) and any("sentence-02" in e for e in errors)


def test_each_wording_names_one_triple_of_its_group(spans: Graph) -> None:
    """A wording for every triple, and none for a triple its group does not hold."""
    worded = {
        (spans.value(w, DKG.inStatementGroup), spans.value(w, DKG.factSubject),
         spans.value(w, DKG.factPredicate), spans.value(w, DKG.factObject))
        for w in spans.subjects(RDF.type, DKG.Wording)
    }  # fmt: skip
    held = {
        (DKGR[path.stem], s, p, o)
        for path in paths.statement_files()
        for s, p, o in Graph().parse(path, format="turtle")
    }
    assert len(held) == 464
    assert worded == held


def test_no_span_file_repeats_what_another_says() -> None:
    """The span files share one graph (the document's): a triple in two of them would be two
    lines of the exact N-Quads text and one statement in a store."""
    seen: set[tuple[object, ...]] = set()
    total = 0
    for path in paths.span_files():
        triples = set(Graph().parse(path, format="turtle"))
        total += len(triples)
        seen |= triples
    assert total == len(seen) > 4000


def test_netflix_is_a_streaming_service_only_as_sentence_10_implies() -> None:
    """Sentence 1 says the series was made "for Netflix"; only "released on Netflix" (sentence
    10) makes it a streaming service, and only by implication."""
    groups = {path.stem: Graph().parse(path) for path in paths.statement_files()}
    streaming = (DKGR.netflix, RDF.type, DKG.StreamingService)
    assert [name for name, graph in groups.items() if streaming in graph] == ["s10-implied"]
    assert (DKGR.netflix, RDF.type, DKG.Organization) in groups["s01-stated"]


def test_a_replaced_iri_still_says_what_replaced_it(document: Graph) -> None:
    old, new = DKGR["third-party-analysts"], DKGR["third-party-analysis"]
    assert document.value(old, URIRef("http://purl.org/dc/terms/isReplacedBy")) == new
    stated = Graph().parse(paths.statement_files()[-1])  # s12-stated
    assert (new, RDF.type, DKG.AnalysisReport) in stated
    assert not any(old in triple for triple in stated)
