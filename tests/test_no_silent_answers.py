"""No silent wrong answer (issue 23, items 4 and 8): what used to answer "(0 rows)", keep one value
of two, or fail late is refused at once with one line; the project's prefixes need no PREFIX line;
``SELECT *`` keeps the columns as written. The endpoint cases run against a real ``serve``."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from defenders_kg import DataLoadError, KnowledgeGraph, QueryParameterError
from defenders_kg.cli import EXIT_OK, EXIT_USAGE, main
from defenders_kg.queries import list_queries
from defenders_kg.vocab import PREFIXES


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def get(url: str, accept: str = "application/sparql-results+json") -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def one_error_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("defenders-kg: error: "), err
    return err.removeprefix("defenders-kg: error: ").strip()


# Item 4: a query that needs the closure, run without it, is refused.


def test_a_query_that_needs_inference_is_refused_without_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(["query", "creators", "--no-inference"], capsys)
    assert code == EXIT_USAGE and out == ""
    assert "'creators' needs the OWL-RL closure" in one_error_line(err)
    needing = [query for query in list_queries() if query.inference]
    assert needing, "no canned query says it needs inference"
    for query in needing:
        params = {p.name: "Charlie Cox" for p in query.params if p.required}
        with pytest.raises(QueryParameterError, match="needs the OWL-RL closure"):
            KnowledgeGraph().query(query.name, params, inference=False)
    assert run(["query", "cast", "--no-inference", "--format", "csv"], capsys)[0] == EXIT_OK


# Item 4: a parameter takes one value; a repeated one is refused, never half kept.


def test_a_repeated_param_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["query", "cast", "--param", "actorName=Charlie Cox", "--param", "actorName=Finn Jones"]
    code, out, err = run(args, capsys)
    assert code == EXIT_USAGE and out == ""
    assert "'actorName' takes one value, got 'Charlie Cox' and 'Finn Jones'" in one_error_line(err)


TWO_CASTS = """#+ summary: The cast, for several actors at once.
#+ description: A query whose parameter is declared multi-valued.
#+ tags: [cast]
#+ params:
#+   actorName: {type: string, required: true, multiple: true, description: "Actors' names."}
#+   entity: {type: label, required: false, multiple: true, description: "Labels."}
#+ inference: false
#+ example: defenders-kg query two-casts --param actorName="Charlie Cox"
PREFIX dkg: <https://w3id.org/defenders-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?actorName WHERE {
  ?credit dkg:actor ?actor . ?actor rdfs:label ?label . OPTIONAL { ?actor rdfs:label ?entity }
  BIND(STR(?label) AS ?actorName)
} ORDER BY ?actorName
"""


def test_a_multi_valued_param_binds_every_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "two-casts.rq").write_text(TWO_CASTS, encoding="utf-8")
    monkeypatch.setattr("defenders_kg.paths.queries_dir", lambda: tmp_path)
    args = ["query", "two-casts", "--format", "csv"]
    args += ["--param", "actorName=Finn Jones", "--param", "actorName=Charlie Cox"]
    code, out, _ = run(args, capsys)
    assert code == EXIT_OK and out.splitlines() == ["actorName", "Charlie Cox", "Finn Jones"]
    args += ["--param", "entity=Charlie Cox", "--param", "entity=Nobody"]
    code, out, err = run(args, capsys)
    assert code == EXIT_USAGE and one_error_line(err) == "no entity has the label or IRI 'Nobody'"


def test_a_repeated_param_is_refused_by_the_endpoint(endpoint: str) -> None:
    query = urllib.parse.urlencode([("actorName", "Charlie Cox"), ("actorName", "Finn Jones")])
    status, body = get(f"{endpoint}/queries/cast?{query}")
    assert status == 400 and b"'actorName' takes one value, got 'Charlie Cox' and" in body


# Item 4: an entity the graph does not have is exit 2 with one line, for every command and
# parameter that takes one.


def entity_calls() -> list[list[str]]:
    calls = [["describe", "Nobody"]]
    for query in list_queries():
        for param in query.params:
            if param.type in ("label", "iri"):
                value = "Nobody" if param.type == "label" else "dkgr:nobody"
                calls.append(["query", query.name, "--param", f"{param.name}={value}"])
    assert len(calls) >= 4, calls  # describe, and the evidence, describe and reception queries
    return calls


@pytest.mark.parametrize("args", entity_calls(), ids=" ".join)
def test_an_unknown_entity_is_a_usage_error(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(args, capsys)
    assert code == EXIT_USAGE and out == ""
    wanted = "'Nobody'" if "dkgr:nobody" not in args[-1] else "'dkgr:nobody'"
    assert one_error_line(err).startswith("no entity has the ") and wanted in err


def test_a_known_entity_still_answers(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["query", "evidence", "--param", "entity=dkgr:charlie-cox", "--format", "csv"]
    code, out, _ = run(args, capsys)
    assert code == EXIT_OK and len(out.splitlines()) > 2
    args = ["query", "reception", "--param", "sentiment=dkg:Positive", "--format", "csv"]
    assert run(args, capsys)[0] == EXIT_OK


def test_an_unknown_entity_is_refused_by_the_endpoint(endpoint: str) -> None:
    status, body = get(f"{endpoint}/queries/evidence?entity=Nobody")
    assert status == 400 and body == b"no entity has the label or IRI 'Nobody'\n"
    status, body = get(f"{endpoint}/queries/evidence?entity=Charlie%20Cox")
    assert status == 200 and json.loads(body)["results"]["bindings"]


# Item 4: the library checks its sources when constructed, not at the first query.


def test_a_missing_source_fails_when_constructed(tmp_path: Path) -> None:
    with pytest.raises(DataLoadError, match=r"missing\.ttl: no such file"):
        KnowledgeGraph([tmp_path / "missing.ttl"])
    folder = tmp_path / "folder.ttl"
    folder.mkdir()
    with pytest.raises(DataLoadError, match="not a readable file"):
        KnowledgeGraph([folder])
    with pytest.raises(DataLoadError, match="no such file"):
        KnowledgeGraph(tmp_path / "missing.ttl", with_embedded=True)


# Item 8: the prefixes every table prints need no PREFIX line; a query's own PREFIX wins.


def test_the_project_prefixes_need_no_prefix_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["sparql", "SELECT ?p WHERE { dkgr:charlie-cox ?p ?o }"], capsys)
    assert code == EXIT_OK and "dkg:castMemberOf" in out
    kg = KnowledgeGraph()
    for prefix, namespace in PREFIXES.items():
        row = kg.sparql(f"SELECT ({prefix}:x AS ?iri) WHERE {{}}").records()[0]
        assert row["iri"] == namespace + "x"


def test_a_query_s_own_prefix_wins(capsys: pytest.CaptureFixture[str]) -> None:
    own = "PREFIX dkgr: <http://example.org/> SELECT (dkgr:charlie-cox AS ?iri) WHERE {}"
    code, out, _ = run(["sparql", own, "--format", "csv"], capsys)
    assert code == EXIT_OK and out.splitlines()[1] == "http://example.org/charlie-cox"


def test_the_endpoint_takes_the_project_prefixes(endpoint: str) -> None:
    query = urllib.parse.quote("SELECT ?p WHERE { dkgr:charlie-cox ?p ?o } ORDER BY ?p")
    status, body = get(f"{endpoint}/sparql?query={query}")
    assert status == 200
    predicates = [row["p"]["value"] for row in json.loads(body)["results"]["bindings"]]
    assert PREFIXES["dkg"] + "castMemberOf" in predicates
    own = urllib.parse.quote("PREFIX dkgr: <http://example.org/> ASK { dkgr:charlie-cox ?p ?o }")
    status, body = get(f"{endpoint}/sparql?query={own}")
    assert status == 200 and json.loads(body)["boolean"] is False


# Item 8: SELECT * keeps the variables in the order they appear in the query.

STARS = {
    "SELECT * WHERE { ?s ?p ?o } LIMIT 1": ["s", "p", "o"],
    "SELECT DISTINCT * WHERE { ?zz dkg:actor ?aa . BIND(1 AS ?m) } LIMIT 1": ["zz", "aa", "m"],
    "SELECT ?o ?s WHERE { ?s ?p ?o } LIMIT 1": ["o", "s"],
    "SELECT * WHERE { { SELECT ?b ?a WHERE { ?a ?x ?b } LIMIT 1 } }": ["b", "a"],
}


@pytest.mark.parametrize("text", STARS)
def test_select_star_keeps_the_written_order(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = KnowledgeGraph().sparql(text)
    assert result.variables == STARS[text] and len(result.rows[0]) == len(STARS[text])
    code, out, _ = run(["sparql", text, "--format", "csv"], capsys)
    assert code == EXIT_OK and out.splitlines()[0] == ",".join(STARS[text])
    record = result.records()[0]
    assert set(record) <= set(STARS[text])


def test_select_star_keeps_the_written_order_on_the_endpoint(endpoint: str) -> None:
    for text, order in STARS.items():
        status, body = get(f"{endpoint}/sparql?query={urllib.parse.quote(text)}")
        assert status == 200 and json.loads(body)["head"]["vars"] == order
        status, body = get(f"{endpoint}/sparql?query={urllib.parse.quote(text)}", "text/csv")
        assert status == 200 and body.decode().splitlines()[0] == ",".join(order)
