"""Terms converted between pyoxigraph, rdflib, SPARQL text and Python values: the one place
where that happens, so that a literal reads the same wherever it is shown."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from .errors import DataLoadError, FormatError
from .vocab import GENID, XSD

if TYPE_CHECKING:
    from rdflib.term import Node

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def sparql_term(iri: str) -> str:
    """An IRI as a SPARQL term, escaped by Oxigraph (raises ValueError on an invalid IRI)."""
    return str(ox.NamedNode(iri))


def to_rdflib(term: Term, *, unskolemize: bool = False, exact: bool = False) -> Any:
    """A pyoxigraph term as the equal rdflib term; with ``unskolemize`` a skolem IRI
    (``GENID``) becomes the blank node it stood for. With ``exact`` rdflib is told not to
    normalize a typed literal's lexical form, as an export must write it unchanged."""
    from rdflib import BNode, Literal, URIRef

    if unskolemize and isinstance(term, ox.NamedNode) and term.value.startswith(GENID):
        return BNode(term.value[len(GENID) :])
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == XSD + "string":  # rdflib's parsers make these plain literals
            return Literal(term.value)
        datatype = URIRef(term.datatype.value)
        if exact:
            return Literal(term.value, datatype=datatype, normalize=False)
        return Literal(term.value, datatype=datatype)
    raise FormatError(f"rdflib has no term for the quoted triple {term}")


def python_value(term: Term) -> Any:
    """A literal of a numeric, boolean or date type as that Python value; anything else as
    ``text_value`` writes it. A lexical form that does not parse stays a string."""
    if isinstance(term, ox.Literal) and not term.language:
        convert = _PYTHON.get(term.datatype.value)
        if convert is not None:
            try:
                return convert(term.value)
            except (ValueError, ArithmeticError):
                pass
    return text_value(term)


def _boolean(text: str) -> bool:
    if text not in ("true", "false", "1", "0"):
        raise ValueError(text)
    return text in ("true", "1")


def _date_time(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


_INTEGERS = ("integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
             "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt",
             "unsignedShort", "unsignedByte")  # fmt: skip
_PYTHON: dict[str, Callable[[str], Any]] = {
    **{XSD + name: int for name in _INTEGERS},
    XSD + "decimal": Decimal,
    XSD + "double": float,
    XSD + "float": float,
    XSD + "boolean": _boolean,
    XSD + "date": datetime.date.fromisoformat,
    XSD + "dateTime": _date_time,
}


def text_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)


def ntriples_text(node: Node) -> str:
    """An rdflib term in N-Triples syntax, as the reasoner and Oxigraph read it."""
    from rdflib import BNode, URIRef
    from rdflib import Literal as RdflibLiteral

    try:
        if isinstance(node, URIRef):
            return str(ox.NamedNode(str(node)))
        if isinstance(node, BNode):
            return str(ox.BlankNode(str(node)))
        if isinstance(node, RdflibLiteral):
            if node.language:
                return str(ox.Literal(str(node), language=node.language))
            if node.datatype:
                return str(ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype))))
            return str(ox.Literal(str(node)))
    except ValueError as error:
        raise DataLoadError(f"the term {node.n3()} cannot be read: {error}") from error
    raise DataLoadError(f"the term {node!r} is not an IRI, a blank node or a literal")


def rdflib_from_ntriples(term: str, terms: dict[str, Node]) -> Node:
    """An N-Triples term as an rdflib term for owlrl, kept in ``terms`` so each is made once."""
    from rdflib import BNode, URIRef
    from rdflib import Literal as RdflibLiteral

    node = terms.get(term)
    if node is not None:
        return node
    if term.startswith("<"):
        node = URIRef(term[1:-1])
    elif term.startswith("_:"):
        node = BNode(term[2:])
    else:
        quad = next(iter(ox.parse(f"<urn:s> <urn:p> {term} .", format=ox.RdfFormat.N_TRIPLES)))
        literal = quad.object
        assert isinstance(literal, ox.Literal)
        if literal.language:
            node = RdflibLiteral(literal.value, lang=literal.language)
        else:
            node = RdflibLiteral(literal.value, datatype=URIRef(literal.datatype.value))
    terms[term] = node
    return node


def skolem_text(
    term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | ox.DefaultGraph,
) -> str:
    """A term in N-Triples syntax, a blank node as an IRI (``GENID``): the reasoner's own form.

    owlrl relabels blank nodes when it parses, so they cross into inference as IRIs.
    """
    if isinstance(term, ox.BlankNode):
        return f"<{GENID}{term.value}>"
    return str(term)


def unskolem_text(term: str) -> str:
    """``skolem_text`` undone: a skolem IRI in N-Triples syntax as the blank node it stood for."""
    if term.startswith(f"<{GENID}"):
        return f"_:{term[len(GENID) + 1 : -1]}"
    return term
