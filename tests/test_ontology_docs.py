"""`defenders-kg docs`: the core ontology's own header, the alignment shown as a module of it."""

from __future__ import annotations

import re
from pathlib import Path

from defenders_kg.cli import main


def test_the_header_is_the_core_ontology_s_and_the_alignment_is_a_module(tmp_path: Path) -> None:
    assert main(["docs", "-o", str(tmp_path)]) == 0
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    metadata = page[page.index('id="metadata"') : page.index('id="modules"')]
    assert re.findall(r"<h1>(.*?)</h1>", page) == ["Defenders KG ontology"]
    assert "<code>https://w3id.org/defenders-kg/ontology</code>" in metadata
    assert "alignments/schema-org" not in metadata
    # Each field once: pyLODE lists a field's values when two headers are merged.
    assert "<li><p>The defenders-kg contributors</p></li>" not in metadata
    assert metadata.count("2026-11-24") <= 2  # created and modified, once each
    modules = page[page.index('id="modules"') : page.index('id="classes"')]
    assert "<h3>Defenders KG alignment to schema.org and Wikidata</h3>" in modules
    assert "https://w3id.org/defenders-kg/ontology/alignments/schema-org" in modules
    # The alignment's axioms still reach the terms they are about.
    person = page[page.index('id="Person"') :][:4000]
    assert "https://schema.org/Person" in person
