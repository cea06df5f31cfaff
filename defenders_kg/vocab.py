"""IRIs of the vocabularies the package uses and of the project's namespaces, graphs and
documents, as plain strings (rdflib imports slowly). No other module spells one out."""

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
NIF = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"
WD = "http://www.wikidata.org/entity/"
VANN = "http://purl.org/vocab/vann/"
#: The SPARQL 1.1 Service Description vocabulary.
SD = "http://www.w3.org/ns/sparql-service-description#"

RDF_TYPE = RDF + "type"
RDFS_LABEL = RDFS + "label"

#: The project's IRIs: everything it names lives under ``SITE``.
SITE = "https://w3id.org/defenders-kg"
DKG = SITE + "/ontology#"
DKGR = SITE + "/resource/"
GRAPH_BASE = SITE + "/graph/"
ONTOLOGY_IRI = DKG.rstrip("#")
#: The dataset (its VoID description) and the collection of web annotations.
DATASET_IRI = SITE + "/dataset"
COLLECTION_IRI = SITE + "/annotations"

ONTOLOGY_GRAPH = GRAPH_BASE + "ontology"
DOCUMENT_GRAPH = GRAPH_BASE + "document"
INFERRED_GRAPH = GRAPH_BASE + "inferred"
USER_DATA_GRAPH = GRAPH_BASE + "data"

#: Blank nodes become IRIs under this base while loaded (RDF 1.1 skolemization).
GENID = SITE + "/.well-known/genid/"

#: Prefixes used in query output, exports and the table view.
PREFIXES: dict[str, str] = {
    "dkg": DKG,
    "dkgr": DKGR,
    "dkgg": GRAPH_BASE,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "schema": SCHEMA,
    "nif": NIF,
    "wd": WD,
    "vann": VANN,
}
