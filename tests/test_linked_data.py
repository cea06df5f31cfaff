"""Dereferenceable IRIs: 303 content negotiation, descriptions, entity and paragraph pages."""

from __future__ import annotations

import html
import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from defenders_kg import KnowledgeGraph
from defenders_kg.terms import sparql_term
from defenders_kg.vocab import DKG, DKGR, INFERRED_GRAPH, ONTOLOGY_IRI, SITE
from defenders_kg.web import site
from defenders_kg.web.documents import render
from defenders_kg.web.iris import split_suffix, target
from defenders_kg.web.lookup import StoreRunner
from defenders_kg.web.pages import GRAPH_PAGE_ROWS, incoming_wording

ROOT = Path(__file__).resolve().parent.parent
SOURCE = (ROOT / "graph" / "source" / "the-defenders.txt").read_text(encoding="utf-8")
CHARLIE = DKGR + "charlie-cox"
RDF_TYPES = {
    "text/turtle": "charlie-cox.ttl",
    "application/n-triples": "charlie-cox.nt",
    "application/ld+json": "charlie-cox.jsonld",
    "application/rdf+xml": "charlie-cox.rdf",
    "application/trig": "charlie-cox.trig",
    "application/n-quads": "charlie-cox.nq",
}


@pytest.fixture(scope="module")
def runner(kg: KnowledgeGraph) -> StoreRunner:
    return StoreRunner(kg.store(inference=True))


