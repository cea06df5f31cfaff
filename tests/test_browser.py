"""The query page, the entity pages and the static site in a real headless browser.

Needs Debian's chromium and chromium-driver (``.ci/run`` installs them) and axe-core (the dev
group's ``axe-selenium-python`` ships ``axe.min.js``). Without them the tests are skipped with a
reason, except in CI (``CI`` set), where a missing browser is a failure. With
``DEFENDERS_KG_SCREENSHOT`` set, the tests save the README's screenshots into ``docs/``.
"""

from __future__ import annotations

import os
import shutil
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tools
from tools import require

from defenders_kg import KnowledgeGraph

DRIVER = shutil.which("chromedriver")
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
DOCS = Path(__file__).resolve().parent.parent / "docs"
CHARLIE = "https://w3id.org/defenders-kg/resource/charlie-cox"

require(DRIVER and BROWSER, tools.BROWSER, module=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402, N812
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER  # type: ignore[assignment]
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1280,900"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # CSP reports land there
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(300)  # axe-core over the 1,000-row graph page, on a busy machine
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, kg: KnowledgeGraph) -> Path:
    from defenders_kg.web.site import build_site

    folder = tmp_path_factory.mktemp("site")
    build_site(kg.store(inference=True), folder)
    return folder


def wait(driver: Any, seconds: float = 20) -> WebDriverWait[Any]:
    return WebDriverWait(driver, seconds)


def screenshot(driver: Any, name: str, height: int = 1100) -> None:
    """With DEFENDERS_KG_SCREENSHOT set, save the top ``height`` pixels of the page in docs/."""
    if os.environ.get("DEFENDERS_KG_SCREENSHOT"):
        DOCS.mkdir(exist_ok=True)
        # Headless Chromium clamps set_window_size to its screen; a device override is not clamped.
        metrics = {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        try:
            driver.save_screenshot(str(DOCS / name))
        finally:
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def axe_violations(driver: Any) -> list[str]:
    """The serious and critical WCAG 2 A/AA violations axe-core finds on the current page."""
    from importlib import resources

    script = resources.files("axe_selenium_python").joinpath("node_modules/axe-core/axe.min.js")
    driver.execute_script(script.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
        ".then(done, (error) => done({error: String(error)}));"
    )
    assert "error" not in result, result
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def fits_phone_width(driver: Any) -> bool:
    """Emulating a phone 375 CSS pixels wide, the page needs no horizontal scrolling."""
    metrics = {"width": 375, "height": 800, "deviceScaleFactor": 1, "mobile": True}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        width, viewport = driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        return bool(viewport == 375 and width <= viewport)
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


# -- the query page --------------------------------------------------------------------------------


def editor(driver: Any) -> Any:
    """The SPARQL editor's text area (CodeMirror's content element), once the page has it."""
    return wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, ".cm-editor .cm-content"))


def type_query(driver: Any, text: str) -> None:
    """Replace the editor's text by typing ``text``, as a person would."""
    content = editor(driver)
    content.click()
    content.send_keys(Keys.CONTROL, "a")
    content.send_keys(Keys.DELETE)
    content.send_keys(text)


def query_text(driver: Any) -> str:
    return str(driver.find_element(By.ID, "query").get_attribute("value"))


def completions(driver: Any) -> list[str]:
    """The options the editor's completion list offers, as shown."""
    found = driver.find_elements(By.CSS_SELECTOR, ".cm-tooltip-autocomplete li[role=option]")
    return [option.text for option in found]


def column(driver: Any, index: int) -> list[str]:
    cells = driver.find_elements(By.CSS_SELECTOR, f"#results tbody td:nth-child({index})")
    return [c.text for c in cells]


def test_choose_a_canned_query_run_it_and_see_its_rows(browser: Any, endpoint: str) -> None:
    driver = browser
    driver.get(f"{endpoint}/")
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#canned option")) > 10)
    Select(driver.find_element(By.ID, "canned")).select_by_value("actors-reprising-roles")
    assert "reprise a role" in driver.find_element(By.ID, "summary").text
    driver.find_element(By.ID, "run").click()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "status"), "4 rows"))
    rows = driver.find_elements(By.CSS_SELECTOR, "#results tbody tr")
    texts = [row.text for row in rows]
    assert len(texts) == 4
    assert texts[0].startswith("Charlie Cox Matt Murdock")
    assert not driver.find_element(By.ID, "error").is_displayed()
    screenshot(driver, "query-page.png", 1250)
    assert axe_violations(driver) == []


