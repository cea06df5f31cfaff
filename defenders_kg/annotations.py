"""The evidence as W3C Web Annotations: one annotation per worded fact, aimed at its spans.

Annotation tools (Hypothesis-style viewers, Recogito, IIIF and TEI tool chains) read the Web
Annotation Data Model rather than NIF, so this is the same wordings in their terms: each
``dkg:Wording`` becomes an ``Annotation`` whose targets are its spans of the source document, each
with a ``TextPositionSelector`` (the code-point offsets) and a ``TextQuoteSelector`` (the words with
their context, which survives small edits of the text). The body says the fact in words and names
its subject and, for an IRI value, its object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from .results import QueryResult
from .vocab import COLLECTION_IRI, DKG, DKGR, NIF, RDFS

#: How many characters of the text the quote selectors keep on each side of the words.
QUOTE_CONTEXT = 32

#: The wordings with their facts' labels and their spans; a fixed text, nothing pasted in.
QUERY = f"""PREFIX dkg: <{DKG}>
PREFIX nif: <{NIF}>
PREFIX rdfs: <{RDFS}>
SELECT ?wording ?support ?number ?s ?p ?o ?sl ?pl ?ol ?document ?text ?begin ?end
WHERE {{
  ?wording a dkg:Wording ; dkg:inStatementGroup ?group ; dkg:factSubject ?s ;
      dkg:factPredicate ?p ; dkg:factObject ?o ; dkg:span ?span .
  ?group dkg:support ?support ; dkg:evidence/dkg:sentenceNumber ?number .
  ?span nif:beginIndex ?begin ; nif:endIndex ?end ; nif:referenceContext ?document .
  ?document nif:isString ?text .
  OPTIONAL {{ ?s rdfs:label ?sl }} OPTIONAL {{ ?p rdfs:label ?pl }} OPTIONAL {{ ?o rdfs:label ?ol }}
}}"""


@dataclass
class _Fact:
    iri: str
    implied: bool
    sentence: int
    words: str
    subject: str
    value: str | None
    spans: set[tuple[str, int, int]] = field(default_factory=set)


def web_annotations(result: QueryResult) -> dict[str, Any]:
    """The answer to ``QUERY`` as one Web Annotation collection (JSON-LD), in text order."""
    facts: dict[str, _Fact] = {}
    texts: dict[str, str] = {}
    for row in result.rows:
        binding: Mapping[str, Any] = {
            name: term for name, term in zip(result.variables, row, strict=True) if term is not None
        }
        iri = binding["wording"].value
        texts[binding["document"].value] = binding["text"].value
        fact = facts.get(iri)
        if fact is None:
            value = binding["o"]
            fact = facts[iri] = _Fact(
                iri,
                binding["support"].value == DKG + "Implicit",
                int(binding["number"].value),
                " · ".join(_name(binding, key) for key in ("s", "p", "o")),
                binding["s"].value,
                value.value if isinstance(value, ox.NamedNode) else None,
            )
        fact.spans.add(
            (binding["document"].value, int(binding["begin"].value), int(binding["end"].value))
        )
    items = [_annotation(fact, texts) for fact in sorted(facts.values(), key=_order)]
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": COLLECTION_IRI,
        "type": "AnnotationCollection",
        "label": "The words of the source text behind each fact of defenders-kg",
        "total": len(items),
        "first": {"type": "AnnotationPage", "startIndex": 0, "items": items},
    }


def web_annotations_text(result: QueryResult) -> str:
    return json.dumps(web_annotations(result), indent=2, ensure_ascii=False) + "\n"


def _name(binding: Mapping[str, Any], key: str) -> str:
    label = binding.get(f"{key}l")
    if label is not None:
        return str(label.value)
    term = binding[key]
    return str(term.value).removeprefix(DKGR).rpartition("#")[2] or str(term.value)


def _order(fact: _Fact) -> tuple[int, int, str]:
    return (min(begin for _, begin, _ in fact.spans), fact.sentence, fact.iri)


def _annotation(fact: _Fact, texts: Mapping[str, str]) -> dict[str, Any]:
    how = "implied by" if fact.implied else "stated by"
    body: list[dict[str, Any]] = [
        {
            "type": "TextualBody",
            "value": f"{fact.words} ({how} sentence {fact.sentence})",
            "format": "text/plain",
            "language": "en",
            "purpose": "describing",
        },
        {"type": "SpecificResource", "source": fact.subject, "purpose": "identifying"},
    ]
    if fact.value is not None:
        body.append({"type": "SpecificResource", "source": fact.value, "purpose": "linking"})
    targets = []
    for document, begin, end in sorted(fact.spans, key=lambda span: (span[1], span[2])):
        text = texts[document]
        targets.append(
            {
                "type": "SpecificResource",
                "source": document,
                "selector": [
                    {"type": "TextPositionSelector", "start": begin, "end": end},
                    {
                        "type": "TextQuoteSelector",
                        "exact": text[begin:end],
                        "prefix": text[max(0, begin - QUOTE_CONTEXT) : begin],
                        "suffix": text[end : end + QUOTE_CONTEXT],
                    },
                ],
            }
        )
    return {
        "id": fact.iri,
        "type": "Annotation",
        "motivation": "describing",
        "body": body,
        "target": targets,
    }
