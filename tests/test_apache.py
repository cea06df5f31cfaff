"""The static site's ``.htaccess`` on Debian's Apache 2.4, started on a loopback port.

Apache (Debian's ``apache2-bin``, which ``.ci/run`` installs) is started with a configuration of
its own in a tmp folder. Without it the tests are skipped with a reason, except in CI (``CI``
set), where a missing Apache is a failure.
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from servers import free_port, running

from defenders_kg import KnowledgeGraph
from defenders_kg.web.site import build_site

APACHE = shutil.which("apache2") or shutil.which("apache2", path="/usr/sbin")
MODULES = Path("/usr/lib/apache2/modules")
NEEDED = ("mpm_event", "authz_core", "dir", "mime", "alias", "rewrite", "headers")

if APACHE is None or not all((MODULES / f"mod_{name}.so").is_file() for name in NEEDED):
    reason = "Debian's Apache and its modules are not installed (apt-get install apache2-bin)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the Apache test: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)

_CONFIG = """\
ServerRoot "{folder}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{folder}/apache.pid"
ErrorLog "{folder}/error.log"
LogLevel warn rewrite:warn
TypesConfig "{folder}/mime.types"
Mutex file:{folder}
DefaultRuntimeDir "{folder}"
{modules}
DocumentRoot "{site}"
<Directory "{site}">
    AllowOverride All
    Require all granted
</Directory>
"""


@pytest.fixture(scope="module")
def apache(tmp_path_factory: pytest.TempPathFactory, kg: KnowledgeGraph) -> Iterator[str]:
    """Apache serving the site, whose ``--base-url`` is that Apache; yields the base URL."""
    folder = tmp_path_factory.mktemp("apache")
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    site = folder / "site"
    build_site(kg.store(inference=True), site, base_url=base)
    (folder / "mime.types").write_text("")
    modules = "\n".join(f"LoadModule {name}_module {MODULES}/mod_{name}.so" for name in NEEDED)
    config = folder / "apache.conf"
    config.write_text(_CONFIG.format(folder=folder, port=port, site=site, modules=modules))
    assert APACHE is not None
    check = subprocess.run([APACHE, "-f", str(config), "-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    with running([APACHE, "-f", str(config), "-DFOREGROUND"], f"{base}index.html"):
        yield base


def _get(url: str, accept: str | None) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=30)
    connection.request("GET", parts.path, headers={} if accept is None else {"Accept": accept})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


#: Accept header -> the document ``/resource/charlie-cox`` answers 303 to.
VECTORS = [
    (None, "html"),
    ("", "html"),
    ("*/*", "html"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),
    ("text/turtle", "ttl"),
    ("application/x-turtle", "ttl"),
    ("TEXT/TURTLE", "ttl"),
    ("application/n-triples", "nt"),
    ("application/ld+json", "jsonld"),
    ("Application/LD+JSON;q=0.5", "jsonld"),
    ("application/rdf+xml", "rdf"),
    ("application/trig", "trig"),
    ("application/n-quads", "nq"),
    ("text/turtle;q=0, */*;q=0.1", "html"),
    ("text/turtle;q=0.0, application/n-triples;q=0.3", "nt"),
    ("text/html;q=0, */*;q=0.1", "ttl"),
    ("text/html;q=0, text/turtle;q=0, application/*", "nt"),
    ("text/turtle;q=0.5, text/html", "html"),
    ("text/html;q=0.1, application/rdf+xml", "rdf"),
    ("*/*, application/n-quads", "nq"),
    ("text/turtle;charset=utf-8;q=0, application/ld+json;q=0.9", "jsonld"),
    ("text/turtlex, application/trig", "trig"),
    # What mod_rewrite cannot do (the README says so): rank by q below 1, or a named type below
    # a wildcard; `serve` answers JSON-LD, HTML and 406 here.
    ("text/turtle;q=0.5, application/ld+json;q=0.9", "ttl"),
    ("*/*, text/turtle;q=0.5", "ttl"),
    ("text/plain", "html"),
]


def test_a_refused_html_and_nothing_else_is_406(apache: str) -> None:
    response = _get(f"{apache}resource/charlie-cox", "text/html;q=0, text/plain")
    assert response.status == 406
    assert response.getheader("Vary") == "Accept"


@pytest.mark.parametrize(("accept", "suffix"), VECTORS)
def test_a_resource_iri_answers_303_to_the_negotiated_document(
    apache: str, accept: str | None, suffix: str
) -> None:
    response = _get(f"{apache}resource/charlie-cox", accept)
    assert response.status == 303
    assert response.getheader("Location") == f"{apache}resource/charlie-cox.{suffix}"
    assert response.getheader("Vary") == "Accept"
    document = _get(f"{apache}resource/charlie-cox.{suffix}", None)
    assert document.status == 200


@pytest.mark.parametrize(
    ("path", "document"),
    [
        ("graph/inferred", "graph/inferred.nq"),
        ("ontology", "ontology.nq"),
        ("ontology/0.2.0", "ontology.nq"),
        ("ontology/alignments/wikidata", "ontology.nq"),
    ],
)
def test_graphs_and_the_ontology_negotiate_too(apache: str, path: str, document: str) -> None:
    response = _get(f"{apache}{path}", "application/n-quads")
    assert response.status == 303
    assert response.getheader("Location") == f"{apache}{document}"
    assert response.getheader("Vary") == "Accept"
    assert _get(f"{apache}{document}", None).status == 200


def test_each_document_has_its_media_type(apache: str) -> None:
    types = {
        "html": "text/html",
        "ttl": "text/turtle",
        "nt": "application/n-triples",
        "jsonld": "application/ld+json",
        "rdf": "application/rdf+xml",
        "trig": "application/trig",
        "nq": "application/n-quads",
    }
    for suffix, media_type in types.items():
        response = _get(f"{apache}resource/charlie-cox.{suffix}", None)
        assert response.status == 200
        assert (response.getheader("Content-Type") or "").split(";")[0] == media_type
