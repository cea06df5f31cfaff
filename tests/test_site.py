"""The static site: every page with its descriptions, relative links only, w3id redirect rules."""

from __future__ import annotations

import html
import re
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from defenders_kg import KnowledgeGraph
from defenders_kg.cli import EXIT_OK, EXIT_OUTPUT, main
from defenders_kg.errors import ExportError
from defenders_kg.vocab import DKGR
from defenders_kg.web import site as web_site
from defenders_kg.web.documents import render
from defenders_kg.web.iris import suffix_of, target
from defenders_kg.web.lookup import StoreRunner
from defenders_kg.web.site import DEFAULT_BASE_URL, build_site, htaccess

HREF = re.compile(r'(?:href|src)="([^"]*)"')


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, kg: KnowledgeGraph) -> Path:
    folder = tmp_path_factory.mktemp("site")
    report = build_site(kg.store(inference=True), folder)
    assert report.pages > 100
    return folder


def test_every_resource_has_a_page_and_its_descriptions(site: Path) -> None:
    pages = sorted((site / "resource").glob("*.html"))
    assert len(pages) > 100
    for page in pages:
        for suffix in (".ttl", ".jsonld", ".nt", ".rdf", ".trig", ".nq"):
            assert page.with_suffix(suffix).is_file(), page.with_suffix(suffix)
    for graph in ("document", "inferred", "ontology"):
        assert (site / "graph" / f"{graph}.html").is_file()
    assert (site / "ontology.html").is_file() and (site / "ontology.ttl").is_file()
    assert (site / "index.html").is_file()


def test_the_descriptions_parse_and_agree(site: Path) -> None:
    for name in ("charlie-cox", "the-defenders", "date-april"):
        stem = site / "resource" / name
        turtle = {
            q.triple for q in ox.parse(path=stem.with_suffix(".ttl"), format=ox.RdfFormat.TURTLE)
        }
        assert turtle
        trig = set(ox.parse(path=stem.with_suffix(".trig"), format=ox.RdfFormat.TRIG))
        assert {q.triple for q in trig} == turtle
        jsonld = set(ox.parse(path=stem.with_suffix(".jsonld"), format=ox.RdfFormat.JSON_LD))
        assert {q.triple for q in jsonld} == turtle


_GRAPH_SUFFIXES = {".ttl": "turtle", ".jsonld": "json-ld", ".nt": "nt", ".rdf": "xml"}


def test_every_graph_document_of_the_site_parses_as_a_non_empty_graph(site: Path) -> None:
    documents = sorted(p for p in site.rglob("*") if p.suffix in _GRAPH_SUFFIXES)
    assert len(documents) > 300
    for path in documents:
        graph = rdflib.Graph().parse(path, format=_GRAPH_SUFFIXES[path.suffix])
        assert len(graph) > 0, path
        native = ox.RdfFormat.from_extension(path.suffix[1:])
        assert native is not None, path
        assert len(set(ox.parse(path=path, format=native))) == len(graph), path


def test_the_site_holds_the_documents_the_endpoint_serves(site: Path, kg: KnowledgeGraph) -> None:
    runner = StoreRunner(kg.store(inference=True))
    where = target("resource", "charlie-cox")
    assert where is not None
    for fmt in ("turtle", "jsonld", "html"):
        served = render(runner, where, fmt).body
        written = (site / "resource" / f"charlie-cox.{suffix_of(fmt)}").read_bytes()
        assert written == served