def fetch(url: str, accept: str = "", **headers: str) -> tuple[int, dict[str, str], bytes]:
    """GET without following redirects: status, headers (lower-case names), body."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    path = parts.path + ("?" + parts.query if parts.query else "")
    connection.request("GET", path, headers={"Accept": accept, **headers} if accept else headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


# -- names and paths -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["..", "../etc", "a/b", "a%2Fb", "a\\b", "a\x00b", ".hidden", "", "a b", "x.ttl"]
)
def test_a_name_that_could_leave_the_served_tree_is_no_target(name: str) -> None:
    assert target("resource", name) is None
    assert target("graph", name) is None


def test_a_plain_slug_names_its_iri() -> None:
    where = target("resource", "charlie-cox")
    assert where is not None and where.iri == CHARLIE and where.path == "resource/charlie-cox"
    assert split_suffix("charlie-cox.ttl") == ("charlie-cox", "turtle")
    assert split_suffix("charlie-cox") == ("charlie-cox", None)


# -- the endpoint: 303, documents, 404, headers ----------------------------------------------------


@pytest.mark.parametrize(("accept", "location"), [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "charlie-cox.html"),
    ("", "charlie-cox.html"),
    *RDF_TYPES.items(),
    ("text/turtle;q=0.5, application/ld+json", "charlie-cox.jsonld"),
])  # fmt: skip
def test_the_iri_answers_303_to_the_document_the_accept_header_prefers(
    endpoint: str, accept: str, location: str
) -> None:
    status, headers, _ = fetch(f"{endpoint}/resource/charlie-cox", accept)
    assert status == 303
    assert headers["location"] == location
    assert "Accept" in headers["vary"]


def test_an_accept_header_nothing_fits_gets_406(endpoint: str) -> None:
    status, _, body = fetch(f"{endpoint}/resource/charlie-cox", "image/png")
    assert status == 406
    assert b"text/turtle" in body


def test_the_turtle_description_holds_asserted_then_inferred_triples(endpoint: str) -> None:
    status, headers, body = fetch(f"{endpoint}/resource/charlie-cox.ttl")
    assert status == 200
    assert headers["content-type"].startswith("text/turtle")
    assert headers["etag"].startswith('"') and "max-age" in headers["cache-control"]
    assert "Accept" in headers["vary"]
    text = body.decode()
    triples = {str(t) for t in ox.parse(body, format=ox.RdfFormat.TURTLE)}
    asserted = f"<{DKGR}credit-charlie-cox> <{DKG}actor> <{CHARLIE}>"
    inferred = f"<{CHARLIE}> <{DKG}portrays> <{DKGR}matt-murdock>"
    assert asserted in triples and inferred in triples  # as object, and as subject
    head, _, tail = text.partition("# Inferred by OWL-RL")
    assert "dkgr:credit-charlie-cox dkg:actor dkgr:charlie-cox" in head
    assert "dkg:portrays dkgr:matt-murdock" in tail and "portrays" not in head


def test_an_unchanged_document_answers_304(endpoint: str) -> None:
    _, headers, _ = fetch(f"{endpoint}/resource/charlie-cox.ttl")
    status, _, body = fetch(
        f"{endpoint}/resource/charlie-cox.ttl", **{"If-None-Match": headers["etag"]}
    )
    assert status == 304 and body == b""


def test_trig_keeps_each_triple_in_the_graph_of_its_sentence_or_the_closure(endpoint: str) -> None:
    _, _, body = fetch(f"{endpoint}/resource/charlie-cox.trig")
    graphs = {str(q.graph_name) for q in ox.parse(body, format=ox.RdfFormat.TRIG)}
    assert {f"<{DKGR}s04-stated>", f"<{DKGR}s06-stated>", f"<{INFERRED_GRAPH}>"} <= graphs


def test_json_ld_is_compacted_with_the_context_and_is_a_graph(endpoint: str) -> None:
    status, headers, body = fetch(f"{endpoint}/resource/charlie-cox.jsonld")
    assert status == 200 and headers["content-type"].startswith("application/ld+json")
    document = json.loads(body)
    assert document["@context"]["actor"] == {"@id": "dkg:actor", "@type": "@id"}
    text = json.dumps(document)
    assert '"actor": "dkgr:charlie-cox"' in text
    _, _, turtle = fetch(f"{endpoint}/resource/charlie-cox.ttl")
    expected = {q.triple for q in ox.parse(turtle, format=ox.RdfFormat.TURTLE)}
    # A graph reader sees every triple: none is hidden in a named graph.
    quads = set(ox.parse(body, format=ox.RdfFormat.JSON_LD))
    assert {q.triple for q in quads} == expected
    assert all(isinstance(q.graph_name, ox.DefaultGraph) for q in quads)
    assert len(rdflib.Graph().parse(data=body, format="json-ld")) == len(expected)


def test_rdf_xml_and_n_triples_hold_the_same_triples_as_turtle(endpoint: str) -> None:
    _, _, turtle = fetch(f"{endpoint}/resource/charlie-cox.ttl")
    expected = set(ox.parse(turtle, format=ox.RdfFormat.TURTLE))
    _, _, xml = fetch(f"{endpoint}/resource/charlie-cox.rdf")
    _, _, nt = fetch(f"{endpoint}/resource/charlie-cox.nt")
    assert set(ox.parse(xml, format=ox.RdfFormat.RDF_XML)) == expected
    assert set(ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)) == expected
    assert b"<!-- Inferred by OWL-RL" in xml


@pytest.mark.parametrize(("accept", "parse"), [
    ("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", ox.RdfFormat.JSON_LD), ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("text/html", None),
])  # fmt: skip
def test_an_unknown_name_is_404_in_the_format_asked_for(
    endpoint: str, accept: str, parse: ox.RdfFormat | None
) -> None:
    status, headers, body = fetch(f"{endpoint}/resource/nobody-at-all", accept)
    assert status == 404
    assert headers["content-type"].startswith(accept)
    if parse is None:
        assert b"<h1>Not found</h1>" in body
    else:
        assert list(ox.parse(body, format=parse)) == []


@pytest.mark.parametrize("path", [
    "/resource/..%2F..%2Fpyproject.toml", "/resource/..%2Fgraph%2Fdocument.ttl",
    "/resource/%2E%2E", "/resource/a%5C..%5Cb", "/resource/a%00b", "/graph/..%2F..%2Fetc",
    "/resource/../../pyproject.toml", "/resource/charlie-cox/..", "/ontology.toml",
])  # fmt: skip
def test_a_path_that_tries_to_leave_the_served_tree_serves_nothing(
    endpoint: str, path: str
) -> None:
    status, _, body = fetch(f"{endpoint}{path}", "text/turtle")
    assert status == 404
    assert b"[project]" not in body and b"@prefix" not in body


def test_the_ontology_iri_serves_the_documentation_page_with_the_core_header(endpoint: str) -> None:
    status, headers, _ = fetch(f"{endpoint}/ontology", "text/html")
    assert status == 303 and headers["location"] == "ontology.html"
    status, _, body = fetch(f"{endpoint}/ontology.html")
    page = body.decode()
    assert status == 200
    assert "<h1>Defenders KG ontology</h1>" in page
    assert page.count("Defenders KG alignment to schema.org and Wikidata") == 1
    assert '<section id="modules">' in page
    status, _, turtle = fetch(f"{endpoint}/ontology.ttl")
    assert status == 200
    header = ox.Triple(
        ox.NamedNode(DKG.rstrip("#")),
        ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        ox.NamedNode("http://www.w3.org/2002/07/owl#Ontology"),
    )
    assert header in {quad.triple for quad in ox.parse(turtle, format=ox.RdfFormat.TURTLE)}


def test_a_named_graph_iri_serves_its_triples(endpoint: str) -> None:
    status, headers, _ = fetch(f"{endpoint}/graph/document", "text/turtle")
    assert status == 303 and headers["location"] == "document.ttl"
    status, _, body = fetch(f"{endpoint}/graph/document.ttl")
    assert status == 200
    assert len(list(ox.parse(body, format=ox.RdfFormat.TURTLE))) > 100


def test_the_sparql_endpoint_keeps_its_rules(endpoint: str) -> None:
    query = urllib.parse.quote("SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }")
    try:
        urllib.request.urlopen(f"{endpoint}/sparql?query={query}", timeout=30)
        raise AssertionError("SERVICE was accepted")
    except urllib.error.HTTPError as err:
        assert err.code == 400


# -- pages -----------------------------------------------------------------------------------------


def _marks(page: str) -> list[tuple[int, int, str]]:
    return [
        (int(b), int(e), html.unescape(text))
        for b, e, text in re.findall(
            r'<mark data-begin="(\d+)" data-end="(\d+)">([^<]*)</mark>', page
        )
    ]


def test_the_entity_page_quotes_the_sentence_and_marks_the_words(runner: StoreRunner) -> None:
    where = target("resource", "charlie-cox")
    assert where is not None
    page = render(runner, where, "html", query_page="").body.decode()
    assert "<h1>Charlie Cox</h1>" in page
    assert '<a href="../ontology.html#Person"' in page  # the type, linked to the class page
    marks = _marks(page)
    assert (657, 668, "Charlie Cox") in marks  # sentence 4, at its offsets in the paragraph
    assert (1152, 1155, "Cox") in marks  # sentence 6 says only "Cox"
    for begin, end, text in marks:
        assert SOURCE[begin:end] == text
    assert 'href="../resource/credit-charlie-cox.html"' in page  # an incoming fact, linked
    assert 'href="charlie-cox.ttl"' in page and 'href="charlie-cox.jsonld"' in page
    describe = urllib.parse.quote(f"DESCRIBE <{CHARLIE}>", safe="")
    assert f'href="../?query={describe}"' in page


def test_inferred_facts_are_marked_and_collapsed(runner: StoreRunner) -> None:
    where = target("resource", "charlie-cox")
    assert where is not None
    page = render(runner, where, "html").body.decode()
    asserted, _, inferred = page.partition('<section class="inferred">')
    assert "<details>" in inferred and "<details open" not in inferred
    assert "portrays" in inferred and "portrays" not in asserted
    assert 'class="badge inferred"' in inferred


def test_an_implied_fact_is_marked_implied_with_its_sentence(runner: StoreRunner) -> None:
    where = target("resource", "credit-sigourney-weaver")
    assert where is not None
    page = render(runner, where, "html").body.decode()
    item = page[page.index('title="https://w3id.org/defenders-kg/ontology#NewCast"') :]
    item = item[: item.index("</li>")]
    assert 'class="badge implied"' in item and "sentence 5</a>" in item
    assert ">all also returning from previous series</mark>" in item  # the words it rests on
    assert ">as well as Sigourney Weaver</mark>" in item


def test_the_paragraph_page_lists_each_sentence_with_its_facts(runner: StoreRunner) -> None:
    where = target("resource", "source-document")
    assert where is not None
    page = render(runner, where, "html").body.decode()
    sections = re.findall(r'<section class="sentence" id="sentence-(\d\d)"', page)
    assert sections == [f"{n:02d}" for n in range(1, 13)]
    four = page[page.index('id="sentence-04"') : page.index('id="sentence-05"')]
    assert "States (" in four and "Implies (" in four
    assert 'href="../resource/credit-charlie-cox.html"' in four
    for begin, end, text in _marks(page):
        assert SOURCE[begin:end] == text


def _recorded_spans() -> dict[str, list[tuple[int, int]]]:
    """Each wording's spans, read from graph/spans/ without the package."""
    graph = rdflib.Graph()
    for path in sorted((ROOT / "graph" / "spans").glob("*.ttl")):
        graph.parse(path, format="turtle")
    assert len(graph) > 4000
    span = rdflib.URIRef(DKG + "span")
    nif = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"
    recorded: dict[str, list[tuple[int, int]]] = {}
    for wording, phrase in graph.subject_objects(span):
        begin = int(graph.value(phrase, rdflib.URIRef(nif + "beginIndex")))
        end = int(graph.value(phrase, rdflib.URIRef(nif + "endIndex")))
        recorded.setdefault(str(wording), []).append((begin, end))
    return recorded


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(spans):
        if merged and begin < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((begin, end))
    return merged


