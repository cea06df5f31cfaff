"""Descriptions of the data for other tools: a JSON-LD ``@context`` and VoID/DCAT."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import paths
from .vocab import DKG, DKGR, PREFIXES

if TYPE_CHECKING:
    from .kg import KnowledgeGraph

_OWL = "http://www.w3.org/2002/07/owl#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DATASET_IRI = "https://w3id.org/defenders-kg/dataset"


def jsonld_context() -> dict[str, Any]:
    """A JSON-LD ``@context`` giving every ontology term its local name as a key.

    Object properties are typed ``@id`` so their values read as links; ``label`` and ``type`` are
    the usual short keys. The published file is ``ontology/context.jsonld``; a test keeps it equal
    to this function's output.
    """
    import pyoxigraph as ox

    ontology = paths.data_root() / "ontology" / "defenders.ttl"
    kinds: dict[str, str] = {}
    for quad in ox.parse(path=ontology, format=ox.RdfFormat.TURTLE):
        if quad.predicate.value == _RDF_TYPE and quad.subject.value.startswith(DKG):
            kind = quad.object.value.removeprefix(_OWL)
            if kind in ("Class", "ObjectProperty", "DatatypeProperty", "NamedIndividual"):
                kinds.setdefault(quad.subject.value, kind)
    context: dict[str, Any] = {prefix: namespace for prefix, namespace in PREFIXES.items()}
    context["label"] = {"@id": "rdfs:label"}
    context["type"] = "@type"
    context["id"] = "@id"
    for iri, kind in sorted(kinds.items()):
        name = iri.removeprefix(DKG)
        if kind == "ObjectProperty":
            context[name] = {"@id": f"dkg:{name}", "@type": "@id"}
        else:
            context[name] = f"dkg:{name}"
    return {"@context": context}


def jsonld_context_text() -> str:
    return json.dumps(jsonld_context(), indent=2, ensure_ascii=False) + "\n"


def void_description(kg: KnowledgeGraph, *, endpoint: str = "http://127.0.0.1:8000/sparql") -> str:
    """A VoID and DCAT description of the knowledge graph, in Turtle, counted from the graph itself.

    The counts are those of ``defenders-kg stats``: one subset per layer (ontology, asserted
    instance data, inferred closure), and the classes, properties and entities.
    """
    import pyoxigraph as ox

    stats = kg.stats()
    store = kg.store(inference=True)
    namespaces = sorted(
        {
            namespace
            for quad in store
            for term in (quad.predicate, quad.object)
            if isinstance(term, ox.NamedNode)
            for namespace in PREFIXES.values()
            if term.value.startswith(namespace)
        }
    )
    vocabularies = " , ".join(f"<{ns}>" for ns in namespaces)
    examples = " , ".join(
        f"<{DKGR}{slug}>" for slug in ("the-defenders", "charlie-cox", "matt-murdock")
    )
    total = stats.ontology_triples + stats.asserted_triples + stats.inferred_triples
    lines = [
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .",
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        "@prefix void: <http://rdfs.org/ns/void#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "",
        f"<{DATASET_IRI}> a void:Dataset, dcat:Dataset ;",
        '    dcterms:title "The Defenders knowledge graph"@en ;',
        '    dcterms:description "The encyclopedia paragraph about the miniseries The Defenders '
        "(2017) as linked data: every fact it states, each traced to its sentence, with the "
        'OWL 2 RL closure."@en ;',
        "    dcterms:license <https://creativecommons.org/licenses/by/4.0/> ;",
        f"    void:sparqlEndpoint <{endpoint}> ;",
        f"    void:vocabulary {vocabularies} ;",
        f"    void:exampleResource {examples} ;",
        f'    void:uriSpace "{DKGR}" ;',
        f"    void:triples {total} ;",
        f"    void:classes {stats.classes} ;",
        f"    void:properties {stats.properties} ;",
        f"    void:entities {stats.entities} ;",
        "    void:subset "
        + ", ".join(f"<{DATASET_IRI}/{part}>" for part in ("ontology", "asserted", "inferred"))
        + " ;",
        '    dcat:distribution [ a dcat:Distribution ; dcat:mediaType "text/turtle" ;',
        '        dcterms:description "defenders-kg export --format turtle"@en ] ,',
        '      [ a dcat:Distribution ; dcat:mediaType "application/trig" ;',
        '        dcterms:description "defenders-kg export --format trig"@en ] .',
        "",
        f'<{DATASET_IRI}/ontology> a void:Dataset ; dcterms:title "Ontology and alignments"@en ;',
        f"    void:triples {stats.ontology_triples} .",
        f'<{DATASET_IRI}/asserted> a void:Dataset ; dcterms:title "Asserted data"@en ;',
        f"    void:triples {stats.asserted_triples} .",
        f'<{DATASET_IRI}/inferred> a void:Dataset ; dcterms:title "OWL 2 RL closure"@en ;',
        f"    void:triples {stats.inferred_triples} .",
    ]
    return "\n".join(lines) + "\n"