def test_links_are_relative_and_lead_to_files_of_the_site(site: Path) -> None:
    """Every link of every page leads to a file of the site, and every fragment to an element of
    its page with that id (``ontology.html#castMemberOf``, ``source-document.html#char=55,63``)."""
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 100
    ids: dict[Path, set[str]] = {}

    def ids_of(page: Path) -> set[str]:
        if page not in ids:
            found = re.findall(r'\bid="([^"]*)"', page.read_text(encoding="utf-8"))
            ids[page] = {html.unescape(value) for value in found}
        return ids[page]

    checked = fragments = 0
    for page in pages:
        for link in HREF.findall(page.read_text(encoding="utf-8")):
            link = html.unescape(link)
            if link.startswith(("http://", "https://", "mailto:", "data:")):
                continue
            assert not link.startswith("/"), f"{page}: {link}"
            assert "?query=" not in link, f"{page}: the static site has no query page"
            path, _, fragment = link.partition("#")
            found = (page.parent / path).resolve() if path else page.resolve()
            assert found.is_file(), f"{page}: {link}"
            assert site.resolve() in found.parents
            if fragment:
                assert urllib.parse.unquote(fragment) in ids_of(found), f"{page}: {link}"
                fragments += 1
            checked += 1
    assert checked > 1000 and fragments > 1000


def test_the_redirect_rules_send_each_iri_to_its_document() -> None:
    rules = htaccess("https://example.org/kg/")
    assert "RewriteEngine on" in rules
    assert "Header always set Vary Accept env=NEGOTIATED" in rules
    flags = "[R=303,L,E=NEGOTIATED:1]"
    assert (
        r"RewriteCond %{HTTP_ACCEPT} (^|,)\s*(text/turtle|application/x\-turtle)\s*"
        r"(,|$|;(?!([^,]*;)?\s*q\s*=\s*0)) [NC]"
        "\nRewriteRule ^resource/([A-Za-z0-9_~-]+)$ https://example.org/kg/resource/$1.ttl " + flags
    ) in rules
    for suffix in ("html", "ttl", "nt", "jsonld", "rdf", "trig", "nq"):
        assert f"https://example.org/kg/resource/$1.{suffix} {flags}" in rules
    ontology = r"^ontology(/[A-Za-z0-9._~-]+)*$"
    assert f"RewriteRule {ontology} https://example.org/kg/ontology.html {flags}" in rules
    assert (
        f"RewriteRule ^graph/([A-Za-z0-9_~-]+)$ https://example.org/kg/graph/$1.html {flags}\n"
        "RewriteRule ^graph/([A-Za-z0-9_~-]+)$ - [R=406,L,E=NEGOTIATED:1]\n" in rules
    )


def test_the_site_writes_the_htaccess_for_its_base_url(site: Path) -> None:
    rules = (site / ".htaccess").read_text(encoding="utf-8")
    assert rules == htaccess(DEFAULT_BASE_URL)
    assert f"{DEFAULT_BASE_URL}resource/$1.html [R=303,L,E=NEGOTIATED:1]" in rules


def test_the_site_command_writes_the_site_and_rebuilds_it_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "public"
    assert main(["site", "-o", str(out), "--base-url", "https://example.org/kg/"]) == EXIT_OK
    assert "https://example.org/kg/resource/$1.html" in (out / ".htaccess").read_text()
    assert (out / "resource" / "charlie-cox.jsonld").is_file()
    assert re.search(r"wrote \d+ pages \(\d+ files\) to ", capsys.readouterr().err)
    stale = out / "resource" / "gone.html"
    stale.write_text("from an earlier build")
    assert main(["site", "-o", str(out)]) == EXIT_OK
    assert not stale.exists(), "a rebuild replaces the earlier site as a whole"
    assert [p.name for p in tmp_path.iterdir()] == ["public"], "no staging folder is left"


