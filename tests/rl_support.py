"""Helpers for the reasoner tests: Turtle to N-Triples strings, and both engines side by side."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import pyoxigraph as ox

from defenders_kg import load
from defenders_kg.errors import DefendersKGError
from defenders_kg.inference import infer_triples
from defenders_kg.reasoner import Triple
from defenders_kg.vocab import GENID

PREFIXES = """\
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/> .
"""
EX = "http://example.org/"


def term(node: object, skolem: bool) -> str:
    if skolem and isinstance(node, ox.BlankNode):
        return f"<{GENID}{node.value}>"
    return str(node)


def turtle(text: str, *, skolem: bool = False) -> set[Triple]:
    """Turtle (with the ex:, rdf:, rdfs:, owl:, xsd: prefixes) as a set of N-Triples strings."""
    quads = ox.parse(PREFIXES + text, format=ox.RdfFormat.TURTLE)
    return {tuple(term(node, skolem) for node in q.triple) for q in quads}  # type: ignore[misc]


def sources_triples(sources: list[load.Source]) -> set[Triple]:
    """What the package loads from ``sources``, blank nodes skolemized as the package does."""
    buffer = io.BytesIO()
    load.write_nquads(sources, buffer)
    quads = ox.parse(buffer.getvalue(), format=ox.RdfFormat.N_QUADS)
    return {tuple(term(node, True) for node in q.triple) for q in quads}  # type: ignore[misc]


@dataclass(frozen=True)
class Outcome:
    """What an engine answered: the triples, or the class of the project error it raised."""

    triples: frozenset[Triple] = frozenset()
    error: str | None = None


def run(ontology: set[Triple], data: set[Triple], engine: str) -> Outcome:
    try:
        found = infer_triples(ontology, data, engine=engine)  # type: ignore[arg-type]
    except DefendersKGError as error:
        return Outcome(error=type(error).__name__)
    return Outcome(frozenset(found))


def both(ontology: set[Triple], data: set[Triple]) -> Outcome:
    """The answer of both engines, after checking that they agree."""
    fast, reference = run(ontology, data, "fast"), run(ontology, data, "owlrl")
    assert fast.error == reference.error, (fast.error, reference.error)
    missing, extra = reference.triples - fast.triples, fast.triples - reference.triples
    assert not missing and not extra, f"fast misses {sorted(missing)}; fast adds {sorted(extra)}"
    return fast


class _HandOffs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.reasons: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.reasons.append(record.getMessage())


def check_seed(seed: int) -> tuple[int, str | None, bool]:
    """One generated case through both engines: (seed, the difference or None, handed off?)."""
    from rl_generator import as_turtle, generate

    ontology, data = generate(seed)
    watcher = _HandOffs()
    logger = logging.getLogger("defenders_kg.inference")
    logger.addHandler(watcher)
    logger.setLevel(logging.INFO)
    try:
        fast = run(ontology, data, "fast")
    finally:
        logger.removeHandler(watcher)
    reference = run(ontology, data, "owlrl")
    if fast == reference:
        return seed, None, bool(watcher.reasons)
    difference = (
        f"seed {seed}: fast {fast.error or len(fast.triples)}, owlrl "
        f"{reference.error or len(reference.triples)}; fast misses "
        f"{sorted(reference.triples - fast.triples)[:3]}, adds "
        f"{sorted(fast.triples - reference.triples)[:3]}\n"
        f"ontology:\n{as_turtle(ontology)}data:\n{as_turtle(data)}"
    )
    return seed, difference, bool(watcher.reasons)
