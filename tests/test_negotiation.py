"""Content negotiation by RFC 9110 section 12.5.1, and ETags with If-None-Match (section 13.1.2).

One table of vectors runs against ``formats.negotiate``, the endpoint's ``/sparql`` and a
resource IRI's 303, so the three cannot drift apart.
"""

from __future__ import annotations

import http.client
import urllib.parse

import pytest

from defenders_kg import formats
from defenders_kg.web.endpoint import ASK_TYPES, GRAPH_TYPES, SELECT_TYPES
from defenders_kg.web.iris import offered, suffix_of

OFFERS = {"resource": offered(), "select": SELECT_TYPES, "ask": ASK_TYPES,
          "construct": GRAPH_TYPES}  # fmt: skip
QUERIES = {
    "select": "SELECT ?s WHERE { ?s a <https://schema.org/TVSeries> }",
    "ask": "ASK { ?s a <https://schema.org/TVSeries> }",
    "construct": "CONSTRUCT { ?s a <https://schema.org/TVSeries> } "
    "WHERE { ?s a <https://schema.org/TVSeries> }",
}
SRJ, SRX = "application/sparql-results+json", "application/sparql-results+xml"
REFUSE_JSON = "application/sparql-results+json;q=0, application/json;q=0, */*;q=0.1"

#: (what the vector shows, offers, Accept, the media type chosen; None: 406)
VECTORS = [
    ("q=0 beside a wildcard", "resource", "text/turtle;q=0, */*;q=0.1", "text/html"),
    ("q=0 beside a wildcard", "construct", "text/turtle;q=0, */*;q=0.1", "application/n-triples"),
    ("q=0 on both JSON types", "ask", REFUSE_JSON, SRX),
    ("q=0 on both JSON types", "select", REFUSE_JSON, SRX),
    ("q=0 on one alias refuses the format", "ask", "application/json;q=0, */*", SRX),
    ("q=0 on HTML's two types", "resource", "text/html;q=0, application/xhtml+xml;q=0, */*",
     "text/turtle"),
    ("q=0 alone", "resource", "text/turtle;q=0", None),
    ("case", "resource", "TEXT/TURTLE", "text/turtle"),
    ("case", "ask", "Application/SPARQL-Results+JSON", SRJ),
    ("case of q", "resource", "text/turtle;Q=0.5, application/ld+json;q=0.4", "text/turtle"),
    ("specificity", "resource", "text/*, text/html;q=0.1", "text/turtle"),
    ("specificity", "select", "application/*;q=0.5, text/tab-separated-values;q=0.5",
     "text/tab-separated-values"),
    ("equal q: the more specific match", "resource", "*/*;q=0.1, application/ld+json;q=0.1",
     "application/ld+json"),
    ("equal q and specificity: the server's order", "resource",
     "application/ld+json, text/turtle", "text/turtle"),
    ("equal q and specificity: the server's order", "ask", "application/json, " + SRJ, SRJ),
    ("an alias keeps its name", "resource", "application/x-turtle", "application/x-turtle"),
    ("a browser", "resource", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
     "text/html"),
    ("parameters and spaces", "resource",
     "text/turtle ; charset=utf-8 ; q=0.5 , application/ld+json ; q=0.6 ; ext=1",
     "application/ld+json"),
    ("malformed q drops the range", "resource", "text/turtle;q=abc, application/ld+json;q=0.5",
     "application/ld+json"),
    ("q above 1 drops the range", "resource", "application/ld+json;q=2, text/turtle;q=0.1",
     "text/turtle"),
    ("no valid range: no preference", "resource", "text/turtle;q=1.5", "text/html"),
    ("a range without a slash is dropped", "select", "csv, text/tab-separated-values",
     "text/tab-separated-values"),
    ("empty Accept", "resource", "", "text/html"),
    ("empty Accept", "select", "", SRJ),
    ("empty Accept", "construct", "   ", "text/turtle"),
    ("nothing fits", "ask", "text/csv", None),
]  # fmt: skip
IDS = [f"{why} | {offers} | {accept}" for why, offers, accept, _ in VECTORS]


