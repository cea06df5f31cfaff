"""The command line: a thin layer where each command is one library call.

Each command is a handler function with its summary, its ``--help`` example and its options
declared beside it (``@command``). Exit codes come from the error classes (``errors.py``); the
README lists them: 0 success; 1 the graph does not validate; 2 usage error; 3 malformed or refused
SPARQL; 4 unreadable or invalid input data; 5 output cannot be written (standard output
included); 6 the graph is inconsistent; 7 a remote store failed; 8 ``serve`` cannot listen on its
address; 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from . import errors, formats, load
from ._version import __version__
from .diagrams import DIAGRAMS, DRAWINGS
from .files import StdoutError, standard_output
from .kg import KnowledgeGraph
from .queries import catalogue_markdown, collect_params, list_queries

if TYPE_CHECKING:
    from .stores.client import RemoteKnowledgeGraph

# Modules that only some commands need are imported in those commands, to keep start-up fast.

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = errors.DefendersKGError.exit_code
EXIT_QUERY = errors.QuerySyntaxError.exit_code
EXIT_INPUT = errors.DataLoadError.exit_code
EXIT_OUTPUT = errors.ExportError.exit_code
EXIT_INCONSISTENT = errors.InconsistencyError.exit_code
EXIT_REMOTE = errors.RemoteError.exit_code
EXIT_LISTEN = errors.ListenError.exit_code
EXIT_INTERRUPTED = 130

Handler = Callable[[argparse.Namespace, KnowledgeGraph], int]
Option = tuple[tuple[str, ...], dict[str, Any]]


def option(*names: str, **settings: Any) -> Option:
    """One argparse option, declared where its command is."""
    return names, settings


class Command(NamedTuple):
    name: str
    summary: str
    example: str
    handler: Handler
    options: tuple[Option, ...] = ()
    #: Groups of options of which at most one may be given (``required`` makes it exactly one).
    exclusive: tuple[tuple[bool, list[Option]], ...] = ()


COMMANDS: list[Command] = []


def command(
    name: str,
    summary: str,
    example: str,
    *options: Option,
    exclusive: Sequence[tuple[bool, list[Option]]] = (),
) -> Callable[[Handler], Handler]:
    """Register a handler as the command ``name``, with its ``--help`` text and its options."""

    def register(handler: Handler) -> Handler:
        COMMANDS.append(Command(name, summary, example, handler, options, tuple(exclusive)))
        return handler

    return register


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    _interrupt_on_sigterm()
    args = _parser(_command_named(argv)).parse_args(argv)
    handler: Handler = args.handler
    try:
        kg = KnowledgeGraph(
            _data_sources(args.data, args.data_format),
            with_embedded=args.with_embedded,
            use_cache=not args.no_cache,
            reasoner=args.reasoner,
            resident=True,
        )
        return handler(args, kg)
    except errors.DefendersKGError as err:
        print(f"defenders-kg: error: {err}", file=sys.stderr)
        if isinstance(err, StdoutError):
            _drop_stdout()
        return err.exit_code
    except KeyboardInterrupt:
        print("defenders-kg: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _data_sources(data: list[str], data_format: str | None) -> list[str | load.Source]:
    """The ``--data`` inputs: files, or with ``-`` standard input, in ``--data-format``."""
    fmt = formats.get(data_format) if data_format else None
    if data.count("-") > 1:
        raise errors.DefendersKGError("--data - can be given once: standard input is read once")
    sources: list[str | load.Source] = []
    for item in data:
        if item == "-":
            if fmt is None:
                raise errors.DefendersKGError(
                    "--data - needs --data-format: standard input has no suffix to tell it"
                )
            sources.append(load.bytes_source(sys.stdin.buffer.read(), fmt))
        elif fmt and not formats.by_suffix(Path(item).suffix, kinds=load.DATA_KINDS):
            sources.append(load.user_source(item, fmt))
        else:
            sources.append(item)
    return sources


def _interrupt_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so temporary files and folders are removed on the way out."""
    import contextlib
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread: leave it as it is
        signal.signal(signal.SIGTERM, interrupt)


def _emit(text: str | bytes) -> None:
    stdout = standard_output()
    try:
        stdout.write(text.encode("utf-8") if isinstance(text, str) else text)
        stdout.flush()
    except OSError as err:
        raise StdoutError(err) from None


