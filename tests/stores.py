"""Helpers for tests that compare a remote store's answers with the embedded graph's."""

from __future__ import annotations

import shlex

import pyoxigraph as ox
import pytest

from defenders_kg import KnowledgeGraph, QueryParameterError, RemoteError, RemoteKnowledgeGraph
from defenders_kg.queries import Query, list_checks, list_queries


def example_params(query: Query) -> dict[str, str]:
    """The parameters of the query's documented example."""
    words = shlex.split(query.example)
    return dict(words[i + 1].split("=", 1) for i, w in enumerate(words) if w == "--param")


def comparable(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """Rows with blank nodes made equal: a store names them its own way."""
    return [tuple("_:" if isinstance(t, ox.BlankNode) else t for t in row) for row in rows]


def graph_text(triples: list[ox.Triple]) -> list[str]:
    """A graph result as sorted lines, blank nodes made equal."""

    def term(t: object) -> str:
        return "_:" if isinstance(t, ox.BlankNode) else str(t)

    return sorted(" ".join(term(x) for x in (t.subject, t.predicate, t.object)) for t in triples)


def assert_same(embedded: object, remote: object) -> None:
    assert embedded.variables == remote.variables  # type: ignore[attr-defined]
    assert comparable(embedded.rows) == comparable(remote.rows)  # type: ignore[attr-defined]
    assert graph_text(embedded.triples) == graph_text(remote.triples)  # type: ignore[attr-defined]


def check_every_query(
    kg: KnowledgeGraph,
    remote: RemoteKnowledgeGraph,
    *,
    inference: bool | None = None,
) -> dict[str, str]:
    """Run every canned query with and without its example parameters, and every quality check,
    on both; each answer must equal the embedded one or be refused with one line. Returns the
    refusals by query name, for the caller to compare with what the layout must refuse."""
    refused: dict[str, str] = {}
    for query in list_queries():
        variants = [example_params(query)]
        if not any(p.required for p in query.params):
            variants.insert(0, {})
        for values in variants:
            if inference is False and query.inference:  # refused alike, before any request
                for graph in (kg, remote):
                    with pytest.raises(QueryParameterError, match="needs the OWL-RL closure"):
                        graph.query(query.name, values, inference=False)
                continue
            try:
                answer = remote.query(query.name, values, inference=inference)
            except RemoteError as err:
                message = str(err)
                assert "\n" not in message, message
                refused[query.name] = message
                continue
            embedded = kg.query(query.name, values, inference=inference)
            assert_same(embedded, answer)
            assert embedded.rows or embedded.triples or inference is False
    for check in list_checks():
        closure = check.inference if inference is None else inference
        try:
            answer = remote.sparql(check.text, inference=closure, canned=True)
        except RemoteError as err:
            refused[check.name] = str(err)
            continue
        assert_same(kg.sparql(check.text, inference=closure), answer)
    return refused


def inference_queries() -> set[str]:
    """The canned queries and checks that need the closure."""
    return {q.name for q in [*list_queries(), *list_checks()] if q.inference}


def graph_queries() -> set[str]:
    """The canned queries and checks that read named graphs (GRAPH)."""
    return {q.name for q in [*list_queries(), *list_checks()] if "GRAPH" in q.text}


def asserted_checks() -> set[str]:
    """The quality checks that run without the closure."""
    return {check.name for check in list_checks() if not check.inference}


def expect_refusals(refused: dict[str, str], names: set[str], *reasons: str) -> None:
    assert set(refused) == names, sorted(set(refused) ^ names)
    for name, message in refused.items():
        if not any(reason in message for reason in reasons):
            pytest.fail(f"{name}: {message}")