def test_the_site_command_follows_a_symlink_to_its_folder(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    assert main(["site", "-o", str(link)]) == EXIT_OK
    assert link.is_symlink() and (real / "index.html").is_file()


def test_a_folder_with_other_content_is_refused_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert main(["site", "-o", str(mine)]) == EXIT_OUTPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not written by `defenders-kg site`" in err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_a_failure_midway_leaves_the_earlier_site_as_it_was(
    tmp_path: Path, kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "public"
    build_site(kg.store(inference=True), out)
    for earlier in out.rglob("*.ttl"):
        earlier.write_text("from the earlier build")
    before = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    made: list[int] = []

    def fail_on_the_fifth(*args: object, **kwargs: object) -> object:
        made.append(1)
        if len(made) == 5:
            raise ExportError("disk full")
        return real_documents(*args, **kwargs)

    real_documents = web_site.documents
    monkeypatch.setattr(web_site, "documents", fail_on_the_fifth)
    with pytest.raises(ExportError, match="disk full"):
        build_site(kg.store(inference=True), out)
    assert {
        str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()
    } == before
    assert [p.name for p in tmp_path.iterdir()] == ["public"], "the staging folder is removed"


def test_no_heading_of_the_site_is_ungrammatical(site: Path) -> None:
    bad = re.compile(r"\b(of of|is has|is is|has has)\b", re.IGNORECASE)
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 100
    for page in pages:
        for heading in re.findall(r"<h\d[^>]*>(.*?)</h\d>", page.read_text(encoding="utf-8"), re.S):
            text = re.sub(r"<[^>]+>", "", heading)
            assert not bad.search(text), (page.name, text)


def _texts(html_text: str) -> list[str]:
    """The visible text of each link of the index."""
    return [
        html.unescape(re.sub(r"<[^>]+>", "", item))
        for item in re.findall(r'<li><a href="resource/[^"]+\.html">(.*?)</li>', html_text)
    ]


def test_the_index_escapes_once_and_tells_same_label_entities_apart(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    texts = _texts(index)
    assert len(texts) > 100
    assert "Critics on Sigourney Weaver's performance" in texts, "escaped once, read as text once"
    # Three resources are labelled "Daredevil": each is listed with its type.
    for kind in ("Fictional Character", "Television Series", "Superhero Identity"):
        assert f"Daredevil ({kind})" in texts
    assert "The Defenders (Superhero Team)" in texts
    assert len(set(texts)) == len(texts), "no two entries of the index read the same"
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "&amp;#" not in text and "&amp;amp;" not in text and "&amp;quot;" not in text, page


#: A link to a term, and the words after it that tell it apart from others of its label.
_TERM_LINK = re.compile(
    r'<a href="[^"]*" title="([^"]+)">([^<]*)</a>(?: <span class="context">\(([^<]*)\)</span>)?'
)


def test_no_two_resources_read_the_same_anywhere_in_the_site(site: Path) -> None:
    # "The Defenders · named after · The Defenders" must say which is the series, which the team.
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 100
    checked = 0
    for page in pages:
        readings: dict[str, set[str]] = {}
        for iri, text, context in _TERM_LINK.findall(page.read_text(encoding="utf-8")):
            if iri.startswith(DKGR) and "#" not in iri:
                readings.setdefault(html.unescape(f"{text} {context}"), set()).add(iri)
                checked += 1
        for reading, iris in readings.items():
            assert len(iris) == 1, (page.relative_to(site), reading, sorted(iris))
    assert checked > 1000
    paragraph = (site / "resource" / "source-document.html").read_text(encoding="utf-8")
    assert (
        'the-defenders-team">The Defenders</a> <span class="context">(Superhero Team)' in paragraph
    )


def test_the_heading_of_a_page_tells_same_label_entities_apart(site: Path) -> None:
    headings = {}
    for page in sorted((site / "resource").glob("*.html")):
        found = re.search(r"<h1>(.*?)</h1>", page.read_text(encoding="utf-8"))
        assert found, page
        headings[page.stem] = html.unescape(re.sub(r"<[^>]+>", "", found.group(1)))
    assert headings["daredevil-tv"] == "Daredevil (Superhero Identity)"
    assert headings["jessica-jones-tv"] == "Jessica Jones (Fictional Character, jessica-jones-tv)"
    assert headings["charlie-cox"] == "Charlie Cox", "a label no other shares stands alone"
    assert len(set(headings.values())) == len(headings)
