"""The web face of the graph: the SPARQL endpoint, and its IRIs dereferenced as RDF documents
and HTML pages.

``endpoint`` is the SPARQL 1.1 Protocol app and ``serve``; ``guards`` what every connection and
answer is held to; ``pool`` runs each query in a killable worker process, forked by the zygote
of ``worker``, which holds the store.

``iris`` names what is served and where its documents live; ``lookup`` asks the graph (through a
``Runner``) and returns typed rows; ``documents`` turns them into the RDF documents and the HTTP
answers; ``pages`` and ``html`` render the HTML pages from the Jinja2 templates in
``templates/``; ``routes`` are the endpoint's Starlette routes; ``site`` writes the same
documents as a static site and ``htaccess`` its rewrite rules; ``ontology_page`` is the
ontology's documentation page. ``index.html`` and ``page.css`` are the static assets.
"""
