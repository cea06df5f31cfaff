"""Remote triple stores over the SPARQL 1.1 Protocol and the Graph Store HTTP Protocol.

Oxigraph (``/query``, ``/store``), Apache Jena Fuseki (``/DATASET/sparql``, ``/DATASET/data``),
GraphDB and Virtuoso (``/sparql``, ``/sparql-graph-crud-auth``) speak the same protocols; what
differs between stores and layouts is decided in one place, ``layout``. The modules:

- ``http``: one request, with its time-out, retries, deadline and credentials; the ``Session``
  that keeps what a caller learns (openers, digest challenges, layouts) on an object it holds;
- ``client``: ``RemoteKnowledgeGraph``, canned and ad-hoc queries and their answers;
- ``layout``: the probe of what an endpoint holds, and the plan of each query against it;
- ``push``: ``push()`` and ``bulk_file()``; its strategies are ``oxigraph`` (staged or in
  place), ``virtuoso`` (graph by graph; its dialect and limits) and ``gsp`` (one ``PUT``), over
  what they share in ``sending``.
"""
