"""The endpoint's kept answers: a repeated query is answered without evaluation, exactly."""

from __future__ import annotations

import asyncio
import os
import signal
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from typing import NamedTuple

from defenders_kg import KnowledgeGraph
from defenders_kg.policy import repeatable
from defenders_kg.web.answers import ENTRY_OVERHEAD, AnswerStore
from defenders_kg.web.pool import Limits, QueryPool
from defenders_kg.web.worker import Reply, error

JSON = ("json", "application/sparql-results+json")


def reply(size: int) -> Reply:
    return Reply(200, "application/json", b"x" * size)


def test_an_answer_is_kept_and_the_least_recently_used_goes_first() -> None:
    # Sixteen answers of 100 bytes each, key and body, and what each entry is counted beyond.
    answers: AnswerStore[Reply] = AnswerStore(budget=16 * (100 + ENTRY_OVERHEAD))
    for n in range(16):
        answers.put((f"q{n:02}",), reply(97))
    assert answers.get(("q00",)) is not None  # q00 is now the most recently used
    answers.put(("q16",), reply(97))
    assert answers.get(("q01",)) is None
    assert all(answers.get((f"q{n:02}",)) is not None for n in (0, *range(2, 17)))
    assert answers.size == answers.budget and len(answers) == 16
    assert (answers.hits, answers.misses) == (17, 1)


def test_errors_and_large_answers_are_never_kept() -> None:
    answers: AnswerStore[Reply] = AnswerStore(budget=16 * (100 + ENTRY_OVERHEAD))
    answers.put(("ASK {",), error(400, "syntax"))
    answers.put(("big",), reply(98))  # with its key, over a sixteenth of the budget
    answers.put(("fit",), reply(97))
    assert len(answers) == 1 and answers.get(("fit",)) is not None
    assert AnswerStore[Reply](budget=0).get(("q",)) is None


def test_a_query_with_a_function_new_on_every_evaluation_is_not_repeatable() -> None:
    for text in ("SELECT (RAND() AS ?r) {}", "SELECT (now() AS ?t) {}",
                 "SELECT (UUID() AS ?u) {}", "SELECT (STRUUID() AS ?u) {}"):  # fmt: skip
        assert not repeatable(text), text
    assert repeatable("SELECT ?now { BIND(1 AS ?now) } # RAND()")
    assert repeatable('SELECT ?s { ?s ?p "NOW()" ; <http://example.org/rand> ?o }')


def test_a_repeated_query_is_answered_with_no_worker_and_a_random_one_is_evaluated_again(
    kg: KnowledgeGraph,
) -> None:
    query = "SELECT ?s WHERE { ?s a <https://schema.org/TVSeries> } ORDER BY ?s"
    random = "SELECT (RAND() AS ?r) WHERE {}"

    async def twice(pool: QueryPool) -> tuple[list[Reply], list[Reply]]:
        first = await pool.answer(query, *JSON)
        draws = [await pool.answer(random, *JSON) for _ in range(2)]
        for process in pool.processes():  # no worker is left to evaluate it again
            os.kill(process, signal.SIGSTOP)
        again = await asyncio.wait_for(pool.answer(query, *JSON), timeout=5)
        for process in pool.processes():
            os.kill(process, signal.SIGCONT)
        return [first, again], draws

    pool = QueryPool(kg, Limits(timeout=30))
    try:
        (first, again), draws = asyncio.run(twice(pool))
    finally:
        pool.close()
    assert first.status == 200 and first.body.count(b"defenders-kg/resource/") >= 1
    assert again is first and pool.answers.hits == 1
    assert draws[0].body != draws[1].body


def test_no_answer_is_kept_when_the_budget_is_zero(kg: KnowledgeGraph) -> None:
    async def twice(pool: QueryPool) -> tuple[Reply, Reply]:
        return await pool.answer("ASK {}", *JSON), await pool.answer("ASK {}", *JSON)

    pool = QueryPool(kg, Limits(answer_cache=0))
    try:
        first, second = asyncio.run(twice(pool))
    finally:
        pool.close()
    assert first == second and first is not second and len(pool.answers) == 0


def call(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> Answered:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answered(response.status, lower(response.headers), response.read())
    except urllib.error.HTTPError as err:
        return Answered(err.code, lower(err.headers), err.read())


def lower(headers: Message) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


class Answered(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes


def post(endpoint: str, query: str, **headers: str) -> Answered:
    body = urllib.parse.urlencode({"query": query}).encode()
    return call(f"{endpoint}/sparql", body, {"Accept": JSON[1], **headers})


def test_a_kept_response_is_the_same_answer_and_headers_that_change_it_are_part_of_its_key(
    endpoint: str,
) -> None:
    query = "SELECT ?series WHERE { ?series a <https://schema.org/TVSeries> } ORDER BY ?series"
    first, again = post(endpoint, query), post(endpoint, query)
    assert first.status == again.status == 200 and first.body == again.body
    assert first.headers["etag"] == again.headers["etag"]
    assert again.headers["x-content-type-options"] == "nosniff"
    # The same request from a page of another origin gets the CORS header; without one, none.
    cross = post(endpoint, query, Origin="https://example.org")
    assert cross.headers.get("access-control-allow-origin") == "*"
    assert "access-control-allow-origin" not in post(endpoint, query).headers
    # The answer in another format, and a revalidation, are answered as asked.
    xml = post(endpoint, query, Accept="application/sparql-results+xml")
    assert xml.body.startswith(b"<?xml") and xml.headers["etag"] != first.headers["etag"]
    assert post(endpoint, query, **{"If-None-Match": first.headers["etag"]}).status == 304
    # The service description names the host it was asked by.
    for host in ("127.0.0.1", "localhost"):
        port = endpoint.rsplit(":", 1)[1]
        described = call(f"{endpoint}/sparql", headers={"Host": f"{host}:{port}"})
        assert f"<http://{host}:{port}/sparql>".encode() in described.body


def test_a_query_with_a_random_value_is_evaluated_on_every_request(endpoint: str) -> None:
    draws = {
        post(endpoint, "SELECT (RAND() AS ?r) (STRUUID() AS ?u) WHERE {}").body for _ in range(3)
    }
    assert len(draws) == 3