def marks_beyond_the_spans(page: str, recorded: dict[str, list[tuple[int, int]]]) -> list[str]:
    """Every quote of a fact whose marks are not exactly the spans recorded for that fact."""
    wrong = []
    figures = re.findall(r'<figure class="evidence (\w+)"( data-wording="([^"]*)")?>(.*?)</figure>',
                         page)  # fmt: skip
    for kind, _, wording, body in figures:
        marks = [(b, e) for b, e, _ in _marks(body)]
        expected = _merged(recorded.get(html.unescape(wording), [])) if wording else []
        if marks != expected or (kind in ("stated", "implied") and not marks):
            wrong.append(f"{kind} {wording or '(no wording)'}: marks {marks}, spans {expected}")
    return wrong


def test_every_entity_page_marks_exactly_the_spans_of_each_fact(runner: StoreRunner) -> None:
    recorded = _recorded_spans()
    pages = 0
    for where in site.targets(runner):
        if where.kind != "resource" or where.name == "source-document":
            continue
        page = render(runner, where, "html").body.decode()
        assert marks_beyond_the_spans(page, recorded) == [], where.name
        pages += 1
    assert pages == 131


def test_a_mark_that_no_span_of_its_fact_holds_is_found(runner: StoreRunner) -> None:
    where = target("resource", "the-defenders")
    assert where is not None
    page = render(runner, where, "html").body.decode()
    recorded = _recorded_spans()
    assert marks_beyond_the_spans(page, recorded) == []
    # A mark on words of the sentence that no span of the fact holds ("web", beside "American").
    forged = page.replace(
        "American</mark>", 'American</mark> <mark data-begin="64" data-end="67">web</mark>', 1
    )
    assert forged != page
    assert any("United States" in line or "55, 63" in line
               for line in marks_beyond_the_spans(forged, recorded))  # fmt: skip


