"""What a remote store holds and how to ask it: the layout probe, and the one place for rewrites.

Before the first query against an endpoint, a few small queries learn its layout (``probe``):

- where the knowledge graph is: as the project's named graphs (``dataset``, what ``push`` writes),
  merged into one named graph (``graph``, what ``push --graph`` writes), or in the default graph;
- whether the store's default graph is the union of its named graphs;
- whether the OWL-RL closure is there;
- the push record (``MANIFEST_GRAPH``) that ``push`` writes last: a push that stopped halfway
  leaves none, and it says which layout and closure the push chose;
- the store's own system graphs (Virtuoso keeps its configuration in named graphs);
- the store itself, from its ``Server`` header, for the one store that needs a dialect.

``Layout.plan`` then turns a query into what to send: the text unchanged, with the protocol's
dataset parameters, or with Virtuoso's ``define input:...`` pragmas; or it refuses with one message
that says how to set the store up. No query ever runs against a layout that would answer it wrongly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..errors import RemoteError
from ..policy import _TOKEN
from ..vocab import GRAPH_BASE, INFERRED_GRAPH, ONTOLOGY_GRAPH, ONTOLOGY_IRI, OWL, SITE, XSD

#: The graph that records the last push: layout, closure, quads sent; written last, removed first.
MANIFEST_GRAPH = GRAPH_BASE + "push"
PUSH_NS = SITE + "/push#"
#: Where a push to Oxigraph loads the new data before it replaces the old (``oxigraph``); queries
#: leave these graphs out.
STAGING_NS = "urn:defenders-kg:staging:"
_OWL_ONTOLOGY = OWL + "Ontology"
_XSD_BOOLEAN = XSD + "boolean"
#: Above this many graphs, naming them one by one in every request is slower than the store's own
#: union default graph by orders of magnitude (49 s for ``cast`` at K=100 on Oxigraph); refuse.
MAX_LISTED_GRAPHS = 200

#: Graph-name prefixes of Virtuoso's own data (configuration, LDP, URIQA, DAV).
VIRTUOSO_SYSTEM = (
    r"^(http://www\.openlinksw\.com/|http://www\.w3\.org/ns/ldp#|http://www\.w3\.org/2002/07/owl#"
    r"|http://localuriqaserver/|https?://[^/]+/(sparql|DAV/)$)"
)
_VIRTUOSO_SYSTEM = re.compile(VIRTUOSO_SYSTEM)


def system_filter(variable: str, *, keep: bool) -> str:
    """A SPARQL FILTER that keeps (or drops) Virtuoso's system graphs bound to ``variable``.

    The store answers it from its graph index, so no listing of every graph (which its row cap
    would cut) is needed.
    """
    pattern = VIRTUOSO_SYSTEM.replace("\\", "\\\\")
    test = f'REGEX(STR({variable}), "{pattern}")'
    return f"FILTER({test if keep else f'!{test}'})"


Ask = Callable[[str], list[list[ox.NamedNode | ox.BlankNode | ox.Literal | None]]]


@dataclass(frozen=True)
class Plan:
    """A query as it is sent: its text and the protocol's dataset parameters."""

    text: str
    dataset: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Layout:
    """What the probe learnt about one endpoint."""

    endpoint: str
    store: str  # "virtuoso", "oxigraph" or "other"
    kind: str  # "dataset", "graph", "default" or "none"
    target: str | None  # the one named graph of the "graph" kind
    union_default: bool
    closure: bool | None  # None: cannot tell (data not pushed by defenders-kg)
    complete: bool
    copies: tuple[str, ...]  # other graphs that hold a copy of the ontology
    system_graphs: tuple[str, ...]
    graphs: tuple[str, ...] | None  # every named graph, listed only when a plan needs them
    staged: bool = False  # a push is loading into staging graphs, or one stopped while it did

    @classmethod
    def assumed(cls, endpoint: str) -> Layout:
        """The layout ``push`` writes to Oxigraph, taken on trust instead of probed."""
        return cls(endpoint, "other", "dataset", None, True, True, True, (), (), ())

    def plan(
        self,
        text: str,
        *,
        closure: bool,
        closure_matters: bool,
        name: str | None = None,
        canned: bool = False,
    ) -> Plan:
        """How to send ``text`` so that it answers as the embedded graph would; or refuse.

        ``closure``: the query runs with the closure (as the embedded store with inference does).
        ``closure_matters``: the rows may change with the closure (false for canned queries
        written closure-independent, which may then run over everything).
        ``canned``: the text is one of the project's queries or checks, whose patterns name the
        project's vocabulary, so a store's own graphs can only reach it through ``GRAPH ?g``.
        """
        what = f"query {name!r}" if name else "this query"
        where = self.endpoint
        if self.kind == "none":
            raise RemoteError(
                f"{where} holds no defenders-kg graph (the ontology <{ONTOLOGY_IRI}> is in none of "
                "its graphs); run defenders-kg push first"
            )
        if not self.complete:
            raise RemoteError(
                f"{where}: the last push did not finish (its push record in <{MANIFEST_GRAPH}> "
                "says complete false); run defenders-kg push again"
            )
        if closure and not self.closure:
            why = "holds no" if self.closure is False else "cannot show it holds the"
            raise RemoteError(
                f"{what} needs the OWL-RL closure and {where} {why} closure; push without "
                "--asserted, or run with --no-inference to query the asserted graph only"
            )
        exclude_closure = not closure and bool(self.closure) and closure_matters
        if self.kind != "dataset" and _uses_graph_keyword(text):
            held = f"in one named graph <{self.target}>" if self.kind == "graph" else "unnamed"
            raise RemoteError(
                f"{what} reads the statement groups as named graphs (GRAPH), but {where} holds "
                f"the knowledge graph {held}; push without --graph to keep them"
            )
        if self.kind == "graph" and exclude_closure:
            raise RemoteError(
                f"{what} without the closure cannot run on {where}: the closure is merged "
                f"into <{self.target}>; push with --asserted --graph for that"
            )
        if self.store == "virtuoso":
            if self.kind == "graph":
                graph = f"define input:default-graph-uri <{self.target}>\n"
                return Plan(graph + _virtuoso_booleans(text))
            named = [*self.system_graphs, MANIFEST_GRAPH, *self.copies]
            named += [INFERRED_GRAPH] if exclude_closure else []
            # Each graph left out of the default graph makes Virtuoso's cost model recurse
            # deeper (SQ200 with two of them on a FILTER NOT EXISTS over GRAPH ?g), so a canned
            # query leaves out only what can change its rows.
            # A named-graph exclusion alone would leave the default graph empty: one default
            # exclusion at least keeps it "every graph but".
            default = [*self.copies, *([INFERRED_GRAPH] if exclude_closure else [])]
            default = default or [MANIFEST_GRAPH]
            return Plan(virtuoso_excluding(text, named if not canned else default, named))
        if self.kind == "graph":
            assert self.target is not None
            return Plan(text, [("default-graph-uri", self.target)])
        # A copy of the graph in another named graph (an earlier push --graph) would count
        # every row twice in the union: name the dataset without it.
        listing = exclude_closure or not self.union_default or bool(self.copies) or self.staged
        if self.kind == "default" or not listing:
            if exclude_closure and self.kind == "default":
                raise RemoteError(
                    f"{what} without the closure cannot run on {where}: its default graph mixes "
                    "asserted and inferred triples"
                )
            return Plan(text)
        graphs = [
            g
            for g in self.graphs or ()
            if g != MANIFEST_GRAPH and g not in self.copies and not (
                exclude_closure and g == INFERRED_GRAPH)
        ]  # fmt: skip
        if len(graphs) > MAX_LISTED_GRAPHS:
            if not self.union_default:
                advice = "start it with --union-default-graph"
            elif self.copies:
                advice = f"drop the copy in <{self.copies[0]}> or push again without --graph"
            else:
                advice = "query with the closure, or push with --asserted"
            raise RemoteError(
                f"{what} would have to name {len(graphs)} graphs in each request to {where} "
                f"(its default graph is {'not ' if not self.union_default else ''}the union of "
                f"its named graphs{' without the closure' if exclude_closure else ''}); {advice}"
            )
        dataset = [("default-graph-uri", g) for g in graphs]
        return Plan(text, dataset + [("named-graph-uri", g) for g in graphs])


