"""The ontology page: built by the package, one anchor per term, every term link lands on it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rdflib

from defenders_kg import KnowledgeGraph, paths
from defenders_kg.cli import main
from defenders_kg.vocab import DKG
from defenders_kg.web.documents import render
from defenders_kg.web.iris import target
from defenders_kg.web.lookup import StoreRunner
from defenders_kg.web.ontology_page import ontology_html
from defenders_kg.web.routes import OntologyPage
from defenders_kg.web.site import build_site

ANCHOR = re.compile(r'\bid="([^"]*)"')
TERM_LINK = re.compile(r'href="(?:\.\./)*ontology\.html#([^"]*)"')


def _ontology() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in paths.ontology_files():
        graph.parse(path, format="turtle")
    return graph


def _terms() -> set[str]:
    return {str(s)[len(DKG) :] for s in _ontology().subjects() if str(s).startswith(DKG)}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, kg: KnowledgeGraph) -> Path:
    folder = tmp_path_factory.mktemp("site")
    build_site(kg.store(inference=True), folder)
    return folder


@pytest.fixture(scope="module")
def page(site: Path) -> str:
    return (site / "ontology.html").read_text(encoding="utf-8")


def test_every_term_has_exactly_one_anchor_with_its_local_name(page: str) -> None:
    anchors = ANCHOR.findall(page)
    terms = _terms()
    assert len(terms) > 150
    assert [term for term in sorted(terms) if anchors.count(term) != 1] == []
    assert len(anchors) == len(set(anchors))  # no id twice on the page


def test_every_term_link_of_the_site_lands_on_an_anchor(site: Path, page: str) -> None:
    anchors = set(ANCHOR.findall(page))
    linked: dict[str, str] = {}
    for html in site.rglob("*.html"):
        for name in TERM_LINK.findall(html.read_text(encoding="utf-8")):
            linked.setdefault(name, str(html.relative_to(site)))
    assert len(linked) > 50
    assert {name: where for name, where in linked.items() if name not in anchors} == {}
    # Links inside the page go to its own anchors.
    inner = set(re.findall(r'href="#([^"]*)"', page))
    assert inner and inner <= anchors


@pytest.mark.parametrize("name", ["charlie-cox", "the-defenders", "credit-charlie-cox", "netflix"])
def test_an_entity_page_links_terms_that_exist_on_the_served_page(kg: KnowledgeGraph,
                                                                  name: str) -> None:  # fmt: skip
    runner = StoreRunner(kg.store(inference=True))
    where = target("resource", name)
    assert where is not None
    entity = render(runner, where, "html", query_page="").body.decode()
    served = OntologyPage(runner, ontology_html).get()
    links = TERM_LINK.findall(entity)
    assert links
    assert sorted(set(links) - set(ANCHOR.findall(served))) == []


def test_the_page_describes_each_term_and_links_back_to_the_site(page: str) -> None:
    assert '<a href="index.html">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert re.findall(r"<h1>(.*?)</h1>", page) == ["Defenders KG ontology"]
    for field in ("Version IRI", "Licence", "Creators", "Description"):
        assert f"<dt>{field}</dt>" in page
    assert "(The defenders-kg contributors)</a>" in page  # the creator by name, not as a blank node
    assert "an anonymous expression" not in page
    term = page[page.index('id="castMemberOf"') :]
    term = term[: term.index("</section>")]
    assert "Relates a person to a work in whose cast they appear" in term
    assert '<a href="#hasCastMember">' in term  # its inverse, linked to its anchor
    person = page[page.index('id="Person"') :]
    person = person[: person.index("</section>")]
    assert 'href="https://schema.org/Person"' in person  # the alignment module's axioms
    assert 'href="http://www.wikidata.org/entity/Q5"' in person
    assert "<h2>Named individuals</h2>" in page and 'id="ReturningCast"' in page
    assert "_:" not in page and "genid" not in page


def test_the_docs_command_writes_the_same_page(tmp_path: Path, page: str) -> None:
    assert main(["docs", "-o", str(tmp_path)]) == 0
    written = (tmp_path / "index.html").read_text(encoding="utf-8")
    modules = written[written.index('id="modules"') : written.index('id="classes"')]
    assert "<h3>Defenders KG alignment to schema.org and Wikidata</h3>" in modules
    assert ANCHOR.findall(written) == ANCHOR.findall(page)