def test_the_paragraph_page_marks_the_spans_and_lists_the_facts_of_each(
    runner: StoreRunner,
) -> None:
    where = target("resource", "source-document")
    assert where is not None
    page = render(runner, where, "html").body.decode()
    recorded = _recorded_spans()
    every_span = _merged([span for spans in recorded.values() for span in spans])
    quoted = [
        (b, e) for block in re.findall(r"<blockquote>(.*?)</blockquote>", page)
        for b, e, _ in _marks(block)
    ]  # fmt: skip
    assert quoted == every_span
    one = page[page.index('<li id="char=55,63">') :]
    one = one[: one.index("</ul></li>")]
    assert "<q>American</q>" in one and "country of origin" in one and "United States" in one


def test_pages_work_without_javascript(runner: StoreRunner) -> None:
    for name in ("charlie-cox", "source-document", "the-defenders"):
        where = target("resource", name)
        assert where is not None
        page = render(runner, where, "html").body.decode()
        assert "<script" not in page
        assert 'name="viewport"' in page


def test_every_query_binds_the_iri_as_an_escaped_term() -> None:
    with pytest.raises(ValueError):
        sparql_term("https://example.org/a> } ; DROP ALL ; <x")


_UNGRAMMATICAL = re.compile(r"\b(of of|is has|is is|has has|this of|of this of)\b", re.IGNORECASE)