def test_typing_in_the_editor_highlights_the_query(browser: Any, endpoint: str) -> None:
    driver = browser
    driver.get(f"{endpoint}/")
    type_query(driver, 'SELECT ?name WHERE { ?s rdfs:label "x" }')
    content = editor(driver)
    keywords = [k.text for k in content.find_elements(By.CSS_SELECTOR, ".tok-keyword")]
    assert keywords == ["SELECT", "WHERE"]
    variable = content.find_element(By.CSS_SELECTOR, ".tok-variableName.tok-local")
    assert variable.text == "?name"
    keyword = content.find_element(By.CSS_SELECTOR, ".tok-keyword")
    string = content.find_element(By.CSS_SELECTOR, ".tok-string")
    colours = {e.value_of_css_property("color") for e in (keyword, variable, string)}
    assert len(colours) == 3, colours
    assert keyword.value_of_css_property("font-weight") == "600"


def test_a_prefix_completes_and_brings_its_prefix_line(browser: Any, endpoint: str) -> None:
    driver = browser
    driver.get(f"{endpoint}/")
    type_query(driver, "SELECT ?p WHERE { dkgr")
    options = wait(driver).until(completions)
    assert options == ["dkgr:https://w3id.org/defenders-kg/resource/"]
    editor(driver).send_keys(Keys.ENTER)  # take the completion
    assert query_text(driver) == (
        "PREFIX dkgr: <https://w3id.org/defenders-kg/resource/>\nSELECT ?p WHERE { dkgr:"
    )
    # The terms under a prefix complete too, from the graph.
    editor(driver).send_keys("charlie-c")
    wait(driver).until(lambda d: "charlie-cox" in completions(d))
    editor(driver).send_keys(Keys.ENTER, " ?p ?o }")
    assert query_text(driver).endswith("{ dkgr:charlie-cox ?p ?o }")
    assert query_text(driver).count("PREFIX dkgr:") == 1
    assert axe_violations(driver) == []
    driver.find_element(By.ID, "run").click()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "status"), "rows"))


def test_a_syntax_error_is_marked_in_the_editor(browser: Any, endpoint: str) -> None:
    driver = browser
    driver.get(f"{endpoint}/")
    type_query(driver, "SELECT ?x WHERE { ?x ?y }")
    editor(driver).send_keys(Keys.CONTROL, Keys.ENTER)
    marked = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, ".cm-lintRange-error"))
    assert marked.text == "}"  # where the object is missing (Oxigraph: column 26, past it)
    assert driver.find_elements(By.CSS_SELECTOR, ".cm-gutter-lint .cm-lint-marker-error")
    type_query(driver, "ASK {}")
    editor(driver).send_keys(Keys.CONTROL, Keys.ENTER)
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "status"), "Answered"))
    assert driver.find_elements(By.CSS_SELECTOR, ".cm-lintRange-error") == []


def test_results_sort_by_a_column(browser: Any, endpoint: str) -> None:
    driver = browser
    driver.get(f"{endpoint}/?canned=actors-reprising-roles")
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "status"), "4 rows"))
    actors = ["Charlie Cox", "Finn Jones", "Krysten Ritter", "Mike Colter"]
    assert column(driver, 1) == actors
    header = driver.find_element(By.CSS_SELECTOR, "#results th[data-column=characterName]")
    header.find_element(By.TAG_NAME, "button").click()
    assert column(driver, 2) == ["Danny Rand", "Jessica Jones", "Luke Cage", "Matt Murdock"]
    header = driver.find_element(By.CSS_SELECTOR, "#results th[data-column=characterName]")
    assert header.get_attribute("aria-sort") == "ascending"
    header.find_element(By.TAG_NAME, "button").click()
    assert column(driver, 2) == ["Matt Murdock", "Luke Cage", "Jessica Jones", "Danny Rand"]
    header = driver.find_element(By.CSS_SELECTOR, "#results th[data-column=characterName]")
    assert header.get_attribute("aria-sort") == "descending"
    driver.find_element(By.ID, "filter").send_keys("jones")
    assert column(driver, 1) == ["Krysten Ritter", "Finn Jones"]
    assert axe_violations(driver) == []


