"""Every export opens in the OWL tools users name: HermiT reasons over it, OWLAPI judges it.

HermiT is Protégé's default reasoner; owlready2 bundles it. OWLAPI (Debian's libowlapi-java) is
the library Protégé reads files with; its profile checker judges the OWL 2 RL claim. Both run
offline, on exports written with ``--profile owl``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from defenders_kg import KnowledgeGraph, paths

ROOT = Path(__file__).resolve().parent.parent
CHECKER = ROOT / "tests" / "owlapi" / "ProfileCheck.java"
OWLAPI_JARS = sorted(glob.glob("/usr/share/java/*.jar"))
JAVA = shutil.which("java")

if JAVA is None or not any("owlapi-distribution" in jar for jar in OWLAPI_JARS):
    reason = "Java and Debian's OWLAPI are not installed (apt-get install libowlapi-java)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the OWL tools test: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)

import owlready2  # noqa: E402  (a dev dependency: imported after the check for Java)

LAYERS = ("asserted", "inferred")


def profile_report(path: Path, saved: Path | None = None) -> dict[str, dict[str, int]]:
    """OWLAPI's violations of OWL 2 RL and DL in ``path``, counted by kind."""
    command = [JAVA or "java", "-cp", ":".join(OWLAPI_JARS), str(CHECKER), str(path)]
    if saved is not None:
        command.append(str(saved))
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, dict[str, int]] = {}
    profile = ""
    for line in done.stdout.splitlines():
        if line.startswith("  "):
            count, kind = line.strip().split(" ", 1)
            report[profile][kind] = int(count)
        else:
            profile = line.split()[0]
            report[profile] = {}
    return report


def hermit(path: Path) -> tuple[bool, list[str]]:
    """HermiT through owlready2, as ``sync_reasoner_hermit`` runs it: whether the ontology is
    consistent (HermiT raises otherwise), and its unsatisfiable classes."""
    world = owlready2.World()
    ontology = world.get_ontology(path.as_uri()).load()
    with ontology:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    unsatisfiable = sorted(str(c) for c in world.inconsistent_classes())
    return True, unsatisfiable


@pytest.fixture(scope="module")
def exports(kg: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("owl")
    written = {}
    for layer in LAYERS:
        for fmt, suffix in (("rdfxml", "rdf"), ("turtle", "ttl")):
            path = folder / f"{layer}.{suffix}"
            kg.export_to(path, fmt, inferred=layer == "inferred", profile="owl")
            written[f"{layer}-{fmt}"] = path
        plain = folder / f"{layer}-plain.rdf"
        kg.export_to(plain, "rdfxml", inferred=layer == "inferred")
        written[f"{layer}-plain"] = plain
    return written


@pytest.mark.parametrize("layer", LAYERS)
def test_hermit_reasons_over_the_rdfxml_export(exports: dict[str, Path], layer: str) -> None:
    consistent, unsatisfiable = hermit(exports[f"{layer}-rdfxml"])
    assert consistent and unsatisfiable == []


@pytest.mark.parametrize("layer", LAYERS)
def test_owlapi_reads_the_turtle_export_and_hermit_reasons_over_it(
    exports: dict[str, Path], layer: str, tmp_path: Path
) -> None:
    """Protégé's path: OWLAPI parses the Turtle, the reasoner gets what it read."""
    read = tmp_path / f"{layer}-read.owl"
    profile_report(exports[f"{layer}-turtle"], saved=read)
    consistent, unsatisfiable = hermit(read)
    assert consistent and unsatisfiable == []


def test_hermit_refuses_the_plain_export_for_its_dates(exports: dict[str, Path]) -> None:
    """Why the profile exists: xsd:date is outside the OWL 2 datatype map."""
    with pytest.raises(owlready2.OwlReadyJavaError, match="XMLSchema#date"):
        hermit(exports["asserted-plain"])


def test_the_ontology_is_owl_2_rl_and_dl(tmp_path: Path) -> None:
    report = profile_report(paths.ontology_files()[0])
    assert report == {"OWL2_RL": {}, "OWL2_DL": {}}


#: What OWLAPI 5 reports outside OWL 2 RL in the exports, and nothing else: the language-tagged
#: literals, which OWL 2 RL admits as rdf:PlainLiteral but OWLAPI names rdf:langString (RDF 1.1).
LANGSTRING = "UseOfIllegalDataRange http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


@pytest.mark.parametrize("name", ["asserted-rdfxml", "inferred-rdfxml", "asserted-turtle"])
def test_each_export_is_dl_and_rl_but_for_language_tags(
    exports: dict[str, Path], name: str
) -> None:
    report = profile_report(exports[name])
    assert report["OWL2_DL"] == {}
    assert set(report["OWL2_RL"]) == {LANGSTRING}


def test_the_plain_export_is_outside_dl_only_by_its_dates(exports: dict[str, Path]) -> None:
    report = profile_report(exports["asserted-plain"])
    datatypes = {kind.split(" ", 1)[1].rpartition("^^")[2] for kind in report["OWL2_DL"]}
    assert datatypes == {"xsd:date", "xsd:gYearMonth"}
