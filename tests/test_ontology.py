"""The ontology as a reference vocabulary: header, annotations, naming, layout."""

from __future__ import annotations

import re

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace, URIRef

from defenders_kg import paths

DKG = Namespace("https://w3id.org/defenders-kg/ontology#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
VANN = Namespace("http://purl.org/vocab/vann/")
ONTOLOGY = URIRef("https://w3id.org/defenders-kg/ontology")
CORE = paths.data_root() / "ontology" / "defenders.ttl"


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(CORE, format="turtle")


def terms(graph: Graph) -> list[URIRef]:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual)
    found = {
        s for kind in kinds for s in graph.subjects(RDF.type, kind) if str(s).startswith(str(DKG))
    }
    return sorted(found)


def test_header_has_the_full_metadata(ontology: Graph) -> None:
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in ontology
    for prop in (
        DCTERMS.title,
        DCTERMS.description,
        DCTERMS.creator,
        DCTERMS.created,
        DCTERMS.modified,
        DCTERMS.license,
        OWL.versionIRI,
        OWL.versionInfo,
        VANN.preferredNamespacePrefix,
        VANN.preferredNamespaceUri,
        RDFS.seeAlso,
    ):
        assert ontology.value(ONTOLOGY, prop) is not None, f"header lacks {prop}"
    assert isinstance(ontology.value(ONTOLOGY, DCTERMS.license), URIRef)
    assert str(ontology.value(ONTOLOGY, VANN.preferredNamespaceUri)) == str(DKG)
    assert str(ontology.value(ONTOLOGY, VANN.preferredNamespacePrefix)) == "dkg"
    version_iri = str(ontology.value(ONTOLOGY, OWL.versionIRI))
    assert version_iri.endswith(str(ontology.value(ONTOLOGY, OWL.versionInfo)))


def test_every_term_has_label_definition_and_defined_by(ontology: Graph) -> None:
    found = terms(ontology)
    assert len(found) > 100
    for term in found:
        labels = [o for o in ontology.objects(term, RDFS.label) if isinstance(o, Literal)]
        definitions = [o for o in ontology.objects(term, SKOS.definition) if isinstance(o, Literal)]
        assert [o.language for o in labels] == ["en"], term
        assert [o.language for o in definitions] == ["en"], term
        assert str(definitions[0]).endswith("."), f"{term}: a definition is a full sentence"
        assert (term, RDFS.isDefinedBy, ONTOLOGY) in ontology, term


def test_naming_conventions(ontology: Graph) -> None:
    for term in terms(ontology):
        local = str(term)[len(str(DKG)) :]
        label = str(ontology.value(term, RDFS.label))
        if (term, RDF.type, OWL.Class) in ontology:
            assert re.fullmatch(r"[A-Z][A-Za-z]+", local), term
            assert label[0].isupper(), f"{term}: class labels are title case"
        elif (term, RDF.type, OWL.NamedIndividual) in ontology:
            assert re.fullmatch(r"[A-Z][A-Za-z]+", local), term
        else:
            assert re.fullmatch(r"[a-z][A-Za-z]+", local), term
            assert label == label.lower() or label.isupper(), (
                f"{term}: property labels are lower case"
            )


def test_layout_groups_terms_alphabetically() -> None:
    """The file is hand-ordered: header, then each group of terms in alphabetical order."""
    text = CORE.read_text(encoding="utf-8")
    sections = re.split(
        r"^# (Classes|Object properties|Datatype properties|Annotation properties"
        r"|Named individuals|Global axioms)$",
        text,
        flags=re.MULTILINE,
    )
    groups = dict(zip(sections[1::2], sections[2::2], strict=True))
    assert list(groups) == [
        "Classes",
        "Object properties",
        "Datatype properties",
        "Annotation properties",
        "Named individuals",
        "Global axioms",
    ]
    for name in (
        "Classes", "Object properties", "Datatype properties", "Annotation properties",
        "Named individuals",
    ):  # fmt: skip
        declared = re.findall(r"^dkg:(\w+) a ", groups[name], flags=re.MULTILINE)
        assert declared, name
        assert declared == sorted(declared), f"{name} are not in alphabetical order"


