"""Pictures of the graph, drawn by Graphviz: the cast network, the ontology, the timeline.

Each picture is a DOT source built from SPARQL over the knowledge graph, rendered by Graphviz's
``dot`` program (Debian's ``graphviz`` package) to SVG or PNG.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .errors import ExportError, FormatError
from .files import write_atomic
from .vocab import SITE

if TYPE_CHECKING:
    from .kg import KnowledgeGraph

Diagram = Literal["cast", "ontology", "timeline"]
DIAGRAMS: tuple[str, ...] = ("cast", "ontology", "timeline")
#: The formats a diagram is written in: drawn by Graphviz, or its DOT source.
DRAWINGS: tuple[str, ...] = ("svg", "png", "dot")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _rows(kg: KnowledgeGraph, query: str) -> list[dict[str, str]]:
    return kg.sparql(query).records()


def cast_dot(kg: KnowledgeGraph) -> str:
    """Series, actors and characters; dashed edges to the series a role is reprised from."""
    rows = _rows(
        kg,
        """SELECT ?work ?workName ?actor ?actorName ?character ?characterName ?from ?fromName
        WHERE { ?credit a dkg:CastCredit ; dkg:actor ?actor ; dkg:inWork ?work .
          ?actor rdfs:label ?actorName . ?work rdfs:label ?workName .
          OPTIONAL { ?credit dkg:character ?character . ?character rdfs:label ?characterName }
          OPTIONAL { ?credit dkg:reprisedFrom ?from . ?from rdfs:label ?fromName } }
        ORDER BY ?workName ?actorName""",
    )
    lines = [
        "digraph cast {",
        '  graph [rankdir=LR, fontname="Helvetica", nodesep=0.25, ranksep=1.2, fontsize=11,',
        '    label="actor (blue) -> series (orange): cast in;   actor -> character (violet): plays;'
        '   character - - -> earlier series: role reprised from", labelloc=b];',
        '  node [fontname="Helvetica", fontsize=11, style=filled];',
        '  edge [fontname="Helvetica", fontsize=9, color="#6b7785"];',
    ]
    nodes: dict[str, str] = {}
    edges: list[str] = []

    def node(iri: str, label: str, shape: str, colour: str) -> str:
        if iri not in nodes:
            nodes[iri] = (
                f"  {_quote(iri)} [label={_quote(label)}, shape={shape}, "
                f"fillcolor={_quote(colour)}];"
            )
        return _quote(iri)

    for row in rows:
        work = node(row["work"], row["workName"], "box", "#f6d7a7")
        actor = node(row["actor"], row["actorName"], "ellipse", "#cfe3f7")
        edges.append(f"  {actor} -> {work};")
        if "character" in row:
            character = node(row["character"], row["characterName"], "octagon", "#e3d4f2")
            edges.append(f'  {actor} -> {character} [color="#7d55b0"];')
        if "from" in row:
            earlier = node(row["from"], row["fromName"], "box", "#f9e6c9")
            target = _quote(row["character"]) if "character" in row else actor
            edges.append(f'  {target} -> {earlier} [style=dashed, color="#b07a2a"];')
    return "\n".join([*lines, *nodes.values(), *edges, "}"]) + "\n"


def ontology_dot(kg: KnowledgeGraph) -> str:
    """The ontology's classes (sub-class edges) and object properties with a domain and range."""
    classes = _rows(
        kg,
        """SELECT ?class ?label ?parent WHERE {
          GRAPH dkgg:ontology {
            ?class a owl:Class ; rdfs:label ?label .
            OPTIONAL { ?class rdfs:subClassOf ?parent . ?parent a owl:Class } }
          FILTER(STRSTARTS(STR(?class), STR(dkg:))) } ORDER BY ?class ?parent""",
    )
    properties = _rows(
        kg,
        """SELECT ?label ?domain ?range WHERE {
          GRAPH dkgg:ontology {
            ?property a owl:ObjectProperty ; rdfs:label ?label ;
              rdfs:domain ?domain ; rdfs:range ?range } }
        ORDER BY ?label""",
    )
    lines = [
        "digraph ontology {",
        '  graph [rankdir=RL, fontname="Helvetica", ranksep=0.8, nodesep=0.15, fontsize=11,',
        '    label="solid arrow: sub-class of;   dashed: object property from domain to range",'
        "    labelloc=b];",
        '  node [shape=box, style="rounded,filled", fillcolor="#eef2f6", fontname="Helvetica",'
        " fontsize=11];",
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    seen = set()
    for row in classes:
        if row["class"] not in seen:
            seen.add(row["class"])
            lines.append(f"  {_quote(row['class'])} [label={_quote(row['label'])}];")
    for row in classes:
        if "parent" in row and row["parent"].startswith(SITE + "/"):
            lines.append(f"  {_quote(row['class'])} -> {_quote(row['parent'])} [arrowhead=empty];")
    for row in properties:
        lines.append(
            f"  {_quote(row['domain'])} -> {_quote(row['range'])} "
            f'[label={_quote(row["label"])}, color="#2f6db5", fontcolor="#2f6db5", style=dashed];'
        )
    return "\n".join([*lines, "}"]) + "\n"


def timeline_dot(kg: KnowledgeGraph) -> str:
    """The dated events in order, each with its date as the text words it."""
    rows = kg.query("timeline").records()
    lines = [
        "digraph timeline {",
        '  graph [rankdir=TB, fontname="Helvetica", nodesep=0.3];',
        '  node [shape=box, style="rounded,filled", fillcolor="#e8f3ea", fontname="Helvetica",'
        " fontsize=11];",
        '  edge [color="#6b7785", arrowsize=0.7];',
    ]
    previous = None
    for index, row in enumerate(rows):
        bounds = (
            row.get("earliest", "?")
            if row.get("earliest") == row.get("latest")
            else (f"{row.get('earliest', '?')} .. {row.get('latest', '?')}")
        )
        label = f"{row['dateText']} ({row['part']})\n{row['eventName']}\n{bounds}"
        name = f"event{index}"
        quoted = _quote(label).replace("\n", "\\n")  # DOT's line break inside a label
        lines.append(f"  {name} [label={quoted}];")
        if previous:
            lines.append(f"  {previous} -> {name};")
        previous = name
    return "\n".join([*lines, "}"]) + "\n"


_BUILDERS = {"cast": cast_dot, "ontology": ontology_dot, "timeline": timeline_dot}


def diagram_source(kg: KnowledgeGraph, kind: str) -> str:
    if kind not in _BUILDERS:
        raise FormatError(f"unknown diagram {kind!r} (use one of {', '.join(DIAGRAMS)})")
    return _BUILDERS[kind](kg)


def drawing_format(output: str | Path, given: str | None = None) -> str:
    """``given``, else the format the suffix of ``output`` names; SVG for standard output (-).

    A suffix that names another drawing format than ``given`` is refused."""
    suffix = "" if str(output) == "-" else Path(output).suffix.lower().lstrip(".")
    if given is not None:
        if suffix in DRAWINGS and suffix != given:
            raise FormatError(f"{output}: the suffix .{suffix} contradicts --format {given}")
        return given
    if str(output) == "-":
        return "svg"
    if suffix not in DRAWINGS:
        raise FormatError(f"{output}: a diagram is written as .svg, .png or .dot")
    return suffix


def render(kg: KnowledgeGraph, kind: str, output: str | Path, fmt: str | None = None) -> None:
    """Draw a diagram to ``output`` (``.svg``, ``.png`` or ``.dot``, or ``-`` for stdout, with
    ``fmt`` when the suffix does not say), written by the rules of ``defenders_kg.files``."""
    target = Path(output)
    fmt = drawing_format(output, fmt)
    source = diagram_source(kg, kind)
    if fmt == "dot":
        write_atomic(target, source.encode("utf-8"))
        return
    import shutil  # only drawing needs these; the CLI imports this module for DIAGRAMS
    import subprocess

    dot = shutil.which("dot")
    if dot is None:
        raise ExportError("Graphviz's dot program is not installed (apt-get install graphviz)")
    done = subprocess.run(
        [dot, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True, check=False
    )
    if done.returncode != 0:
        raise ExportError(f"dot failed: {done.stderr.decode('utf-8', 'replace').strip()[:300]}")
    write_atomic(target, done.stdout)