def test_a_construct_shows_turtle(browser: Any, endpoint: str) -> None:
    driver = browser
    driver.get(f"{endpoint}/")
    type_query(driver, "CONSTRUCT { dkgr:charlie-cox rdfs:label ?l } WHERE "
                       "{ dkgr:charlie-cox rdfs:label ?l }")  # fmt: skip
    driver.find_element(By.ID, "run").click()
    graph = wait(driver).until(lambda d: d.find_element(By.ID, "graph"))
    assert 'dkgr:charlie-cox rdfs:label "Charlie Cox"' in " ".join(graph.text.split())
    link = graph.find_element(By.LINK_TEXT, "dkgr:charlie-cox")
    assert link.get_attribute("href") == f"{endpoint}/resource/charlie-cox.html"
    assert [driver.find_element(By.ID, n).is_enabled() for n in ("csv", "json")] == [False] * 2


def test_the_page_loads_nothing_from_outside_the_server(browser: Any, endpoint: str) -> None:
    driver = browser
    driver.get(f"{endpoint}/?canned=actors-reprising-roles")
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "status"), "4 rows"))
    type_query(driver, "SELECT * WHERE { ?s a dkg:")  # completion asks the server for terms
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".cm-tooltip-autocomplete"))
    loaded = driver.execute_script(
        "return [location.href, ...performance.getEntriesByType('resource').map((e) => e.name)]"
    )
    assert f"{endpoint}/editor/editor.js" in loaded
    assert [url for url in loaded if not url.startswith(endpoint + "/")] == []


def test_without_the_editor_the_page_keeps_its_textarea_and_says_so(
    browser: Any, endpoint: str
) -> None:
    driver = browser  # as when the build found no npm (tests/test_wheel.py checks that build)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/editor/editor.js"]})
    try:
        driver.get(f"{endpoint}/")
        assert driver.find_element(By.ID, "editor-note").is_displayed()
        assert driver.find_elements(By.CSS_SELECTOR, ".cm-editor") == []
        textarea = driver.find_element(By.ID, "query")
        textarea.clear()
        textarea.send_keys("SELECT ?s WHERE { ?s a dkg:Person } LIMIT 3", Keys.CONTROL, Keys.ENTER)
        wait(driver).until(EC.text_to_be_present_in_element((By.ID, "status"), "3 rows"))
        assert axe_violations(driver) == []
    finally:
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
        driver.execute_cdp_cmd("Network.disable", {})
    driver.get(f"{endpoint}/")
    editor(driver)
    assert not driver.find_element(By.ID, "editor-note").is_displayed()


def test_iris_in_results_link_to_entity_pages(browser: Any, endpoint: str) -> None:
    driver = browser
    driver.get(f"{endpoint}/?canned=actors-reprising-roles")
    link = wait(driver).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#results a[title$='/resource/charlie-cox']")
    )
    assert link.get_attribute("href") == f"{endpoint}/resource/charlie-cox.html"
    link.click()
    wait(driver).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Charlie Cox"))


def test_an_error_is_shown_inline(browser: Any, endpoint: str) -> None:
    driver = browser
    driver.get(f"{endpoint}/")
    type_query(driver, "SELECT ?x WHERE { ?x ?y }")
    driver.find_element(By.ID, "run").click()
    error = driver.find_element(By.ID, "error")
    wait(driver).until(lambda d: error.is_displayed())
    assert "malformed SPARQL" in error.text
    assert "line 1, column 26" in error.text


