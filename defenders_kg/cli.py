"""The command line: a thin layer where each command is one library call.

Exit codes (also in the README): 0 success; 1 the graph does not validate; 2 usage error (bad
option, unknown query, bad parameter or format); 3 malformed or refused SPARQL; 4 unreadable or
invalid input data; 5 output cannot be written; 6 the graph is inconsistent; 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import errors
from ._version import __version__
from .diagrams import DIAGRAMS
from .export import EXPORT_FORMATS, SUFFIXES
from .files import write_atomic
from .kg import KnowledgeGraph
from .queries import catalogue_markdown, list_queries
from .results import GRAPH_FORMATS, RESULT_FORMATS

if TYPE_CHECKING:
    from .remote import RemoteKnowledgeGraph

# Modules that only some commands need are imported in those commands, to keep start-up fast.

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_QUERY = 3
EXIT_INPUT = 4
EXIT_OUTPUT = 5
EXIT_INCONSISTENT = 6
EXIT_REMOTE = 7
EXIT_INTERRUPTED = 130

_EXIT_CODES: list[tuple[type[errors.DefendersKGError], int]] = [
    (errors.QuerySyntaxError, EXIT_QUERY),
    (errors.DataLoadError, EXIT_INPUT),
    (errors.ExportError, EXIT_OUTPUT),
    (errors.InconsistencyError, EXIT_INCONSISTENT),
    (errors.RemoteError, EXIT_REMOTE),
    (errors.DefendersKGError, EXIT_USAGE),
]

Handler = Callable[[argparse.Namespace, KnowledgeGraph], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        kg = KnowledgeGraph(
            args.data, with_embedded=args.with_embedded, use_cache=not args.no_cache
        )
        return handler(args, kg)
    except errors.DefendersKGError as err:
        print(f"defenders-kg: error: {err}", file=sys.stderr)
        return next(code for kind, code in _EXIT_CODES if isinstance(err, kind))
    except KeyboardInterrupt:
        print("defenders-kg: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`); nothing more to say
        return EXIT_OK


def _emit(text: str | bytes) -> None:
    if isinstance(text, bytes):
        sys.stdout.buffer.write(text)
    else:
        sys.stdout.write(text)
    sys.stdout.flush()


def _cmd_queries(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    catalogue = list_queries()
    if args.format == "markdown":
        _emit(catalogue_markdown())
        return EXIT_OK
    if args.format == "json":
        entries = [
            {
                "name": q.name,
                "summary": q.summary,
                "tags": list(q.tags),
                "inference": q.inference,
                "params": {p.name: {"type": p.type, "required": p.required} for p in q.params},
                "example": q.example,
            }
            for q in catalogue
        ]
        _emit(json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    width = max(len(q.name) for q in catalogue)
    for q in catalogue:
        _emit(f"{q.name.ljust(width)}  {q.summary}\n")
        for p in q.params:
            need = "required" if p.required else "optional"
            _emit(f"{'':{width}}    --param {p.name}=<{p.type}> ({need}) {p.description}\n")
    return EXIT_OK


def _source(args: argparse.Namespace, kg: KnowledgeGraph) -> KnowledgeGraph | RemoteKnowledgeGraph:
    """The embedded (or --data) graph, or the remote endpoint named by --endpoint."""
    if args.endpoint is None:
        return kg
    from .remote import Connection, RemoteKnowledgeGraph

    return RemoteKnowledgeGraph(args.endpoint, Connection(timeout=args.timeout))


def _cmd_query(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    params = dict(_split_param(item) for item in args.param)
    inference = False if args.no_inference else None
    result = _source(args, kg).query(args.name, params, inference=inference)
    _emit(result.serialize(args.format))
    return EXIT_OK


def _split_param(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise errors.QueryParameterError(f"--param expects KEY=VALUE, got {item!r}")
    return key.strip(), value


def _cmd_sparql(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    if args.file is not None:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise errors.DataLoadError(f"cannot read {args.file}: {err}") from None
    else:
        text = args.query
    result = _source(args, kg).sparql(text, inference=not args.no_inference)
    _emit(result.serialize(args.format or ("turtle" if result.kind == "graph" else "table")))
    return EXIT_OK


def _cmd_export(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    fmt = args.format or _format_from_suffix(args.output) or "turtle"
    data = kg.export(fmt, inferred=not args.asserted)
    if args.output is None or args.output == "-":
        _emit(data)
    else:
        write_atomic(args.output, data)
        from .describe_dataset import void_description

        # The dataset description ships beside every export written to a file.
        description = Path(args.output).with_suffix(".void.ttl")
        write_atomic(description, void_description(kg).encode("utf-8"))
    return EXIT_OK


def _format_from_suffix(output: str | None) -> str | None:
    if not output:
        return None
    suffix = Path(output).suffix.lower()
    return next((fmt for fmt, known in SUFFIXES.items() if known == suffix), None)


def _cmd_describe(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    _emit(kg.describe(args.entity).serialize(args.format))
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    report = kg.validate()
    _emit(report.text())
    return EXIT_OK if report.conforms else EXIT_INVALID


def _cmd_stats(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    counts = kg.stats().as_dict()
    if args.format == "json":
        _emit(json.dumps(counts, indent=2) + "\n")
    else:
        width = max(len(name) for name in counts)
        _emit(
            "".join(
                f"{name.replace('_', ' '):{width}}  {value}\n" for name, value in counts.items()
            )
        )
    return EXIT_OK


def _cmd_push(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    from .remote import Connection, push

    connection = Connection(timeout=args.timeout)
    count = push(
        kg, args.store, graph=args.graph, inferred=not args.asserted, connection=connection
    )
    target = f"graph <{args.graph}>" if args.graph else "the whole dataset"
    print(f"defenders-kg: replaced {target} with {count} statements", file=sys.stderr)
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    from .server import Limits, serve

    limits = Limits(
        timeout=args.timeout, max_rows=args.max_rows, max_bytes=args.max_bytes, workers=args.workers
    )
    serve(kg, host=args.host, port=args.port, limits=limits)
    return EXIT_OK


def _cmd_docs(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    from .ontology_docs import build_docs

    page = build_docs(args.output)
    print(f"defenders-kg: wrote {page}", file=sys.stderr)
    return EXIT_OK


def _cmd_diagram(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    from .diagrams import render

    render(kg, args.kind, args.output)
    return EXIT_OK


def _cmd_void(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    from .describe_dataset import void_description

    text = void_description(kg, endpoint=args.endpoint_url)
    if args.output:
        write_atomic(args.output, text.encode("utf-8"))
    else:
        _emit(text)
    return EXIT_OK


def _cmd_synth(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    from .synth import write_synthetic

    if args.scale < 1:
        raise errors.QueryParameterError("--scale must be at least 1")
    count = write_synthetic(args.output, scale=args.scale, seed=args.seed)
    print(f"defenders-kg: wrote {count} quads to {args.output}", file=sys.stderr)
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="defenders-kg",
        description="Query, validate and export the Defenders knowledge graph.",
        epilog="Example: defenders-kg query actors-reprising-roles",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_common(parser, defaults=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Handler, summary: str, example: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=summary,
            description=summary,
            epilog=f"Example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _add_common(sub, defaults=False)
        sub.set_defaults(handler=handler)
        return sub

    sub = command("queries", _cmd_queries, "List the canned queries.", "defenders-kg queries")
    sub.add_argument("--format", choices=("text", "json", "markdown"), default="text")

    sub = command(
        "query",
        _cmd_query,
        "Run a canned query by name.",
        'defenders-kg query cast --param actor="Charlie Cox" --format csv',
    )
    sub.add_argument("name", help="the query name (see 'defenders-kg queries')")
    sub.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="bind a parameter (repeatable)",
    )
    sub.add_argument("--format", choices=RESULT_FORMATS, default="table")
    _add_query_options(sub)

    sub = command(
        "sparql",
        _cmd_sparql,
        "Run an ad-hoc SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE).",
        "defenders-kg sparql 'SELECT ?s WHERE { ?s a <https://schema.org/TVSeries> } ORDER BY ?s'",
    )
    source = sub.add_mutually_exclusive_group(required=True)
    source.add_argument("query", nargs="?", help="the query text")
    source.add_argument("--file", help="read the query from a file")
    sub.add_argument(
        "--format",
        choices=sorted({*RESULT_FORMATS, *GRAPH_FORMATS}),
        help="table (default) for SELECT/ASK, turtle (default) for CONSTRUCT/DESCRIBE",
    )
    _add_query_options(sub)

    sub = command(
        "export",
        _cmd_export,
        "Export the graph as RDF, byte-identical for the same input.",
        "defenders-kg export --asserted --format trig -o defenders.trig",
    )
    _add_layer_choice(sub)
    sub.add_argument(
        "--format", choices=tuple(EXPORT_FORMATS), help="default: from -o suffix, else turtle"
    )
    sub.add_argument("-o", "--output", help="output file, written atomically (default: stdout)")

    sub = command(
        "describe",
        _cmd_describe,
        "Show every triple about an entity, given by label or IRI.",
        'defenders-kg describe "Matt Murdock"',
    )
    sub.add_argument("entity", help="a label such as 'Charlie Cox', or an IRI")
    sub.add_argument("--format", choices=tuple(GRAPH_FORMATS), default="turtle")

    command(
        "validate",
        _cmd_validate,
        "Validate with the SHACL shapes and the quality-check queries (exit 1 if not valid).",
        "defenders-kg validate",
    )

    sub = command(
        "push",
        _cmd_push,
        "Replace the data of a SPARQL 1.1 Graph Store with this graph, in one request.",
        "defenders-kg push --store http://127.0.0.1:7878/store",
    )
    sub.add_argument(
        "--store", required=True, help="Graph Store Protocol URL (Oxigraph: .../store)"
    )
    sub.add_argument("--graph", help="replace only this named graph, with all triples merged")
    _add_layer_choice(sub)
    sub.add_argument(
        "--timeout", type=float, default=300.0, help="seconds per request (default 300)"
    )

    sub = command(
        "serve",
        _cmd_serve,
        "Serve a read-only SPARQL 1.1 endpoint (/sparql) and a query page (/) over the closure.",
        "defenders-kg serve --port 8000 --timeout 10 --max-rows 10000",
    )
    sub.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sub.add_argument("--port", type=int, default=8000)
    sub.add_argument(
        "--timeout", type=float, default=10.0, help="seconds a query may run (default 10)"
    )
    sub.add_argument(
        "--max-rows", type=int, default=10_000, help="result rows allowed (default 10000)"
    )
    sub.add_argument(
        "--max-bytes", type=int, default=64 * 1024, help="longest query or body, in bytes"
    )
    sub.add_argument("--workers", type=int, default=2, help="query worker processes (default 2)")

    sub = command(
        "docs",
        _cmd_docs,
        "Write the ontology documentation (pyLODE HTML) into a folder.",
        "defenders-kg docs -o site/ontology",
    )
    sub.add_argument("-o", "--output", required=True, help="output folder (index.html goes there)")

    sub = command(
        "diagram",
        _cmd_diagram,
        "Draw the cast network, the ontology or the timeline with Graphviz.",
        "defenders-kg diagram cast -o cast.png",
    )
    sub.add_argument("kind", choices=DIAGRAMS)
    sub.add_argument("-o", "--output", required=True, help="output file: .svg, .png or .dot")

    sub = command(
        "void",
        _cmd_void,
        "Describe the dataset in VoID and DCAT (counts, vocabularies, licence, endpoint).",
        "defenders-kg void -o void.ttl",
    )
    sub.add_argument("-o", "--output", help="output file (default: stdout)")
    sub.add_argument(
        "--endpoint-url", default="http://127.0.0.1:8000/sparql", help="SPARQL endpoint"
    )

    sub = command(
        "synth",
        _cmd_synth,
        "Write a synthetic franchise of K series shaped like the embedded graph (TriG or N-Quads).",
        "defenders-kg synth --scale 100 --seed 1 -o franchise-100.trig",
    )
    sub.add_argument("--scale", type=int, required=True, metavar="K", help="number of series")
    sub.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sub.add_argument("-o", "--output", required=True, help="output file, .trig or .nq")

    sub = command(
        "stats",
        _cmd_stats,
        "Count triples, classes, properties and entities.",
        "defenders-kg stats",
    )
    sub.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def _add_query_options(parser: argparse.ArgumentParser) -> None:
    """Where a query runs: with or without the closure, embedded or on a remote endpoint."""
    parser.add_argument("--no-inference", action="store_true", help="query the asserted graph only")
    parser.add_argument(
        "--endpoint",
        metavar="URL",
        help="run on a remote SPARQL 1.1 query endpoint instead (Oxigraph: .../query)",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per remote request")


def _add_layer_choice(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--inferred", action="store_true", help="include the OWL-RL closure (default)"
    )
    which.add_argument("--asserted", action="store_true", help="asserted triples only")


def _add_common(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """Options every command takes, before or after the command name."""
    # Sub-command defaults would overwrite values given before the command name, so only the
    # top-level parser has defaults.
    suppress: dict[str, Any] = {} if defaults else {"default": argparse.SUPPRESS}
    data_default: dict[str, Any] = {"default": []} if defaults else suppress
    parser.add_argument(
        "--data",
        action="append",
        metavar="FILE",
        help="instance data (.ttl .nt .trig .nq .jsonld) replacing the embedded graph; repeatable",
        **data_default,
    )
    parser.add_argument(
        "--with-embedded",
        action="store_true",
        help="add --data to the embedded graph instead of replacing it",
        **suppress,
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the on-disk cache",
        **suppress,
    )
    reasoner_default: dict[str, Any] = {"default": "fast"} if defaults else suppress
    parser.add_argument(
        "--reasoner",
        choices=("fast", "owlrl"),
        help="fast (default: compiled rules, falls back to owlrl when needed) or owlrl (reference)",
        **reasoner_default,
    )
