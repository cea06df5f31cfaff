"""The ontology's page, now ``defenders_kg.web.ontology_page``; these names are kept for code
importing them."""

from .web.ontology_page import build_docs, ontology_html

__all__ = ["build_docs", "ontology_html"]
