"""The evidence as W3C Web Annotations: every worded fact, aimed at exactly its words."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from defenders_kg import KnowledgeGraph, paths

TEXT = paths.source_text_file().read_text(encoding="utf-8")
DOCUMENT = "https://w3id.org/defenders-kg/resource/source-document"


@pytest.fixture(scope="module")
def collection(kg: KnowledgeGraph) -> dict[str, Any]:
    return json.loads(kg.annotations())


def test_one_annotation_per_asserted_fact(collection: dict[str, Any]) -> None:
    items = collection["first"]["items"]
    assert collection["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert collection["type"] == "AnnotationCollection"
    assert collection["total"] == len(items) == 464
    assert len({item["id"] for item in items}) == 464
    assert all(item["type"] == "Annotation" and item["target"] for item in items)


def test_every_selector_gives_the_words_at_its_offsets(collection: dict[str, Any]) -> None:
    selectors = 0
    for item in collection["first"]["items"]:
        for target in item["target"]:
            assert target["source"] == DOCUMENT
            position, quote = target["selector"]
            start, end = position["start"], position["end"]
            assert position["type"] == "TextPositionSelector"
            assert quote["type"] == "TextQuoteSelector"
            assert TEXT[start:end] == quote["exact"]
            assert TEXT[:start].endswith(quote["prefix"])
            assert TEXT[end:].startswith(quote["suffix"])
            selectors += 1
    assert selectors > 463


def test_the_country_of_origin_is_american_and_the_release_date_implied(
    collection: dict[str, Any],
) -> None:
    by_id = {item["id"]: item for item in collection["first"]["items"]}
    country = by_id[
        "https://w3id.org/defenders-kg/resource/s01-stated#the-defenders.countryOfOrigin.united-states"
    ]
    assert [t["selector"][1]["exact"] for t in country["target"]] == ["American"]
    assert country["body"][0]["value"].endswith("(stated by sentence 1)")
    assert country["body"][2]["source"] == "https://w3id.org/defenders-kg/resource/united-states"
    release = by_id["https://w3id.org/defenders-kg/resource/s10-implied#the-defenders.releaseDate"]
    assert [t["selector"][1]["exact"] for t in release["target"]] == ["2017", "August 18"]
    assert release["body"][0]["value"].endswith("(implied by sentence 10)")
    assert len(release["body"]) == 2  # a literal value: no resource to link


def test_the_command_writes_the_file(tmp_path: Path, cache_dir: Path) -> None:
    import os

    out = tmp_path / "annotations.jsonld"
    env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(cache_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "defenders_kg", "annotations", "-o", str(out)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["total"] == 464
