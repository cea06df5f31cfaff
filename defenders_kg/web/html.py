"""The HTML side of the pages: the Jinja2 environment (autoescaping on, templates in
``templates/``), the shared page shell, and terms and sentences as values a template shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pyoxigraph as ox
from jinja2 import Environment, PackageLoader, select_autoescape

from ..vocab import PREFIXES
from .iris import DOCUMENT_SUFFIXES, href, media_type_of, short
from .lookup import Term

_XSD_STRING = PREFIXES["xsd"] + "string"


@cache
def environment() -> Environment:
    """The templates' environment; every value is escaped unless a template says otherwise."""
    env = Environment(
        loader=PackageLoader("defenders_kg.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["stylesheet"] = stylesheet
    return env


def stylesheet() -> str:
    return resources.files("defenders_kg").joinpath("web/page.css").read_text(encoding="utf-8")


def render(template: str, *, title: str, depth: int, alternates: Iterable[str] = (),
           name: str = "", **context: Any) -> str:  # fmt: skip
    """A page of the site from ``template``: the shared head, navigation and stylesheet
    (inline, so that the page works from ``file://`` and under any sub-path) around its body.
    ``alternates`` are the suffixes of the documents ``name.SUFFIX`` the head links."""
    links = [(media_type_of(DOCUMENT_SUFFIXES[suffix]), f"{name}.{suffix}")
             for suffix in alternates]  # fmt: skip
    page = environment().get_template(template)
    return page.render(title=title, root="../" * depth, alternates=links, name=name, **context)


@dataclass(frozen=True)
class Shown:
    """A term as a page shows it: a link (``href``, with the IRI as ``title``), plain text, or
    a literal with its language or datatype (``extra``). ``context`` tells apart terms that
    share a label (their type, or the IRI's local name)."""

    text: str
    href: str | None = None
    title: str = ""
    literal: bool = False
    extra: str = ""
    context: str = ""


def shown(
    term: Term | None, label: Term | str | None, root: str, context: str = ""
) -> Shown | None:
    """How a term reads on a page whose root is ``root``: its label if it has one."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        extra = term.language or ("" if term.datatype.value == _XSD_STRING
                                  else short(term.datatype.value))  # fmt: skip
        return Shown(term.value, literal=True, extra=extra or "")
    text = label if isinstance(label, str) else short(term.value) if label is None else label.value
    return Shown(text, href(term.value, root), term.value, context=context)


def link(iri: str, text: str, root: str) -> Shown:
    """A link to ``iri`` that reads ``text``."""
    found = shown(ox.NamedNode(iri), text, root)
    assert found is not None
    return found


@dataclass(frozen=True)
class Piece:
    """A piece of a sentence: plain text, or a recorded span (``begin``, ``end``: offsets into
    the paragraph) that the page marks."""

    text: str
    begin: int | None = None
    end: int | None = None


def highlight(sentence: str, begin: int, spans: Iterable[tuple[int, int]]) -> list[Piece]:
    """The sentence in pieces, the recorded spans marked.

    ``begin`` is the sentence's ``nif:beginIndex`` and the spans are offsets into the paragraph
    (0-based code points, end exclusive, as in graph/spans/), so each mark carries its own.
    Overlapping spans make one mark; nothing is found by matching names.
    """
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    out, position = [], 0
    for start, end in merged:
        local_start, local_end = start - begin, end - begin
        out.append(Piece(sentence[position:local_start]))
        out.append(Piece(sentence[local_start:local_end], start, end))
        position = local_end
    out.append(Piece(sentence[position:]))
    return out
