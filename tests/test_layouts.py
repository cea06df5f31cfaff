"""Every Oxigraph layout gives the embedded rows or refuses with one clear line, never less.

Each layout is a real `oxigraph serve` over a fresh folder: without a union default graph, the
graph merged into one named graph, the asserted graph only, a named-graph copy beside the
dataset, and nothing at all. (The documented layout is in test_remote.py.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from servers import oxigraph
from stores import (
    asserted_checks,
    check_every_query,
    expect_refusals,
    graph_queries,
    inference_queries,
)

from defenders_kg import (
    Connection,
    KnowledgeGraph,
    RemoteError,
    RemoteKnowledgeGraph,
    push,
)
from defenders_kg.cli import EXIT_REMOTE, main
from defenders_kg.stores import layout

FAST = Connection(timeout=10, retries=1, backoff=0.01)
ONE_GRAPH = "https://example.org/graph/defenders"


@pytest.fixture()
def folder(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("oxigraph"))


@pytest.fixture()
def plain(folder: str) -> Iterator[str]:
    with oxigraph(folder, union=False) as base:
        yield base


@pytest.fixture()
def union(folder: str) -> Iterator[str]:
    with oxigraph(folder) as base:
        yield base


def test_without_a_union_default_graph_the_dataset_is_named(plain: str, kg: KnowledgeGraph) -> None:
    push(kg, f"{plain}/store", connection=FAST)
    remote = RemoteKnowledgeGraph(f"{plain}/query", FAST)
    assert check_every_query(kg, remote) == {}
    assert not remote.layout.union_default
    assert check_every_query(kg, remote, inference=False) == {}


def test_too_many_graphs_to_name_is_refused_with_the_setup(
    plain: str, kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    push(kg, f"{plain}/store", connection=FAST)
    monkeypatch.setattr(layout, "MAX_LISTED_GRAPHS", 5)
    remote = RemoteKnowledgeGraph(f"{plain}/query", FAST)
    with pytest.raises(RemoteError, match="start it with --union-default-graph"):
        remote.query("cast")


def test_the_asserted_graph_only(union: str, kg: KnowledgeGraph, capsys: pytest.CaptureFixture[str]
                                 ) -> None:  # fmt: skip
    push(kg, f"{union}/store", inferred=False, connection=FAST)
    remote = RemoteKnowledgeGraph(f"{union}/query", FAST)
    expect_refusals(check_every_query(kg, remote), inference_queries(), "OWL-RL closure")
    assert check_every_query(kg, remote, inference=False) == {}
    assert main(["query", "creators", "--endpoint", f"{union}/query"]) == EXIT_REMOTE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs the OWL-RL closure" in err
    assert main(["query", "cast", "--no-inference", "--endpoint", f"{union}/query"]) == 0


def test_one_named_graph(union: str, kg: KnowledgeGraph) -> None:
    count = push(kg, f"{union}/store", graph=ONE_GRAPH, connection=FAST)
    distinct = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } }"
    assert count == int(kg.sparql(distinct).records()[0]["n"])
    remote = RemoteKnowledgeGraph(f"{union}/query", FAST)
    assert (remote.layout.kind, remote.layout.target) == ("graph", ONE_GRAPH)
    # The checks run without the closure, which the one graph mixes in.
    expected = graph_queries() | asserted_checks()
    expect_refusals(check_every_query(kg, remote), expected, "named graphs", "closure is merged")


def test_a_named_graph_copy_beside_the_dataset_does_not_multiply_rows(
    union: str, kg: KnowledgeGraph
) -> None:
    push(kg, f"{union}/store", connection=FAST)
    push(kg, f"{union}/store", graph=ONE_GRAPH, connection=FAST)
    remote = RemoteKnowledgeGraph(f"{union}/query", FAST)
    expected = graph_queries() | asserted_checks()
    expect_refusals(check_every_query(kg, remote), expected, "named graphs", "closure is merged")
    push(kg, f"{union}/store", connection=FAST)  # replaces the whole dataset, copy and all
    remote.forget()
    assert check_every_query(kg, remote) == {}
    assert remote.layout.copies == ()


def test_an_empty_store(union: str) -> None:
    with pytest.raises(RemoteError, match=r"holds no defenders-kg graph.*push first"):
        RemoteKnowledgeGraph(f"{union}/query", FAST).query("cast")


def test_a_layout_belongs_to_the_object_that_probed_it(union: str, kg: KnowledgeGraph) -> None:
    """Probed once per session, never per process: a fresh object probes afresh, and a push
    makes stale only the layouts of the session it is given."""
    push(kg, f"{union}/store", connection=FAST)
    first = RemoteKnowledgeGraph(f"{union}/query", FAST)
    other = RemoteKnowledgeGraph(f"{union}/query", FAST)
    layout = first.layout
    assert first.layout is layout and other.layout is not layout
    assert (layout.kind, other.layout.kind) == ("dataset", "dataset")
    push(kg, f"{union}/store", graph=ONE_GRAPH, connection=FAST, session=first.session)
    assert (first.layout.kind, first.layout.target) == ("graph", ONE_GRAPH)
    assert other.layout.kind == "dataset"  # its own session: kept until it is told
    assert RemoteKnowledgeGraph(f"{union}/query", FAST).layout.kind == "graph"
    other.forget()
    assert other.layout.kind == "graph"