def test_alignment_gives_schema_org_parents(ontology: Graph) -> None:
    alignment = Graph().parse(paths.data_root() / "ontology" / "alignments" / "schema-org.ttl")
    schema = "https://schema.org/"
    parents = {str(o) for o in alignment.objects(None, RDFS.subClassOf)}
    parents |= {str(o) for o in alignment.objects(None, RDFS.subPropertyOf)}
    assert parents and all(p.startswith(schema) for p in parents)
    # rdfs:label is the one outside term aligned: it gives every labelled node a schema:name.
    known = {URIRef(str(ONTOLOGY) + "/alignments/schema-org"), RDFS.label}
    for term in set(alignment.subjects()) - known:
        if not str(term).startswith(str(DKG)):
            # A borrowed term is only declared (typed for OWL tools), never described.
            assert set(alignment.predicates(term)) == {RDF.type}, term
            continue
        assert term in set(ontology.subjects()), f"alignment names an unknown term {term}"
    assert (RDFS.label, RDFS.subPropertyOf, URIRef(schema + "name")) in alignment


def test_wikidata_alignment_links_only_sourced_properties(ontology: Graph) -> None:
    """Every wdt: parent names its source page, or says in a comment that none was found."""
    alignment = Graph().parse(paths.data_root() / "ontology" / "alignments" / "wikidata.ttl")
    wdt = "http://www.wikidata.org/prop/direct/"
    links = list(alignment.subject_objects(RDFS.subPropertyOf))
    assert len(links) >= 12
    for term, parent in links:
        assert term in set(ontology.subjects()), f"alignment names an unknown term {term}"
        assert str(parent).startswith(wdt), parent
        assert alignment.value(parent, RDFS.label) is not None, parent
        source = alignment.value(parent, DCTERMS.source)
        comment = alignment.value(parent, RDFS.comment)
        assert (source is not None and "wikidata.org" in str(source)) or (
            comment is not None and "not confirmed" in str(comment)
        ), f"{parent} has no recorded source"
    assert not list(alignment.triples((None, OWL.sameAs, None))), "no unconfirmed item links"


SCHEMA = Namespace("https://schema.org/")
WD = Namespace("http://www.wikidata.org/entity/")
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
ALIGNMENTS = paths.data_root() / "ontology" / "alignments"
# Datatype properties whose values lie outside the datatypes that the fast reasoner and HermiT both
# accept (xsd:date, xsd:gYearMonth, rdf:langString): their range is rdfs:Literal, the precise
# datatype a schema:rangeIncludes hint, and ontology/README.md says why.
LOOSE_RANGE = {
    "earliest": {"date"},
    "latest": {"date"},
    "releaseDate": {"date"},
    "startDate": {"date", "gYearMonth"},
    "endDate": {"gYearMonth"},
    **{
        name: {"langString"}
        for name in [
            "alternativeTitle",
            "aspect",
            "boundsNote",
            "combinedWhen",
            "creditedAs",
            "dateText",
            "establishedBy",
            "hedge",
            "measure",
            "scopeNote",
            "superlative",
        ]
    },
}


def test_every_datatype_property_has_a_range(ontology: Graph) -> None:
    readme = (paths.data_root() / "ontology" / "README.md").read_text(encoding="utf-8")
    for prop in ontology.subjects(RDF.type, OWL.DatatypeProperty):
        if not str(prop).startswith(str(DKG)):
            continue  # a borrowed term (NIF's offsets), declared but not ours to describe
        local = str(prop)[len(str(DKG)) :]
        ranges = list(ontology.objects(prop, RDFS.range))
        assert len(ranges) == 1, f"{local} has no rdfs:range"
        if local in LOOSE_RANGE:
            assert ranges == [RDFS.Literal], local
            hints = {str(o).rsplit("#", 1)[1] for o in ontology.objects(prop, SCHEMA.rangeIncludes)}
            assert hints == LOOSE_RANGE[local], local
            assert f"`dkg:{local}`" in readme, f"ontology/README.md does not list {local}"
        else:
            assert str(ranges[0]).startswith(XSD_NS), f"{local}: {ranges[0]}"


def test_definitions_match_how_the_data_uses_the_terms(ontology: Graph) -> None:
    def definition(local: str) -> str:
        return str(ontology.value(DKG[local], SKOS.definition))

    # Sentence 1 and the implied links make characters (the series' heroes) subjects of basedOn.
    assert "character" in definition("basedOn").split(" from ")[0], definition("basedOn")
    # Claims are attributed to critics (a group), Netflix (an organization) and an analysis report.
    assert "report" in definition("claimant"), definition("claimant")
    # The judged aspects concern a cast credit, the team and the Hand, never a performer as such.
    assert "performer" not in definition("aspectSubject"), definition("aspectSubject")
    assert "credit" in definition("aspectSubject"), definition("aspectSubject")
    # The analysts are a report (dkg:AnalysisReport), not a group.
    assert "analyst" not in definition("AgentGroup"), definition("AgentGroup")