def virtuoso_excluding(text: str, default: list[str], named: list[str]) -> str:
    """The query for Virtuoso with graphs left out of its default graph and its named graphs.

    Virtuoso's ``define input:default-graph-exclude`` / ``named-graph-exclude`` pragmas do that at
    any size, but with either of them ``GRAPH <iri> { ... }`` matches nothing (7.2.5), so each such
    pattern becomes ``GRAPH ?v { ... } FILTER(?v = <iri>)``, which it answers. Boolean BINDs are
    rewritten too (``_virtuoso_booleans``).

    >>> print(virtuoso_excluding("SELECT * { GRAPH <urn:g> { ?s ?p ?o } }", ["urn:x"], ["urn:x"]))
    define input:default-graph-exclude <urn:x>
    define input:named-graph-exclude <urn:x>
    SELECT * { GRAPH ?virtuosoGraph1 { ?s ?p ?o } FILTER(?virtuosoGraph1 = <urn:g>) }
    """
    pragmas = "".join(f"define input:default-graph-exclude <{g}>\n" for g in default)
    pragmas += "".join(f"define input:named-graph-exclude <{g}>\n" for g in named)
    text = _virtuoso_booleans(text)
    if not pragmas:
        return text
    tokens = [(m.lastgroup, m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    edits: list[tuple[int, int, str]] = []
    open_graphs: list[tuple[int, str, str]] = []  # (depth of its group, variable, graph term)
    depth = count = 0
    significant = [t for t in tokens if t[0] not in ("space", "comment")]
    for index, (kind, value, _, end) in enumerate(significant):
        if kind == "open" and value == "{":
            depth += 1
        elif kind == "close" and value == "}":
            if open_graphs and open_graphs[-1][0] == depth:
                _, variable, term = open_graphs.pop()
                edits.append((end, end, f" FILTER({variable} = {term})"))
            depth -= 1
        elif kind == "word" and value.upper() == "GRAPH" and index + 2 < len(significant):
            name, brace = significant[index + 1], significant[index + 2]
            if name[0] in ("iri", "pname") and brace[1] == "{":
                count += 1
                variable = f"?virtuosoGraph{count}"
                edits.append((name[2], name[3], variable))
                open_graphs.append((depth + 1, variable, name[1]))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return pragmas + text


def _virtuoso_booleans(text: str) -> str:
    """``BIND(EXISTS {...} AS ?v)`` made to give a boolean on Virtuoso, which has no boolean
    values in expressions and answers 1 or 0 as integers; a typed literal it keeps (as "1"^^
    xsd:boolean, which the client reads back as true).

    >>> print(_virtuoso_booleans("SELECT * { BIND(NOT EXISTS { ?s ?p ?o } AS ?none) }")
    ...       .replace(_XSD_BOOLEAN, "xsd:boolean"))
    SELECT * { BIND(STRDT(IF(NOT EXISTS { ?s ?p ?o }, "true", "false"), <xsd:boolean>) AS ?none) }
    """
    significant = [
        (m.lastgroup, m.group(), m.start())
        for m in _TOKEN.finditer(text)
        if m.lastgroup not in ("space", "comment")
    ]
    edits: list[tuple[int, int]] = []
    for index, (kind, value, _) in enumerate(significant[:-3]):
        if kind != "word" or value.upper() != "BIND" or significant[index + 1][1] != "(":
            continue
        first = significant[index + 2][1].upper()
        second = significant[index + 3][1].upper()
        if first != "EXISTS" and (first, second) != ("NOT", "EXISTS"):
            continue
        depth = 0
        for later in significant[index + 1 :]:
            depth += later[0] == "open"
            depth -= later[0] == "close"
            if depth == 1 and later[0] == "word" and later[1].upper() == "AS":
                edits.append((significant[index + 2][2], later[2]))
                break
    for start, end in sorted(edits, reverse=True):
        expression = text[start:end].rstrip()
        wrapped = f'STRDT(IF({expression}, "true", "false"), <{_XSD_BOOLEAN}>) '
        text = text[:start] + wrapped + text[end:]
    return text


def _uses_graph_keyword(text: str) -> bool:
    return any(
        m.lastgroup == "word" and m.group().upper() == "GRAPH" for m in _TOKEN.finditer(text)
    )


def store_of(server_header: str) -> str:
    """The store named by an HTTP ``Server`` header."""
    lowered = server_header.lower()
    if "virtuoso" in lowered:
        return "virtuoso"
    return "oxigraph" if "oxigraph" in lowered else "other"


def is_system_graph(store: str, graph: str) -> bool:
    return store == "virtuoso" and bool(_VIRTUOSO_SYSTEM.match(graph))


def probe(endpoint: str, store: str, select: Ask) -> Layout:
    """Learn the layout of ``endpoint`` with a handful of small queries run by ``select``."""

    def values(text: str) -> list[str]:
        return [row[0].value for row in select(text) if row and row[0] is not None]

    system: tuple[str, ...] = ()
    if store == "virtuoso":
        keep = system_filter("?g", keep=True)
        listing = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {keep} }}"
        system = tuple(sorted(g for g in values(listing) if is_system_graph(store, g)))
    holders = [
        g
        for g in values(
            f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{ONTOLOGY_IRI}> a <{_OWL_ONTOLOGY}> }} }}"
        )
        if not g.startswith(STAGING_NS)
    ]
    in_default = bool(values(f"SELECT ?o WHERE {{ <{ONTOLOGY_IRI}> a ?o }} LIMIT 1"))
    record = {
        str(row[0].value).removeprefix(PUSH_NS): row[1].value
        for row in select(f"SELECT ?k ?v WHERE {{ GRAPH <{MANIFEST_GRAPH}> {{ ?m ?k ?v }} }}")
        if row[0] is not None and row[1] is not None
    }
    copies = tuple(sorted(g for g in holders if g != ONTOLOGY_GRAPH))
    target = record.get("target") if record.get("layout") == "graph" else None
    if target is not None:
        kind = "graph"
        copies = ()
    elif ONTOLOGY_GRAPH in holders:
        kind = "dataset"
    elif len(copies) == 1:
        kind, target, copies = "graph", copies[0], ()
    elif in_default and not holders:
        kind = "default"
    else:
        kind = "none" if not holders else "graph"
        target = copies[0] if copies else None
    closure: bool | None = None
    if "closure" in record:
        closure = record["closure"] == "true"
    elif kind == "dataset":
        closure = bool(
            values(f"SELECT ?s WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }} LIMIT 1")
        )
    # A push writes its record last; one that the probe cannot find did not finish, unless the
    # data came another way (a bulk load of an export, which has no record and a complete graph).
    complete = not record or record.get("complete") == "true"
    union_default = in_default if kind == "dataset" else True
    graphs: tuple[str, ...] | None = None
    staged = False
    if kind == "dataset" and store != "virtuoso":
        # Needed to name the dataset when the default graph is not the union, or to leave the
        # closure out; Oxigraph lists graph names from an index, cheaply.
        listed = values("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
        graphs = tuple(sorted(g for g in listed if not g.startswith(STAGING_NS)))
        staged = len(graphs) < len(listed)
    return Layout(endpoint, store, kind, target, union_default, closure, complete, copies,
                  system, graphs, staged)  # fmt: skip
