"""The schema.org and Wikidata views over the inferred graph.

The questions of docs/schema-org-and-wikidata.md, asked in those vocabularies only, give the rows
printed there and agree with the project's own queries.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from defenders_kg import KnowledgeGraph
from defenders_kg.errors import QueryParameterError

PAGE = Path(__file__).parent.parent / "docs" / "schema-org-and-wikidata.md"
BLOCK = re.compile(r"```sparql\n(.*?)\n```\n\n```csv\n(.*?)```", re.DOTALL)
SCHEMA = "PREFIX schema: <https://schema.org/>\n"
WDT = "PREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
RDFS = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
DEFENDERS = '?series a schema:TVSeries ; schema:name "The Defenders"@en .'


def page_examples() -> list[tuple[str, str]]:
    return BLOCK.findall(PAGE.read_text(encoding="utf-8"))


def rows(kg: KnowledgeGraph, text: str) -> list[dict[str, str]]:
    return kg.sparql(text).records(strings=True)


def test_the_page_has_both_kinds_of_question() -> None:
    examples = page_examples()
    schema = [q for q, _ in examples if "https://schema.org/" in q]
    wikidata = [q for q, _ in examples if "wikidata.org/prop/direct" in q]
    assert len(schema) >= 8 and len(wikidata) >= 6 and len(examples) == len(schema) + len(wikidata)


@pytest.mark.parametrize("example", page_examples(), ids=lambda e: e[0].splitlines()[-1][:40])
def test_page_answers_are_real(example: tuple[str, str], kg: KnowledgeGraph) -> None:
    query, expected = example
    # Only the outside vocabulary: no term of ours, so a consumer without our ontology can ask it.
    assert "defenders-kg/ontology" not in query and "dkg:" not in query
    assert kg.sparql(query).serialize("csv").replace("\r\n", "\n") == expected
    assert expected.count("\n") > 1, "an answer has at least one row"


def test_schema_org_actors_and_characters(kg: KnowledgeGraph) -> None:
    found = rows(
        kg,
        SCHEMA
        + "SELECT ?name ?character WHERE { "
        + DEFENDERS
        + """
          ?series schema:actor ?role . ?role a schema:PerformanceRole ; schema:actor ?person .
          ?person a schema:Person ; schema:name ?n . BIND(STR(?n) AS ?name)
          OPTIONAL { ?role schema:characterName ?c . BIND(STR(?c) AS ?character) } }
        ORDER BY ?name""",
    )
    assert len(found) == 15
    characters = {r["name"]: r.get("character") for r in found}
    assert characters == {
        **{r["name"]: None for r in found},
        "Charlie Cox": "Matt Murdock / Daredevil",
        "Krysten Ritter": "Jessica Jones",
        "Mike Colter": "Luke Cage",
        "Finn Jones": "Danny Rand / Iron Fist",
    }
    # The ten supporting actors and Sigourney Weaver have no character: the text names none.
    assert sum(1 for c in characters.values() if c is None) == 11
    direct = rows(
        kg,
        SCHEMA + "SELECT ?p WHERE { " + DEFENDERS + " ?series schema:actor ?p . "
        "?p a schema:Person } ORDER BY ?p",
    )
    assert len(direct) == 15, "the direct series -> person link stays beside the roles"


def test_schema_org_release_filming_and_companies(kg: KnowledgeGraph) -> None:
    releases = rows(
        kg,
        SCHEMA
        + "SELECT ?date ?platform ?place WHERE { "
        + DEFENDERS
        + """
          ?series schema:releasedEvent ?e . ?e schema:startDate ?d . BIND(STR(?d) AS ?date)
          OPTIONAL { ?e schema:publishedOn/schema:name ?pl . BIND(STR(?pl) AS ?platform) }
          OPTIONAL { ?e schema:location/schema:name ?lo . BIND(STR(?lo) AS ?place) } }
        ORDER BY ?date""",
    )
    assert releases == [
        {"date": "2017-07-31", "place": "New York"},
        {"date": "2017-08-18", "platform": "Netflix"},
    ]
    facts = rows(
        kg,
        SCHEMA
        + "SELECT ?episodes ?published ?filmedIn WHERE { "
        + DEFENDERS
        + """
          ?series schema:numberOfEpisodes ?episodes ; schema:datePublished ?published ;
              schema:locationCreated/schema:name ?f . BIND(STR(?f) AS ?filmedIn) }
        ORDER BY ?episodes""",
    )
    assert facts == [{"episodes": "8", "published": "2017-08-18", "filmedIn": "New York City"}]
    companies = rows(
        kg,
        SCHEMA + "SELECT ?c WHERE { " + DEFENDERS + " ?series schema:productionCompany ?o . "
        "?o a schema:Organization ; schema:name ?n . BIND(STR(?n) AS ?c) } ORDER BY ?c",
    )
    assert [r["c"] for r in companies] == [
        "ABC Studios",
        "Goddard Textiles",
        "Marvel Television",
        "Nine and a Half Fingers, Inc.",
    ]


def test_every_labelled_entity_has_a_schema_name(kg: KnowledgeGraph) -> None:
    missing = rows(
        kg,
        RDFS
        + SCHEMA
        + "SELECT ?s WHERE { ?s rdfs:label ?l . FILTER NOT EXISTS { ?s schema:name ?l } }"
        " ORDER BY ?s",
    )
    assert missing == []


def test_no_claim_is_a_review_without_item_and_author(kg: KnowledgeGraph) -> None:
    reviews = rows(
        kg,
        SCHEMA
        + "SELECT ?r WHERE { ?r a schema:Review . FILTER NOT EXISTS { ?r schema:itemReviewed ?i ;"
        " schema:author ?a } } ORDER BY ?r",
    )
    assert reviews == []
    claims = rows(
        kg, SCHEMA + "SELECT ?c WHERE { ?c a schema:Claim ; schema:about ?w } ORDER BY ?c"
    )
    assert len(claims) == 9
    # dkg:claimant has no schema.org parent: one claimant is a report, which is no author.
    authored = rows(kg, SCHEMA + "SELECT ?c WHERE { ?c a schema:Claim ; schema:author ?a }")
    assert authored == []


def wdt_values(kg: KnowledgeGraph, prop: str) -> set[str]:
    found = rows(
        kg,
        WDT
        + RDFS
        + f"""SELECT ?v WHERE {{ ?series rdfs:label "The Defenders"@en ; wdt:P1113 ?n ;
          wdt:{prop} ?value . OPTIONAL {{ ?value rdfs:label ?l }}
          BIND(STR(COALESCE(?l, ?value)) AS ?v) }}
        ORDER BY ?v""",
    )
    return {r["v"] for r in found}


@pytest.mark.parametrize(
    ("prop", "query", "column"),
    [
        ("P161", "cast", "actorName"),
        ("P170", "creators", "creatorName"),
        ("P272", "production-companies", "companyName"),
        ("P915", "filming", "placeName"),
        ("P144", "based-on", "basisName"),
    ],
)
def test_wikidata_answers_equal_our_queries(
    prop: str, query: str, column: str, kg: KnowledgeGraph
) -> None:
    records = kg.query(query).records(strings=True)
    ours = {r[column] for r in records if r.get("workName") == "The Defenders"}
    assert ours and wdt_values(kg, prop) == ours


def test_wikidata_release_date_and_broadcaster_equal_our_release_query(kg: KnowledgeGraph) -> None:
    streaming = [
        r for r in kg.query("release").records(strings=True) if r["kind"] == "streaming release"
    ]
    assert wdt_values(kg, "P577") == {r["earliest"] for r in streaming} == {"2017-08-18"}
    assert wdt_values(kg, "P449") == {r["whereName"] for r in streaming} == {"Netflix"}
    assert wdt_values(kg, "P1113") == {"8"}


def test_fidelity_holds_in_the_views(kg: KnowledgeGraph) -> None:
    """April has no year, and Weaver is not returning, in any view."""
    april = rows(
        kg,
        "PREFIX dkg: <https://w3id.org/defenders-kg/ontology#>\nPREFIX schema: <https://schema.org/>\n"
        "SELECT ?edtf ?start WHERE { <https://w3id.org/defenders-kg/resource/showrunners-join> "
        "dkg:hasDate/dkg:edtf ?edtf . OPTIONAL { <https://w3id.org/defenders-kg/resource/"
        "showrunners-join> schema:startDate ?start } } ORDER BY ?edtf",
    )
    assert april == [{"edtf": "XXXX-04"}], "no ISO date is made up for April"
    weaver = kg.query("cast", {"actorName": "Sigourney Weaver"}).records(strings=True)
    assert [(r["statusName"], r["statusImplied"]) for r in weaver] == [("new", "true")]


@pytest.mark.parametrize(
    ("label", "types"),
    [
        ("Daredevil", {"Fictional Character", "Superhero Identity", "Television Series"}),
        ("The Defenders", {"Miniseries, Web Series", "Superhero Team"}),
    ],
)
def test_a_shared_label_gives_distinct_entities(
    label: str, types: set[str], kg: KnowledgeGraph
) -> None:
    found = kg.evidence(label).records()
    targets = {(r["target"], r["targetTypes"]) for r in found}
    assert len(targets) == len(types) and {t for _, t in targets} == types


def test_no_entity_is_linked_to_a_wikidata_item(kg: KnowledgeGraph) -> None:
    """No item ID could be confirmed from a stored copy of its page, so none is linked."""
    links = rows(
        kg,
        "SELECT ?s ?p ?o WHERE { ?s ?p ?o . FILTER(isIRI(?o) && "
        'STRSTARTS(STR(?o), "http://www.wikidata.org/entity/Q")) } ORDER BY ?s ?p ?o',
    )
    assert [r for r in links if r["p"].endswith("sameAs")] == []


def test_every_schema_role_and_release_event_is_reached_from_a_work(kg: KnowledgeGraph) -> None:
    """No empty Role or event that nothing links to (the complaint of issue 12)."""
    orphans = rows(
        kg,
        SCHEMA + "SELECT ?n WHERE { VALUES ?t { schema:Role schema:PublicationEvent } ?n a ?t . "
        "FILTER NOT EXISTS { ?w ?p ?n . ?w a schema:CreativeWork . "
        'FILTER(STRSTARTS(STR(?p), "https://schema.org/")) } } ORDER BY ?n',
    )
    assert orphans == []


def test_describe_by_a_shared_label_keeps_the_entities_apart(kg: KnowledgeGraph) -> None:
    """The canned describe of "Daredevil" gives each entity's triples under its own IRI, with its
    own type; ``describe`` itself refuses the label and names the three IRIs."""
    with pytest.raises(QueryParameterError, match="3 entities have the label 'Daredevil'"):
        kg.describe("Daredevil")
    graph = kg.query("describe", {"entity": "Daredevil"}).serialize("nt")
    typed = {
        line.split()[0]
        for line in graph.splitlines()
        if "/resource/daredevil" in line.split()[0] and "22-rdf-syntax-ns#type" in line
    }
    assert typed == {
        "<https://w3id.org/defenders-kg/resource/daredevil>",
        "<https://w3id.org/defenders-kg/resource/daredevil-tv>",
        "<https://w3id.org/defenders-kg/resource/daredevil-series>",
    }