def test_no_two_terms_share_a_label_up_to_case(ontology: Graph) -> None:
    seen: dict[str, URIRef] = {}
    for term in terms(ontology):
        label = str(ontology.value(term, RDFS.label)).casefold()
        assert label not in seen, f"{term} and {seen[label]} share the label {label!r}"
        seen[label] = term


def test_header_names_creators_and_the_prior_version(ontology: Graph) -> None:
    creators = list(ontology.objects(ONTOLOGY, DCTERMS.creator))
    assert creators and not any(isinstance(c, Literal) for c in creators), "creator is a node"
    for creator in creators:
        assert ontology.value(creator, SCHEMA.name) or ontology.value(creator, RDFS.label), creator
    version = str(ontology.value(ONTOLOGY, OWL.versionInfo))
    assert str(ontology.value(ONTOLOGY, OWL.versionIRI)) == f"{ONTOLOGY}/{version}"
    prior = ontology.value(ONTOLOGY, OWL.priorVersion)
    assert isinstance(prior, URIRef) and str(prior).startswith(f"{ONTOLOGY}/"), prior
    prior_version = tuple(int(n) for n in str(prior).rsplit("/", 1)[1].split("."))
    assert prior_version < tuple(int(n) for n in version.split(".")), prior
    assert (ONTOLOGY, DCTERMS.replaces, prior) in ontology


def test_alignments_match_the_targets_definitions() -> None:
    schema_org = Graph().parse(ALIGNMENTS / "schema-org.ttl")
    # Q15416 is "television program"; a series is Q5398426.
    assert (DKG.TelevisionSeries, SKOS.closeMatch, WD.Q15416) not in schema_org
    assert (DKG.TelevisionSeries, SKOS.closeMatch, WD.Q5398426) in schema_org
    # A claimant may be a report: schema:author would make the report an author.
    assert (DKG.claimant, RDFS.subPropertyOf, SCHEMA.author) not in schema_org
    # A streaming platform is where a release is published, not its publisher.
    assert (DKG.platform, RDFS.subPropertyOf, SCHEMA.publishedOn) in schema_org
    assert (DKG.platform, RDFS.subPropertyOf, SCHEMA.publishedBy) not in schema_org


#: Properties with no rdfs:domain, or no rdfs:range, and why (ontology/README.md): the shortcuts
#: inference derives from the n-ary nodes, whose types follow from the nodes, and the properties
#: whose subjects (or values) in the data are of several classes with no common one.
SHORTCUTS = {
    "appearsIn",
    "castMemberOf",
    "creatorOf",
    "filmingLocation",
    "hasCastCredit",
    "hasCastMember",
    "hasCharacter",
    "hasCreator",
    "hasFilming",
    "hasProductionCompany",
    "hasProductionInvolvement",
    "hasRelease",
    "hasShowrunner",
    "isSuperheroIdentityOf",
    "memberOf",
    "originalPlatform",
    "portrayedBy",
    "portrays",
    "showrunnerOf",
}
NO_DOMAIN = SHORTCUTS | {
    "abbreviation",
    "basedOn",
    "franchise",
    "inWork",
    "precededBy",
    "sharesContinuityWith",
}
NO_RANGE = SHORTCUTS | {
    "aspectSubject",
    "basedOn",
    "claimant",
    "namedAfter",
    "precededBy",
    "sharesContinuityWith",
}


def test_domains_and_ranges_wherever_the_data_allows(ontology: Graph) -> None:
    props = [
        p for kind in (OWL.ObjectProperty, OWL.DatatypeProperty)
        for p in ontology.subjects(RDF.type, kind) if str(p).startswith(str(DKG))
    ]  # fmt: skip
    local = {str(p)[len(str(DKG)) :]: p for p in props}
    assert len(local) == 94
    no_domain = {name for name, p in local.items() if ontology.value(p, RDFS.domain) is None}
    no_range = {name for name, p in local.items() if ontology.value(p, RDFS.range) is None}
    assert no_domain == NO_DOMAIN
    assert no_range == NO_RANGE