def _drop_stdout() -> None:
    """Point a failed stdout at /dev/null: Python's flush at exit would print a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, ValueError, OSError):  # stdout was closed: nothing to flush
        pass


def _seconds(text: str) -> float:
    """An argparse type: a time-out, a finite number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def _count(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _mebibytes(text: str) -> int:
    """An argparse type: a whole number of MiB, 0 or more."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of MiB, 0 or more, got {text!r}")
    return int(text)


def _port(text: str) -> int:
    """An argparse type: a TCP port, 0 (any free port) to 65535."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return int(text)


def _http_url(text: str) -> str:
    """An argparse type: an absolute http or https URL with a host (and a valid port)."""
    import urllib.parse

    try:
        parts = urllib.parse.urlsplit(text)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 (raises ValueError on a port out of range or not a number)
    except ValueError:
        valid = False
    if not valid or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"expected an http:// or https:// URL, got {text!r}")
    return text


# Options shared by several commands.
NO_INFERENCE = option("--no-inference", action="store_true", help="query the asserted graph only")
ENDPOINT = option(
    "--endpoint",
    metavar="URL",
    type=_http_url,
    help="run on a remote SPARQL 1.1 query endpoint instead (Oxigraph: .../query)",
)
REMOTE_TIMEOUT = option(
    "--timeout", type=_seconds, default=30.0, help="seconds per remote request (default 30)"
)
WIDTH = option(
    "--width",
    type=int,
    metavar="N",
    help="cut the table's widest columns to fit N characters (default: $COLUMNS, else the "
    "terminal's width, else no limit; 0: no limit)",
)
LAYER = (
    False,
    [
        option("--inferred", action="store_true", help="include the OWL-RL closure (default)"),
        option("--asserted", action="store_true", help="asserted triples only"),
    ],
)


@command(
    "queries",
    "List the canned queries.",
    "defenders-kg queries --format markdown",
    option("--format", choices=("text", "json", "markdown"), default="text"),
)
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


_ROW_FORMATS = [name for name in formats.RESULT_NAMES if name != "table"]


