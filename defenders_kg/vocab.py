"""IRIs of the project's namespaces and named graphs, as plain strings (rdflib imports slowly)."""

DKG = "https://w3id.org/defenders-kg/ontology#"
DKGR = "https://w3id.org/defenders-kg/resource/"
GRAPH_BASE = "https://w3id.org/defenders-kg/graph/"

ONTOLOGY_GRAPH = GRAPH_BASE + "ontology"
DOCUMENT_GRAPH = GRAPH_BASE + "document"
INFERRED_GRAPH = GRAPH_BASE + "inferred"
USER_DATA_GRAPH = GRAPH_BASE + "data"

#: Blank nodes become IRIs under this base while loaded (RDF 1.1 skolemization).
GENID = "https://w3id.org/defenders-kg/.well-known/genid/"

#: Prefixes used in query output, exports and the table view.
PREFIXES: dict[str, str] = {
    "dkg": DKG,
    "dkgr": DKGR,
    "dkgg": GRAPH_BASE,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "nif": "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#",
    "wd": "http://www.wikidata.org/entity/",
    "vann": "http://purl.org/vocab/vann/",
}