def test_downloads_are_enabled_only_for_a_table_of_rows(browser: Any, endpoint: str) -> None:
    driver = browser

    def downloads_enabled() -> list[bool]:
        return [driver.find_element(By.ID, name).is_enabled() for name in ("csv", "json")]

    for text, answered in (("ASK { ?s ?p ?o }", True), ("SELECT ?x WHERE { ?x ?y }", False)):
        driver.get(f"{endpoint}/?canned=actors-reprising-roles")
        wait(driver).until(EC.text_to_be_present_in_element((By.ID, "status"), "4 rows"))
        assert downloads_enabled() == [True, True]
        type_query(driver, text)
        # Before it runs, a download is of the rows shown, not of the edited text.
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "deny"})
        driver.find_element(By.ID, "csv").click()
        wait(driver).until(lambda d: len(d.execute_script(
            "return performance.getEntriesByType('resource')"
            ".filter((e) => e.name.includes('/queries/actors-reprising-roles'))"
        )) == 2)  # fmt: skip
        assert driver.find_element(By.ID, "error").text == ""
        driver.find_element(By.ID, "run").click()
        if answered:
            wait(driver).until(EC.text_to_be_present_in_element((By.ID, "status"), "Answered"))
        else:
            wait(driver).until(lambda d: d.find_element(By.ID, "error").is_displayed())
        assert downloads_enabled() == [False, False], text


def test_the_canned_describe_query_runs_and_shows_turtle(browser: Any, endpoint: str) -> None:
    driver = browser
    driver.get(f"{endpoint}/")
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#canned option")) > 10)
    Select(driver.find_element(By.ID, "canned")).select_by_value("describe")
    # The editor shows the canned query, highlighted; the form binds its parameter.
    keywords = editor(driver).find_elements(By.CLASS_NAME, "tok-keyword")
    assert "CONSTRUCT" in [k.text for k in keywords]
    field = driver.find_element(By.ID, "param-entity")  # a form field for its parameter
    field.clear()
    field.send_keys("Scott Glenn")
    driver.find_element(By.ID, "run").click()
    graph = wait(driver).until(lambda d: d.find_element(By.ID, "graph"))
    assert "dkgr:scott-glenn" in graph.text
    assert not driver.find_element(By.ID, "error").is_displayed()


def test_a_permalink_round_trips(browser: Any, endpoint: str) -> None:
    driver = browser
    driver.get(f"{endpoint}/")
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#canned option")) > 10)
    Select(driver.find_element(By.ID, "canned")).select_by_value("cast")
    field = driver.find_element(By.ID, "param-actorName")
    field.send_keys("Scott Glenn")
    field.send_keys(Keys.CONTROL, Keys.ENTER)  # Ctrl+Enter runs the query
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "status"), "1 row"))
    link = driver.find_element(By.ID, "permalink").get_attribute("href")
    assert driver.current_url == link
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
    assert state == {"canned": ["cast"], "p.actorName": ["Scott Glenn"]}
    driver.get("about:blank")
    driver.get(link)
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "status"), "1 row"))
    assert Select(driver.find_element(By.ID, "canned")).first_selected_option.text == "cast"
    assert driver.find_element(By.ID, "param-actorName").get_attribute("value") == "Scott Glenn"
    assert "Scott Glenn" in driver.find_element(By.CSS_SELECTOR, "#results tbody tr").text

    query = "SELECT ?s WHERE { ?s a <https://w3id.org/defenders-kg/ontology#Person> } ORDER BY ?s"
    driver.get(f"{endpoint}/?" + urllib.parse.urlencode({"query": query}))
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "status"), "rows"))
    assert query_text(driver) == query
    assert editor(driver).text == query  # the editor shows it


def test_large_results_are_paged(browser: Any, endpoint: str) -> None:
    driver = browser
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 450"
    driver.get(f"{endpoint}/?" + urllib.parse.urlencode({"query": query}))
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "status"), "450 rows"))
    assert len(driver.find_elements(By.CSS_SELECTOR, "#results tbody tr")) == 100
    assert driver.find_element(By.ID, "range").text.startswith("Rows 1\u2013100 of 450")
    driver.find_element(By.ID, "next").click()
    assert driver.find_element(By.ID, "range").text.startswith("Rows 101\u2013200 of 450")


# -- entity pages ----------------------------------------------------------------------------------