@command(
    "query",
    "Run a canned query by name.",
    'defenders-kg query cast --param actorName="Charlie Cox" --format csv',
    option("name", help="the query name (see 'defenders-kg queries')"),
    option("--param", action="append", default=[], metavar="KEY=VALUE", help="bind a parameter"),
    option(
        "--format",
        choices=(*formats.RESULT_NAMES, *formats.GRAPH_NAMES),
        default="table",
        metavar="FORMAT",
        help=f"table (default; Turtle for a graph result), {' '.join(_ROW_FORMATS)} for rows, "
        f"{' '.join(formats.GRAPH_NAMES)} for a graph",
    ),
    NO_INFERENCE,
    ENDPOINT,
    REMOTE_TIMEOUT,
    WIDTH,
)
def _cmd_query(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    params = collect_params(_split_param(item) for item in args.param)
    inference = False if args.no_inference else None
    result = _source(args, kg).query(args.name, params, inference=inference)
    _emit(result.encode(args.format, width=_table_width(args.width)))
    return EXIT_OK


def _table_width(given: int | None) -> int | None:
    """The width a table must fit: ``--width``, else ``$COLUMNS``, else the terminal's when
    stdout is one; None (no limit) for 0 or when writing into a pipe or file."""
    if given is not None:
        return given if given > 0 else None
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns if sys.stdout.isatty() else None
    except (AttributeError, ValueError, OSError):
        return None


def _split_param(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise errors.QueryParameterError(f"--param expects KEY=VALUE, got {item!r}")
    return key.strip(), value


def _source(args: argparse.Namespace, kg: KnowledgeGraph) -> KnowledgeGraph | RemoteKnowledgeGraph:
    """The embedded (or --data) graph, or the remote endpoint named by --endpoint."""
    if args.endpoint is None:
        return kg
    if args.data:
        raise errors.DefendersKGError(
            "--data is not read with --endpoint: the query runs on the endpoint's data "
            "(send yours there with defenders-kg push)"
        )
    from .stores.client import RemoteKnowledgeGraph
    from .stores.http import Connection

    return RemoteKnowledgeGraph(args.endpoint, Connection(timeout=args.timeout))


@command(
    "sparql",
    "Run an ad-hoc SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE).",
    "defenders-kg sparql 'SELECT ?s WHERE { ?s a schema:TVSeries } ORDER BY ?s'",
    option(
        "--format",
        choices=(*formats.RESULT_NAMES, *formats.GRAPH_NAMES),
        help="table (default) for SELECT/ASK, turtle (default) for CONSTRUCT/DESCRIBE",
    ),
    NO_INFERENCE,
    ENDPOINT,
    REMOTE_TIMEOUT,
    WIDTH,
    exclusive=[
        (
            True,
            [
                option("query", nargs="?", help="the query text"),
                option("--file", help="read the query from a file (- reads standard input)"),
            ],
        )
    ],
)
def _cmd_sparql(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    if args.file is not None:
        try:  # utf-8-sig: a byte-order mark, as some editors write, is not part of the query
            raw = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
            text = raw.decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise errors.DataLoadError(f"cannot read {args.file}: {err}") from None
    else:
        text = args.query
    result = _source(args, kg).sparql(text, inference=not args.no_inference)
    fmt = args.format or ("turtle" if result.kind == "graph" else "table")
    _emit(result.encode(fmt, width=_table_width(args.width)))
    return EXIT_OK


@command(
    "export",
    "Export the graph as RDF, byte-identical for the same input.",
    "defenders-kg export --asserted --format trig -o defenders.trig",
    option("--format", choices=formats.RDF_NAMES, help="default: from the -o suffix, else turtle"),
    option(
        "-o",
        "--output",
        help="output file (default: stdout); a regular file is replaced atomically, a link is "
        "followed, a FIFO or device is written into",
    ),
    option("--void", metavar="FILE", help="also write a VoID description of this export"),
    option(
        "--profile",
        choices=("rdf", "owl"),
        default="rdf",
        help="rdf (default): as stated; owl: for OWL 2 DL tools (Protégé, HermiT), literals "
        "typed outside the OWL 2 datatype map (xsd:date, xsd:gYearMonth) as xsd:string",
    ),
    exclusive=[LAYER],
)
def _cmd_export(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    from .files import check_outputs, write_atomic

    fmt = _output_format(args.output, args.format, default="turtle")
    if args.void is not None:
        _output_format(args.void, "turtle", option_name="--void")
    check_outputs(args.output, *([args.void] if args.void is not None else []))
    count = kg.export_to(args.output, fmt, inferred=not args.asserted, profile=args.profile)
    if args.void is not None:
        text = _export_description(kg, args, fmt, count)
        write_atomic(args.void, text.encode("utf-8"))
    return EXIT_OK


def _output_format(
    output: str | None, given: str | None, *, default: str = "turtle", option_name: str = "--format"
) -> str:
    """The RDF format of an output: ``given``, else the one its suffix names, else ``default``
    (standard output, or no suffix). A suffix that names another format than ``given`` is
    refused, and so is an unknown suffix when nothing else says which format to write."""
    suffix = "" if output in (None, "-") else Path(str(output)).suffix
    found = formats.by_suffix(suffix, kinds=("graph", "dataset")) if suffix else None
    if given is not None:
        if found is not None and found.name != given:
            raise errors.FormatError(
                f"{output}: the suffix {suffix} means {found.label}, but {option_name} writes "
                f"{formats.get(given).label}; change one of them"
            )
        return given
    if found is not None:
        return found.name
    if suffix:
        known = ", ".join(formats.suffixes(("graph", "dataset")))
        raise errors.FormatError(
            f"{output}: {suffix!r} is not the suffix of an RDF format (use one of {known}, "
            "or give --format)"
        )
    return default


def _export_description(kg: KnowledgeGraph, args: argparse.Namespace, fmt: str, count: int) -> str:
    from .describe_dataset import VoidCounts, vocabularies, void_description

    stats = kg.stats()
    counts = VoidCounts(count, stats.classes, stats.properties, stats.entities)
    store = kg.store(inference=not args.asserted)
    location = Path(args.output).resolve().as_uri() if args.output not in (None, "-") else "stdout"
    media_type = formats.get(fmt).media_type
    return void_description(counts, vocabularies(store), dump=(location, media_type))


@command(
    "describe",
    "Show every triple about an entity, given by label or IRI.",
    'defenders-kg describe "Matt Murdock"',
    option("entity", help="a label such as 'Charlie Cox', or an IRI"),
    option("--format", choices=formats.GRAPH_NAMES, default="turtle"),
)
def _cmd_describe(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    _emit(kg.describe(args.entity).encode(args.format))
    return EXIT_OK


@command(
    "validate",
    "Validate with the SHACL shapes and the quality-check queries (exit 1 if not valid).",
    "defenders-kg validate",
)
def _cmd_validate(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    report = kg.validate()
    _emit(report.text())
    return EXIT_OK if report.conforms else EXIT_INVALID


@command(
    "stats",
    "Count triples, classes, properties and entities.",
    "defenders-kg stats --format json",
    option("--format", choices=("text", "json"), default="text"),
)
def _cmd_stats(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    counts = kg.stats().as_dict()
    if args.format == "json":
        _emit(json.dumps(counts, indent=2) + "\n")
    else:
        width = max(len(name) for name in counts)
        _emit("".join(f"{name.replace('_', ' '):{width}}  {n}\n" for name, n in counts.items()))
    return EXIT_OK


@command(
    "push",
    "Replace a triple store's data with this graph (streamed, then checked), or write N-Quads "
    "for the store's own bulk loader.",
    "defenders-kg push --store http://127.0.0.1:7878/store",
    option(
        "--endpoint",
        metavar="URL",
        type=_http_url,
        help="the store's SPARQL query URL, to check the push "
        "(derived from --store for Oxigraph, Fuseki and Virtuoso)",
    ),
    option("--graph", help="replace only this named graph, with all triples merged"),
    option("--timeout", type=_seconds, default=50.0, help="seconds to wait per try (default 50)"),
    option(
        "--non-atomic",
        action="store_true",
        help="Oxigraph: load in place, 4x as fast, but a failure halfway loses the old data",
    ),
    exclusive=[
        LAYER,
        (
            True,
            [
                option(
                    "--store", type=_http_url, help="Graph Store Protocol URL (Oxigraph: .../store)"
                ),
                option(
                    "--bulk", metavar="FILE.nq", help="write N-Quads for the store's own loader"
                ),
            ],
        ),
    ],
)
def _cmd_push(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    from .stores.http import Connection
    from .stores.push import bulk_commands, bulk_file, push

    if args.bulk is not None:
        from .files import check_outputs

        _output_format(args.bulk, "nquads", option_name="push --bulk")
        check_outputs(args.bulk)
        count = bulk_file(kg, args.bulk, inferred=not args.asserted)
        print(f"defenders-kg: wrote {count} statements to {args.bulk}; load them with:\n"
              f"{bulk_commands(args.bulk)}", file=sys.stderr, end="")  # fmt: skip
        return EXIT_OK
    connection = Connection(timeout=args.timeout)
    count = push(kg, args.store, graph=args.graph, inferred=not args.asserted,
                 connection=connection, endpoint=args.endpoint,
                 atomic=not args.non_atomic)  # fmt: skip
    target = f"graph <{args.graph}>" if args.graph else "the whole dataset"
    print(f"defenders-kg: replaced {target} with {count} statements", file=sys.stderr)
    return EXIT_OK


@command(
    "serve",
    "Serve a read-only SPARQL 1.1 endpoint (/sparql) and a query page (/) over the closure.",
    "defenders-kg serve --port 8000 --timeout 10 --max-rows 10000",
    option("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)"),
    option("--port", type=_port, default=8000, help="port to listen on (default 8000; 0: any)"),
    option("--timeout", type=_seconds, default=10.0, help="seconds a query may run (default 10)"),
    option("--max-rows", type=_count, default=10_000, help="result rows allowed (default 10000)"),
    option("--max-bytes", type=_count, default=64 * 1024, help="longest query or body, in bytes"),
    option("--workers", type=_count, default=2, help="long queries run at once (default 2)"),
    option("--max-queue", type=_count, default=16, help="queries past --workers before 503 (16)"),
    option("--max-memory", type=_count, default=1024, help="MiB a query may use (default 1024)"),
    option("--read-timeout", type=_seconds, default=10.0, help="seconds to send a request (10)"),
    option("--max-connections", type=_count, default=256, help="open connections (default 256)"),
    option(
        "--answer-cache",
        type=_mebibytes,
        default=64,
        metavar="MIB",
        help="MiB of answers kept for repeated queries (default 64; 0 keeps none)",
    ),
    option(
        "--cors",
        help="origins allowed to read answers from a browser, comma-separated, or none "
        "(default * for the embedded graph, none with --data)",
    ),
)
def _cmd_serve(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    from .web.endpoint import serve
    from .web.pool import Limits

    limits = Limits(
        timeout=args.timeout, max_rows=args.max_rows, max_bytes=args.max_bytes,
        workers=args.workers, max_queue=args.max_queue, max_memory=args.max_memory,
        read_timeout=args.read_timeout, max_connections=args.max_connections,
        answer_cache=args.answer_cache,
    )  # fmt: skip
    cors = None if args.cors is None else [o for o in args.cors.split(",") if o not in ("", "none")]
    serve(kg, host=args.host, port=args.port, limits=limits, cors=cors)
    return EXIT_OK


@command(
    "docs",
    "Write the ontology documentation (one HTML page) into a folder.",
    "defenders-kg docs -o site/ontology",
    option("-o", "--output", required=True, help="output folder (index.html goes there)"),
)
def _cmd_docs(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    from .web.ontology_page import build_docs

    page = build_docs(args.output)
    print(f"defenders-kg: wrote {page}", file=sys.stderr)
    return EXIT_OK


@command(
    "site",
    "Write every entity page with its Turtle, N-Triples, JSON-LD and TriG as a static site, "
    "plus w3id.org redirect rules (.htaccess).",
    "defenders-kg site -o public --base-url https://example.org/defenders-kg/",
    option("-o", "--output", required=True, help="output folder: new, empty, or an earlier site"),
    option(
        "--base-url",
        type=_http_url,
        help="where the site will be published; .htaccess redirects the IRIs there "
        "(default https://defenders-kg.github.io/defenders-kg/)",
    ),
)
def _cmd_site(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    from .web.site import DEFAULT_BASE_URL, build_site

    report = build_site(
        kg.store(inference=True), args.output, base_url=args.base_url or DEFAULT_BASE_URL
    )
    print(
        f"defenders-kg: wrote {report.pages} pages ({report.files} files) to {report.folder}",
        file=sys.stderr,
    )
    return EXIT_OK


@command(
    "diagram",
    "Draw the cast network, the ontology or the timeline with Graphviz.",
    "defenders-kg diagram cast -o cast.png",
    option("kind", choices=DIAGRAMS),
    option("-o", "--output", required=True, help="output file: .svg, .png or .dot; - is stdout"),
    option("--format", choices=DRAWINGS, help="default: from the -o suffix; svg for stdout"),
)
def _cmd_diagram(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    from .diagrams import render
    from .files import check_outputs

    check_outputs(args.output)
    render(kg, args.kind, args.output, args.format)
    return EXIT_OK


@command(
    "annotations",
    "Write the words behind each fact as W3C Web Annotations (JSON-LD) for annotation tools.",
    "defenders-kg annotations -o annotations.jsonld",
    option("-o", "--output", help="output file (default: stdout)"),
)
def _cmd_annotations(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    from .files import check_outputs, write_atomic

    check_outputs(args.output)
    write_atomic(args.output or "-", kg.annotations().encode("utf-8"))
    return EXIT_OK


@command(
    "void",
    "Describe the dataset in VoID and DCAT (counts, vocabularies, licence, endpoint).",
    "defenders-kg void -o void.ttl",
    option("-o", "--output", help="output file, Turtle (default: stdout, also '-')"),
    option(
        "--endpoint-url",
        type=_http_url,
        default="http://127.0.0.1:8000/sparql",
        help="SPARQL endpoint",
    ),
)
def _cmd_void(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    from .describe_dataset import VoidCounts, vocabularies, void_description
    from .files import check_outputs, write_atomic

    _output_format(args.output, "turtle", option_name="void")
    check_outputs(args.output)
    stats = kg.stats()
    layers = {
        "ontology": stats.ontology_triples,
        "asserted": stats.asserted_triples,
        "inferred": stats.inferred_triples,
    }
    counts = VoidCounts(
        sum(layers.values()), stats.classes, stats.properties, stats.entities, layers
    )
    store = kg.store(inference=True)
    text = void_description(counts, vocabularies(store), endpoint=args.endpoint_url)
    write_atomic(args.output or "-", text.encode("utf-8"))
    return EXIT_OK


@command(
    "synth",
    "Write a synthetic franchise of K series shaped like the embedded graph (TriG or N-Quads).",
    "defenders-kg synth --scale 100 --seed 1 -o franchise-100.trig",
    option("--scale", type=int, required=True, metavar="K", help="number of series"),
    option("--seed", type=int, default=0, help="random seed (default 0)"),
    option("-o", "--output", required=True, help="output file, .trig or .nq"),
)
def _cmd_synth(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    from .synth import write_synthetic

    if args.scale < 1:
        raise errors.QueryParameterError("--scale must be at least 1")
    count = write_synthetic(args.output, scale=args.scale, seed=args.seed)
    print(f"defenders-kg: wrote {count} quads to {args.output}", file=sys.stderr)
    return EXIT_OK


@command(
    "cache",
    "List the cache's entries (input sets) with their sizes and counts, or clear them.",
    "defenders-kg cache",
    option("--clear", action="store_true", help="remove every entry"),
)
def _cmd_cache(args: argparse.Namespace, kg: KnowledgeGraph) -> int:
    from . import cache

    if args.clear:
        removed, freed = cache.clear()
        print(f"defenders-kg: removed {removed} entries ({freed} bytes) from {cache.cache_dir()}",
              file=sys.stderr)  # fmt: skip
    else:
        _emit(cache.listing())
    return EXIT_OK


def _command_named(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names, found as argparse would find it; None if there is none.

    Building the options of all fourteen commands costs a warm query a tenth of its time, so
    ``main`` builds only the named command's. Without one (``--help``, a typo), all are built.
    """
    takes_value = ("--data", "--data-format", "--reasoner")
    tokens = iter(argv)
    for token in tokens:
        if token.startswith("-"):
            if token == "-h" or (len(token) > 3 and "--help".startswith(token)):
                return None  # the help lists every command
            if (
                len(token) > 2
                and "=" not in token
                and any(o.startswith(token) for o in takes_value)
            ):
                next(tokens, None)  # the option's value, even when it looks like a command
            continue
        return token if any(spec.name == token for spec in COMMANDS) else None
    return None


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter, told the terminal width so that it does not import ``shutil`` (and
    with it ``bz2`` and ``lzma``: 5 ms of a warm query) to ask. The width is found as
    ``shutil.get_terminal_size`` finds it: ``$COLUMNS``, then the terminal, then 80."""

    def __init__(self, prog: str) -> None:
        try:
            columns = int(os.environ["COLUMNS"])
        except (KeyError, ValueError):
            try:
                columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
            except (AttributeError, ValueError, OSError):  # no stdout, or not a terminal
                columns = 80
        super().__init__(prog, width=columns - 2)


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of the command line, with the options of every command or only of ``only``."""
    parser = argparse.ArgumentParser(
        prog="defenders-kg",
        description="Query, validate and export the Defenders knowledge graph.",
        epilog="Example: defenders-kg query actors-reprising-roles",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_common(parser, defaults=True)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for spec in COMMANDS:
        if only is not None and spec.name != only:
            continue
        sub = subparsers.add_parser(
            spec.name,
            help=spec.summary,
            description=spec.summary,
            epilog=f"Example:\n  {spec.example}",
            formatter_class=_HelpFormatter,
        )
        _add_common(sub, defaults=False)
        for names, settings in spec.options:
            sub.add_argument(*names, **settings)
        for required, group_options in spec.exclusive:
            group = sub.add_mutually_exclusive_group(required=required)
            for names, settings in group_options:
                group.add_argument(*names, **settings)
        sub.set_defaults(handler=spec.handler)
    return parser


def _add_common(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """Options every command takes, before or after the command name."""
    # Sub-command defaults would overwrite values given before the command name, so only the
    # top-level parser has defaults.
    suppress: dict[str, Any] = {} if defaults else {"default": argparse.SUPPRESS}
    data_default: dict[str, Any] = {"default": []} if defaults else suppress
    suffixes = " ".join(formats.suffixes(("graph", "dataset")))
    parser.add_argument(
        "--data",
        action="append",
        metavar="FILE",
        help=f"instance data ({suffixes}) replacing the embedded graph; repeatable",
        **data_default,
    )
    format_default: dict[str, Any] = {"default": None} if defaults else suppress
    parser.add_argument(
        "--data-format",
        choices=formats.RDF_NAMES,
        help="the format of --data - (standard input) and of files without a known suffix",
        **format_default,
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
