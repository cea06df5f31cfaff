"""The canned queries: strict headers, typed parameters, golden answers reviewed by eye."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from defenders_kg import (
    KnowledgeGraph,
    QueryDefinitionError,
    QueryNotFoundError,
    QueryParameterError,
    get_query,
    list_queries,
)
from defenders_kg.cli import main
from defenders_kg.queries import Query, parse_query_file

GOLDEN = Path(__file__).parent / "golden"
QUERIES = list_queries()
REQUIRED = {
    "actors-reprising-roles",
    "cast",
    "returning-cast",
    "new-cast",
    "creators",
    "showrunners",
    "production-companies",
    "characters",
    "based-on",
    "universe",
    "filming",
    "release",
    "timeline",
    "reception",
    "viewership",
    "evidence",
}


def example_params(query: Query) -> dict[str, str]:
    words = shlex.split(query.example)
    return dict(words[i + 1].split("=", 1) for i, w in enumerate(words) if w == "--param")


def golden_params(query: Query) -> dict[str, str]:
    """Queries with a required parameter use their documented example; the others run unbound."""
    return example_params(query) if any(p.required for p in query.params) else {}


def golden_text(kg: KnowledgeGraph, query: Query) -> str:
    result = kg.query(query.name, golden_params(query))
    if result.kind == "graph":
        return result.serialize("nt") and "".join(sorted(result.serialize("nt").splitlines(True)))
    return result.serialize("csv").replace("\r\n", "\n")


def golden_path(query: Query) -> Path:
    return GOLDEN / f"{query.name}.{'nt' if query.form in ('CONSTRUCT', 'DESCRIBE') else 'csv'}"


def test_the_catalogue_has_every_required_query() -> None:
    assert {q.name for q in QUERIES} >= REQUIRED


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_golden_result(query: Query, kg: KnowledgeGraph, request: pytest.FixtureRequest) -> None:
    path = golden_path(query)
    actual = golden_text(kg, query)
    if request.config.getoption("--update-golden"):
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{query.name} has no golden file {path.name}"
    assert actual == path.read_text(encoding="utf-8")
    assert actual.count("\n") > 1, "a golden answer has at least one row"


def test_every_golden_file_belongs_to_a_query() -> None:
    files = sorted(GOLDEN.iterdir())
    assert files
    assert {f.stem for f in files} == {q.name for q in QUERIES}


def _projected(clause: str) -> set[str]:
    """The names a SELECT clause projects: bare variables, and the alias of each expression."""
    names, depth = set(), 0
    for token in re.findall(r"\(|\)|\bAS\s+\?\w+|\?\w+", clause):
        if token in "()":
            depth += 1 if token == "(" else -1
        elif token.startswith("AS"):
            names.add(token.split("?")[1])
        elif depth == 0:
            names.add(token[1:])
    return names


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_query_shape(query: Query) -> None:
    assert query.summary.endswith(".") and query.description
    assert query.tags
    assert query.example.startswith(f"defenders-kg query {query.name}")
    if query.form == "SELECT":
        order = re.search(r"^ORDER BY (.*)$", query.text, flags=re.MULTILINE)
        assert order, "every SELECT orders its rows"
        projected = re.search(r"^SELECT (.*)$", query.text, flags=re.MULTILINE)
        assert projected
        names = _projected(projected.group(1))
        missing = names - set(re.findall(r"\?(\w+)", order.group(1)))
        assert not missing, f"ties would leave the order to the engine: ORDER BY lacks {missing}"
        assert re.search(
            r"\?\w+Name\b|\?\w*(Text|text|aspect|measure|classes)\b", projected.group(1)
        ), "rows carry readable labels"


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_example_runs(query: Query, capsys: pytest.CaptureFixture[str]) -> None:
    args = shlex.split(query.example)[1:]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.strip() and "(0 rows)" not in out, "an example shows at least one row"


@pytest.mark.parametrize(
    ("header", "error"),
    [
        ("", "no '#+' header"),
        ("#+ summary: [unclosed\n", "not valid YAML"),
        (
            "#+ summary: S.\n#+ description: D.\n#+ tags: [a]\n#+ inference: false\n",
            "lacks 'example'",
        ),
        (
            "#+ summary: S.\n#+ description: D.\n#+ tags: [a]\n#+ inference: false\n#+ example: x\n"
            "#+ colour: red\n",
            "unknown header key 'colour'",
        ),
        (
            "#+ summary: S.\n#+ description: D.\n#+ tags: [a]\n#+ inference: false\n#+ example: x\n"
            "#+ params:\n#+   ghost: {type: string}\n",
            "declares parameter 'ghost' it does not use",
        ),
        (
            "#+ summary: S.\n#+ description: D.\n#+ tags: [a]\n#+ inference: maybe\n"
            "#+ example: x\n",
            "'inference' must be true or false",
        ),
        (
            "#+ summary: S.\n#+ description: D.\n#+ tags: [a]\n#+ inference: false\n#+ example: x\n"
            "#+ params:\n#+   s: {type: float}\n",
            "unknown type 'float'",
        ),
    ],
)
def test_bad_headers_are_refused(header: str, error: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.rq"
    path.write_text(header + "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s\n", encoding="utf-8")
    with pytest.raises(QueryDefinitionError, match=re.escape(error)):
        parse_query_file(path)


def test_a_parameter_narrows_the_rows(kg: KnowledgeGraph) -> None:
    rows = kg.query("cast", {"actorName": "Élodie Yung"}).records()
    assert [r["actorName"] for r in rows] == ["Élodie Yung"]
    negative = kg.query("reception", {"sentiment": "dkg:Negative"}).records()
    assert len(negative) == 3 and {r["sentimentName"] for r in negative} == {"negative"}


@pytest.mark.parametrize(
    "value",
    [
        'Charlie Cox" } UNION { ?s ?p ?o',
        "Charlie Cox'",
        "}",
        "x } UNION { ?credit ?p ?o }",
        "Cox\nFILTER(true)",
        "# comment",
        "\\",
        'Charlie Cox" . } #',
    ],
)
def test_injection_is_data(value: str, kg: KnowledgeGraph) -> None:
    assert kg.query("cast", {"actorName": value}).rows == []
    with pytest.raises(QueryParameterError, match="no entity has the label or IRI"):
        kg.query("evidence", {"entity": value})  # the lookup, too, took the value as data


def test_injection_changes_only_the_value_matched(kg: KnowledgeGraph) -> None:
    """A quote inside a value is matched literally: a label containing it would be found."""
    plain = kg.query("cast", {"actorName": "Charlie Cox"}).records()
    assert len(plain) == 1
    assert kg.query("cast", {"actorName": "Charlie Cox "}).rows == []


def test_evidence_by_label_and_by_iri_agree(kg: KnowledgeGraph) -> None:
    by_label = kg.query("evidence", {"entity": "Charlie Cox"})
    by_iri = kg.query("evidence", {"entity": "https://w3id.org/defenders-kg/resource/charlie-cox"})
    assert by_label.rows and by_label.rows == by_iri.rows
    sentences = {r["sentenceNumber"] for r in by_label.records()}
    assert sentences == {4, 6}


def test_parameter_errors(kg: KnowledgeGraph) -> None:
    with pytest.raises(QueryParameterError, match="has no parameter 'who'"):
        kg.query("cast", {"who": "x"})
    with pytest.raises(QueryParameterError, match="needs parameter 'entity'"):
        kg.query("evidence")
    with pytest.raises(QueryParameterError, match="expects an absolute IRI"):
        kg.query("reception", {"sentiment": "not an iri"})


def test_unknown_query_suggests_close_names() -> None:
    with pytest.raises(QueryNotFoundError, match="did you mean actors-reprising-roles"):
        get_query("actors-reprising-role")


@pytest.mark.parametrize("query", [q for q in QUERIES if not q.inference], ids=lambda q: q.name)
def test_the_closure_does_not_change_queries_that_do_not_need_it(
    query: Query, kg: KnowledgeGraph
) -> None:
    """So that a remote store holding everything answers them unchanged (see stores/client.py)."""
    params = golden_params(query)
    assert kg.query(query.name, params).rows == kg.query(query.name, params, inference=True).rows


def test_an_entity_is_found_by_label_full_iri_or_prefixed_name(kg: KnowledgeGraph) -> None:
    by_label = kg.evidence("Charlie Cox").rows
    assert by_label
    for name in ("https://w3id.org/defenders-kg/resource/charlie-cox", "dkgr:charlie-cox"):
        assert kg.evidence(name).rows == by_label
    assert len(kg.describe("dkgr:matt-murdock").triples) == len(kg.describe("Matt Murdock").triples)


def test_a_label_parameter_reaches_the_query_as_the_stored_literals() -> None:
    """So that an engine looks the label up in its index instead of reading every label."""
    text = get_query("evidence").bind({"entity": "Charlie Cox"})
    assert 'VALUES (?entity) { ("Charlie Cox"@en) ("Charlie Cox") }' in text
    assert text.index("VALUES") < text.index("rdfs:label ?entity")


def test_a_store_text_gives_the_shared_text_rows_for_every_entity(kg: KnowledgeGraph) -> None:
    """queries/virtuoso/ holds texts written for Virtuoso's planner; each must ask exactly what
    the shared text asks, so they are compared on every label and every labelled IRI."""
    from defenders_kg import paths
    from defenders_kg.queries import for_store

    variants = sorted(paths.store_queries_dir("virtuoso").glob("*.rq"))
    assert variants
    labelled = kg.sparql(
        "SELECT DISTINCT ?s ?label WHERE { ?s rdfs:label ?label }", inference=False
    )
    entities = sorted(
        {str(term.value) for row in labelled.rows for term in row if term is not None}
    )
    assert len(entities) > 500
    for path in variants:
        shared = get_query(path.stem)
        own = for_store(shared, "virtuoso")
        assert own.text != shared.text and own.params == shared.params
        for entity in entities:
            values = {"entity": entity}
            try:
                expected = kg.sparql(shared.bind(values), inference=False).rows
            except QueryParameterError:
                continue
            assert kg.sparql(own.bind(values), inference=False).rows == expected, entity