def test_every_property_reads_as_english_from_its_object(kg: KnowledgeGraph) -> None:
    labels = kg.sparql(
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT DISTINCT ?label WHERE {"
        " ?p a ?kind ; rdfs:label ?label . VALUES ?kind {"
        " <http://www.w3.org/2002/07/owl#ObjectProperty>"
        " <http://www.w3.org/2002/07/owl#DatatypeProperty> } }"
    ).records()
    assert len(labels) > 60
    for row in labels:
        words, after = incoming_wording(row["label"])
        heading = f"{words}{after}"
        assert not _UNGRAMMATICAL.search(heading), heading
    assert incoming_wording("has member") == ("member", " of")
    assert incoming_wording("production of") == ("production of", " this")
    assert incoming_wording("actor") == ("actor", " of")


def test_incoming_headings_use_the_inverse_label(runner: StoreRunner) -> None:
    def headings(name: str) -> list[str]:
        where = target("resource", name)
        assert where is not None
        page = render(runner, where, "html").body.decode()
        found = re.findall(r"<h\d[^>]*>(.*?)</h\d>", page)
        return [html.unescape(re.sub("<[^>]+>", "", h)) for h in found]

    # Incoming dkg:hasMember reads as its inverse, and a property without one by the rule.
    assert "member of" in headings("daredevil")
    assert "named after this" in headings("the-defenders-team")
    for name in ("daredevil", "the-defenders-team", "the-defenders", "netflix"):
        for heading in headings(name):
            assert not _UNGRAMMATICAL.search(heading), (name, heading)


def _project_iris(kg: KnowledgeGraph) -> set[str]:
    quads = ox.parse(kg.export("nquads", inferred=True), format=ox.RdfFormat.N_QUADS)
    found = set()
    for quad in quads:
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            if isinstance(term, ox.NamedNode) and term.value.startswith(SITE + "/"):
                found.add(term.value)
    return found


_DOCUMENT_FORMATS = (
    ("text/turtle", ox.RdfFormat.TURTLE),
    ("application/ld+json", ox.RdfFormat.JSON_LD),
    ("text/html", None),
)


def test_every_project_iri_of_the_inferred_export_dereferences(
    endpoint: str, kg: KnowledgeGraph
) -> None:
    iris = _project_iris(kg)
    # The ontology's version IRI and its modules are among them, as are graph names.
    assert f"{ONTOLOGY_IRI}/0.3.0" in iris and f"{SITE}/graph/inferred" in iris
    assert any(i.startswith(f"{ONTOLOGY_IRI}/alignments/") for i in iris)
    assert len(iris) > 250
    fetched: dict[tuple[str, str], bytes] = {}
    for iri in sorted(iris):
        document_iri = iri.partition("#")[0]
        url = endpoint + document_iri[len(SITE) :]
        for accept, rdf in _DOCUMENT_FORMATS:
            if (url, accept) not in fetched:
                request = urllib.request.Request(url, headers={"Accept": accept})
                with urllib.request.urlopen(request, timeout=30) as response:  # follows the 303
                    assert response.status == 200, (iri, accept, response.status)
                    fetched[url, accept] = response.read()
            body = fetched[url, accept]
            if rdf is None:
                assert html.escape(document_iri) in body.decode("utf-8"), (iri, accept)
                continue
            terms = {
                t.value
                for q in ox.parse(body, format=rdf, base_iri=url)
                for t in (q.subject, q.predicate, q.object)
                if isinstance(t, ox.NamedNode)
            }
            assert iri in terms, (iri, accept)


def test_a_description_carries_the_words_behind_each_fact(runner: StoreRunner) -> None:
    where = target("resource", "the-defenders")
    assert where is not None
    turtle = render(runner, where, "turtle").body
    graph = rdflib.Graph().parse(data=turtle, format="turtle")
    query = """PREFIX dkg: <https://w3id.org/defenders-kg/ontology#>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
SELECT ?words ?begin WHERE {
  ?w dkg:factSubject <https://w3id.org/defenders-kg/resource/the-defenders> ;
     dkg:factPredicate ?p ; dkg:span ?span .
  ?span nif:anchorOf ?words ; nif:beginIndex ?begin .
  VALUES ?p { dkg:countryOfOrigin dkg:numberOfEpisodes }
} ORDER BY ?begin"""
    assert [str(row[0]) for row in graph.query(query)] == ["American", "eight"]
    # The same in TriG, each wording in the document graph beside the fact in its group.
    trig = render(runner, where, "trig").body
    dataset = rdflib.Dataset().parse(data=trig, format="trig")
    document = dataset.graph(rdflib.URIRef("https://w3id.org/defenders-kg/graph/document"))
    assert len(list(document.query(query))) == 2


def test_a_large_graph_page_shows_its_first_rows_and_says_where_all_are(
    runner: StoreRunner,
) -> None:
    where = target("graph", "document")
    assert where is not None
    page = render(runner, where, "html").body.decode()
    assert page.count("<tr>") == GRAPH_PAGE_ROWS + 1  # the header row too
    assert "triples; the first 1,000 below, all of them as" in page
    assert 'href="document.ttl"' in page
