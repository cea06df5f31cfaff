"""Descriptions of the data for other tools: a JSON-LD ``@context`` and VoID/DCAT."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from . import paths
from .vocab import DATASET_IRI, DCTERMS, DKG, DKGR, OWL, PREFIXES, RDF_TYPE


def jsonld_context() -> dict[str, Any]:
    """A JSON-LD ``@context`` giving every ontology term its local name as a key.

    Object properties are typed ``@id`` so their values read as links; ``label`` and ``type`` are
    the usual short keys. The published file is ``ontology/context.jsonld``; a test keeps it equal
    to this function's output.
    """
    ontology = paths.data_root() / "ontology" / "defenders.ttl"
    kinds: dict[str, str] = {}
    for quad in ox.parse(path=ontology, format=ox.RdfFormat.TURTLE):
        if quad.predicate.value == RDF_TYPE and quad.subject.value.startswith(DKG):
            kind = quad.object.value.removeprefix(OWL)
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


@dataclass(frozen=True)
class VoidCounts:
    """What a VoID description counts: statements, classes, properties, entities, and layers."""

    triples: int
    classes: int
    properties: int
    entities: int
    subsets: Mapping[str, int] = field(default_factory=dict)


def vocabularies(store: ox.Store) -> list[str]:
    """The known namespaces that the store's predicates and classes come from."""
    from . import engine

    text = "SELECT DISTINCT ?term WHERE { { ?s ?term ?o } UNION { ?s a ?term } }"
    terms = [row[0] for row in engine.run(store, text).rows]
    return sorted(
        {
            namespace
            for term in terms
            if isinstance(term, ox.NamedNode)
            for namespace in PREFIXES.values()
            if term.value.startswith(namespace)
        }
    )


def void_description(
    counts: VoidCounts,
    namespaces: list[str],
    *,
    endpoint: str = "http://127.0.0.1:8000/sparql",
    dump: tuple[str, str] | None = None,
) -> str:
    """A VoID and DCAT description in Turtle of what ``counts`` counted.

    ``dump`` is the exported file's IRI and media type, when the description is of an export.
    """
    vocabulary_list = " , ".join(f"<{ns}>" for ns in namespaces)
    examples = " , ".join(
        f"<{DKGR}{slug}>" for slug in ("the-defenders", "charlie-cox", "matt-murdock")
    )
    lines = [
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .",
        f"@prefix dcterms: <{DCTERMS}> .",
        "@prefix void: <http://rdfs.org/ns/void#> .",
        "",
        f"<{DATASET_IRI}> a void:Dataset, dcat:Dataset ;",
        '    dcterms:title "The Defenders knowledge graph"@en ;',
        '    dcterms:description "The encyclopedia paragraph about the miniseries The Defenders '
        "(2017) as linked data: every fact it states, each traced to its sentence, with the "
        'OWL 2 RL closure."@en ;',
        "    dcterms:license <https://creativecommons.org/licenses/by/4.0/> ;",
        f"    void:sparqlEndpoint <{endpoint}> ;",
        f"    void:vocabulary {vocabulary_list} ;",
        f"    void:exampleResource {examples} ;",
        f'    void:uriSpace "{DKGR}" ;',
        f"    void:triples {counts.triples} ;",
        f"    void:classes {counts.classes} ;",
        f"    void:properties {counts.properties} ;",
        f"    void:entities {counts.entities} ;",
    ]
    if dump is not None:
        location, media_type = dump
        lines += [
            f"    void:dataDump <{location}> ;",
            f"    dcat:distribution [ a dcat:Distribution ; dcat:downloadURL <{location}> ;",
            f'        dcat:mediaType "{media_type}" ] .',
        ]
    else:
        lines += [
            '    dcat:distribution [ a dcat:Distribution ; dcat:mediaType "text/turtle" ;',
            '        dcterms:description "defenders-kg export --format turtle"@en ] ,',
            '      [ a dcat:Distribution ; dcat:mediaType "application/trig" ;',
            '        dcterms:description "defenders-kg export --format trig"@en ] .',
        ]
    if counts.subsets:
        lines[-1] = lines[-1].removesuffix(" .") + " ;"
        subsets = ", ".join(f"<{DATASET_IRI}/{name}>" for name in counts.subsets)
        lines += [f"    void:subset {subsets} .", ""]
        titles = {
            "ontology": "Ontology and alignments",
            "asserted": "Asserted data",
            "inferred": "OWL 2 RL closure",
        }
        for name, triples in counts.subsets.items():
            lines.append(
                f'<{DATASET_IRI}/{name}> a void:Dataset ; dcterms:title "{titles[name]}"@en ;'
            )
            lines.append(f"    void:triples {triples} .")
    return "\n".join(lines) + "\n"