def fetch(
    url: str, headers: dict[str, str], data: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request without following redirects: status, headers (lower-case names), body."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    if data is not None:
        headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
    connection.request("POST" if data is not None else "GET", parts.path, data, headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def accept_header(accept: str) -> dict[str, str]:
    return {"Accept": accept} if accept else {}


@pytest.mark.parametrize(("why", "offers", "accept", "chosen"), VECTORS, ids=IDS)
def test_negotiate_follows_rfc_9110(why: str, offers: str, accept: str, chosen: str) -> None:
    assert formats.negotiate(accept, OFFERS[offers]) == chosen, why


QUERY_VECTORS = [v for v in VECTORS if v[1] in QUERIES]


@pytest.mark.parametrize(("why", "offers", "accept", "chosen"), QUERY_VECTORS,
                         ids=[IDS[VECTORS.index(v)] for v in QUERY_VECTORS])  # fmt: skip
def test_the_endpoint_negotiates_by_the_same_table(
    endpoint: str, why: str, offers: str, accept: str, chosen: str | None
) -> None:
    data = urllib.parse.urlencode({"query": QUERIES[offers]}).encode()
    status, headers, _ = fetch(f"{endpoint}/sparql", accept_header(accept), data)
    if chosen is None:
        assert status == 406, why
    else:
        assert status == 200, why
        assert headers["content-type"].split(";")[0] == chosen, why


RESOURCE_VECTORS = [v for v in VECTORS if v[1] == "resource"]


@pytest.mark.parametrize(("why", "offers", "accept", "chosen"), RESOURCE_VECTORS,
                         ids=[IDS[VECTORS.index(v)] for v in RESOURCE_VECTORS])  # fmt: skip
def test_a_resource_negotiates_by_the_same_table(
    endpoint: str, why: str, offers: str, accept: str, chosen: str | None
) -> None:
    status, headers, _ = fetch(f"{endpoint}/resource/charlie-cox", accept_header(accept))
    if chosen is None:
        assert status == 406, why
    else:
        suffix = suffix_of(OFFERS[offers][chosen])
        assert (status, headers["location"]) == (303, f"charlie-cox.{suffix}"), why


# -- ETags -----------------------------------------------------------------------------------------


def test_the_303_carries_an_etag(endpoint: str) -> None:
    status, headers, body = fetch(f"{endpoint}/resource/charlie-cox", {"Accept": "text/turtle"})
    assert status == 303 and body
    assert headers["etag"].startswith('"') and headers["etag"].endswith('"')
    _, html, _ = fetch(f"{endpoint}/resource/charlie-cox", {"Accept": "text/html"})
    assert html["etag"] != headers["etag"]  # one per Location


def test_a_404_and_a_406_carry_an_etag(endpoint: str) -> None:
    for name, accept in (("nobody-at-all", "text/turtle"), ("charlie-cox", "image/png")):
        status, headers, body = fetch(f"{endpoint}/resource/{name}", {"Accept": accept})
        assert status in (404, 406) and body and headers["etag"].startswith('"')


def document_etag(endpoint: str) -> str:
    status, headers, _ = fetch(f"{endpoint}/resource/charlie-cox.ttl", {})
    assert status == 200
    return headers["etag"]


@pytest.mark.parametrize("form", [
    "{etag}", "W/{etag}", '"other", {etag}', '"other",W/{etag} , "more"', "*", " * ",
])  # fmt: skip
def test_if_none_match_answers_304_to_weak_list_and_star(endpoint: str, form: str) -> None:
    etag = document_etag(endpoint)
    status, headers, body = fetch(
        f"{endpoint}/resource/charlie-cox.ttl", {"If-None-Match": form.format(etag=etag)}
    )
    assert (status, body) == (304, b"")
    assert headers["etag"] == etag


@pytest.mark.parametrize("form", ['"other"', 'W/"other", "more"', "", "{bare}"])
def test_if_none_match_of_another_tag_answers_200(endpoint: str, form: str) -> None:
    etag = document_etag(endpoint)
    header = form.format(bare=etag.strip('"'))
    status, headers, body = fetch(
        f"{endpoint}/resource/charlie-cox.ttl", {"If-None-Match": header} if header else {}
    )
    assert status == 200 and body and headers["etag"] == etag


def test_if_none_match_star_does_not_hide_a_404(endpoint: str) -> None:
    status, _, body = fetch(f"{endpoint}/resource/nobody-at-all.ttl", {"If-None-Match": "*"})
    assert status == 404 and body