def test_an_entity_page_shows_its_highlighted_sentence(browser: Any, endpoint: str) -> None:
    driver = browser
    driver.get(f"{endpoint}/resource/charlie-cox")  # 303 to charlie-cox.html
    assert driver.current_url == f"{endpoint}/resource/charlie-cox.html"
    marks = [mark.text for mark in driver.find_elements(By.CSS_SELECTOR, "blockquote mark")]
    assert "Charlie Cox" in marks
    inferred = driver.find_element(By.CSS_SELECTOR, "section.inferred details")
    assert inferred.get_attribute("open") is None  # collapsed by default
    assert not driver.find_element(By.CSS_SELECTOR, "section.inferred ul.facts").is_displayed()
    screenshot(driver, "entity-page.png")
    assert axe_violations(driver) == []
    assert fits_phone_width(driver)


def test_following_a_link_reaches_the_other_entity(browser: Any, endpoint: str) -> None:
    driver = browser
    driver.get(f"{endpoint}/resource/charlie-cox.html")
    driver.find_element(
        By.LINK_TEXT, "Charlie Cox as Matt Murdock / Daredevil in The Defenders"
    ).click()
    heading = wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "h1"))
    assert heading.text == "Charlie Cox as Matt Murdock / Daredevil in The Defenders"
    driver.find_element(By.LINK_TEXT, "Matt Murdock").click()
    wait(driver).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Matt Murdock"))


def test_a_describe_starts_from_an_entity_page(browser: Any, endpoint: str) -> None:
    driver = browser
    driver.get(f"{endpoint}/resource/charlie-cox.html")
    driver.find_element(By.ID, "describe").click()
    graph = wait(driver).until(lambda d: d.find_element(By.ID, "graph"))
    assert "dkgr:charlie-cox" in graph.text
    assert driver.find_element(By.ID, "query").get_attribute("value") == f"DESCRIBE <{CHARLIE}>"


def test_the_paragraph_page_links_sentences_to_their_facts(browser: Any, endpoint: str) -> None:
    driver = browser
    driver.get(f"{endpoint}/resource/source-document.html")
    sentences = driver.find_elements(By.CSS_SELECTOR, "section.sentence")
    assert len(sentences) == 12
    four = driver.find_element(By.ID, "sentence-04")
    marks = [m.text for m in four.find_elements(By.TAG_NAME, "mark")]
    assert "Charlie Cox as Matt Murdock / Daredevil" in marks  # overlapping spans, one mark
    screenshot(driver, "paragraph-page.png")
    assert axe_violations(driver) == []
    assert fits_phone_width(driver)
    four.find_element(By.PARTIAL_LINK_TEXT, "Charlie Cox as Matt Murdock").click()
    wait(driver).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Charlie Cox as"))


# -- the static site -------------------------------------------------------------------------------


def test_the_pages_run_under_their_content_security_policy(browser: Any, endpoint: str) -> None:
    driver = browser
    driver.get_log("browser")  # what earlier tests left
    driver.get(f"{endpoint}/?canned=actors-reprising-roles")
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#results table")))
    for page in ("/resource/charlie-cox.html", "/ontology"):
        driver.get(endpoint + page)
        wait(driver).until(EC.presence_of_element_located((By.TAG_NAME, "h1")))
    messages = [entry["message"] for entry in driver.get_log("browser")]
    assert [m for m in messages if "Content Security" in m] == []


def test_the_static_site_works_from_file_urls(browser: Any, site: Path) -> None:
    driver = browser
    driver.get((site / "index.html").as_uri())
    driver.find_element(By.LINK_TEXT, "the paragraph").click()
    assert driver.current_url == (site / "resource" / "source-document.html").as_uri()
    driver.find_element(By.ID, "sentence-04").find_element(By.LINK_TEXT, "Charlie Cox").click()
    assert driver.current_url == (site / "resource" / "charlie-cox.html").as_uri()
    assert "Charlie Cox" in [m.text for m in driver.find_elements(By.CSS_SELECTOR, "mark")]
    assert driver.find_elements(By.ID, "describe") == []  # no query page in a static site
    assert axe_violations(driver) == []
    driver.find_element(By.LINK_TEXT, "Turtle").click()
    assert driver.current_url.endswith("/resource/charlie-cox.ttl")


@pytest.mark.parametrize("path", ["index.html", "graph/document.html", "ontology.html"])
def test_the_other_pages_of_the_site_pass_the_accessibility_check(
    browser: Any, site: Path, path: str
) -> None:
    browser.get((site / path).as_uri())
    assert axe_violations(browser) == []
    assert fits_phone_width(browser)
