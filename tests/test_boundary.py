"""Where data crosses into or out of the project: output files, input files, queries, the CLI.

Each test here failed on the code before "one graph form" (issue 10) and passes now.
"""

from __future__ import annotations

import ast
import os
import shlex
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest
from tools import require_dot

from defenders_kg import (
    DataLoadError,
    KnowledgeGraph,
    QueryRefusedError,
    QuerySyntaxError,
    formats,
)
from defenders_kg.cli import EXIT_INPUT, EXIT_OK, EXIT_QUERY, _parser, main
from defenders_kg.vocab import DKGR, INFERRED_GRAPH, ONTOLOGY_GRAPH

ROOT = Path(__file__).resolve().parent.parent
IN_CI = bool(os.environ.get("CI"))


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- one internal form ------------------------------------------------------------------------


def test_the_cache_is_a_persisted_store_opened_read_only(cache_dir: Path) -> None:
    kg = KnowledgeGraph()
    kg.query("creators")
    path = kg.store_path(inference=True)
    assert path.is_relative_to(cache_dir)
    reopened = ox.Store.read_only(str(path))
    assert ox.NamedNode(INFERRED_GRAPH) in set(reopened.named_graphs())


def test_a_warm_query_imports_neither_rdflib_nor_owlrl(tmp_path: Path) -> None:
    env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(tmp_path)}
    probe = (
        "import sys; from defenders_kg.cli import main; code = main(['query', 'creators']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rdflib', 'owlrl')), "
        "file=sys.stderr); sys.exit(code)"
    )
    subprocess.run([sys.executable, "-c", probe], env=env, check=True, capture_output=True)
    warm = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert warm.returncode == 0
    assert warm.stderr.strip().splitlines()[-1] == "[]"


@pytest.fixture(scope="module")
def filled_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("filled-cache")
    warm_up = "from defenders_kg import KnowledgeGraph; KnowledgeGraph().stats()"
    env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(folder)}
    subprocess.run([sys.executable, "-c", warm_up], env=env, check=True)
    return folder


@pytest.mark.parametrize("fmt", ["turtle", "nt", "rdfxml", "trig", "nquads"])
def test_exports_are_written_without_rdflib(fmt: str, tmp_path: Path, filled_cache: Path) -> None:
    # Only JSON-LD compaction needs rdflib; every other syntax is Oxigraph's.
    probe = (
        "import sys; sys.modules['rdflib'] = None; from defenders_kg.cli import main; "
        f"sys.exit(main(['export', '--format', '{fmt}', '-o', sys.argv[1]]))"
    )
    env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(filled_cache)}
    out = tmp_path / f"export.{fmt}"
    done = subprocess.run([sys.executable, "-c", probe, str(out)], env=env, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert len(list(ox.parse(path=out, format=formats.get(fmt).rdf))) > 2000


def test_exports_keep_literals_as_written(kg: KnowledgeGraph) -> None:
    # An Oxigraph store would give "0"^^xsd:nonNegativeInteger back as an xsd:integer.
    data = kg.export("nt", inferred=False)
    assert b'"0"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>' in data


def test_the_package_has_no_import_cycle() -> None:
    package = ROOT / "defenders_kg"
    # Dotted names inside the package ("web.pages"); a sub-package's __init__ is its own name.
    modules = {
        ".".join(path.relative_to(package).with_suffix("").parts).removesuffix(".__init__"): path
        for path in package.rglob("*.py")
    }
    assert len(modules) > 15 and "web.pages" in modules
    imports: dict[str, set[str]] = {}
    for name, path in modules.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level >= 1:
                base = here[: len(here) - node.level + 1]
                stem = [*base, *node.module.split(".")] if node.module else base
                found |= {".".join(stem)} | {".".join([*stem, a.name]) for a in node.names}
        imports[name] = found & set(modules) - {name}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in imports[start] - seen:
            if step == goal or reaches(step, goal, seen | {step}):
                return True
        return False

    assert [name for name in imports if reaches(name, name, set())] == []


def test_one_registry_names_every_format() -> None:
    assert formats.get("xml").kind == "results"
    assert formats.get("rdfxml").rdf == ox.RdfFormat.RDF_XML
    assert formats.by_suffix(".owl", kinds=("graph",)) == formats.get("rdfxml")
    assert formats.by_media_type("application/json", kinds=("results",)) == formats.get("json")


def test_xml_is_never_rdfxml(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["export", "--format", "xml"])
    assert "invalid choice: 'xml'" in capsys.readouterr().err


# --- output files -----------------------------------------------------------------------------


def test_a_symlink_is_written_through(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "real.nt"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.nt"
    link.symlink_to(target)
    assert run(["export", "--asserted", "-o", str(link)], capsys)[0] == EXIT_OK
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes().startswith(b"<")


def test_a_fifo_is_written_into(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.nt"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    assert main(["export", "--asserted", "--format", "nt", "-o", str(fifo)]) == EXIT_OK
    reader.join(timeout=30)
    assert stat.S_ISFIFO(fifo.stat().st_mode), "the FIFO is still a FIFO"
    assert received and received[0].count(b"\n") > 1000


def test_a_character_device_is_written_into(tmp_path: Path) -> None:
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # what /dev/null is
    except PermissionError:
        if IN_CI:
            raise
        pytest.skip("making a device node needs root")
    assert main(["export", "--asserted", "-o", str(device)]) == EXIT_OK
    assert stat.S_ISCHR(device.stat().st_mode), "the device is still a device"
    assert list(tmp_path.iterdir()) == [device], "no temporary file is left"


def test_dash_is_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["export", "--asserted", "--format", "nt", "-o", "-"], capsys)
    assert code == EXIT_OK and out.count("\n") > 1000


def test_only_the_file_asked_for_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["export", "-o", str(tmp_path / "g.ttl")], capsys)[0] == EXIT_OK
    assert [p.name for p in tmp_path.iterdir()] == ["g.ttl"]


def test_void_counts_what_was_exported(
    tmp_path: Path, kg: KnowledgeGraph, capsys: pytest.CaptureFixture[str]
) -> None:
    out, void = tmp_path / "a.nt", tmp_path / "a.void.ttl"
    args = ["export", "--asserted", "-o", str(out), "--void", str(void)]
    assert run(args, capsys)[0] == EXIT_OK
    lines = out.read_bytes().count(b"\n")
    description = list(ox.parse(path=void, format=ox.RdfFormat.TURTLE))
    counts = [
        int(q.object.value) for q in description if q.predicate.value.endswith("void#triples")
    ]
    assert counts == [lines]
    assert any(q.object == ox.NamedNode(out.resolve().as_uri()) for q in description)


# --- input files ------------------------------------------------------------------------------

PROTEGE_RDFXML = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
    <!ENTITY rdf "http://www.w3.org/1999/02/22-rdf-syntax-ns#" >
    <!ENTITY schema "https://schema.org/" >
]>
<rdf:RDF xmlns:rdf="&rdf;" xmlns:schema="&schema;" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="https://example.org/series">
    <rdf:type rdf:resource="&schema;TVSeries"/>
    <rdfs:label>An RDF/XML series</rdfs:label>
  </rdf:Description>
</rdf:RDF>
"""

ENTITY_BOMB = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://ex.org/">
<rdf:Description rdf:about="http://ex.org/s"><ex:p>&g;</ex:p></rdf:Description>
</rdf:RDF>
"""


@pytest.mark.parametrize("suffix", [".rdf", ".owl"])
def test_rdfxml_with_plain_entities_is_accepted(
    suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / f"protege{suffix}"
    data.write_text(PROTEGE_RDFXML, encoding="utf-8")
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    query = f"SELECT ?l WHERE {{ ?s a <https://schema.org/TVSeries> ; {label} ?l }}"
    code, out, err = run(["--data", str(data), "--no-cache", "sparql", query], capsys)
    assert code == EXIT_OK, err
    assert "An RDF/XML series" in out


def test_an_entity_bomb_is_refused_before_expansion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = tmp_path / "bomb.rdf"
    bomb.write_text(ENTITY_BOMB, encoding="utf-8")
    code, _, err = run(["--data", str(bomb), "--no-cache", "stats"], capsys)
    assert code == EXIT_INPUT
    assert "refers to another entity" in err and err.count("\n") == 1


def test_a_quadratic_entity_expansion_is_refused(tmp_path: Path) -> None:
    big = "x" * 100_000
    document = PROTEGE_RDFXML.replace(
        '<!ENTITY schema "https://schema.org/" >',
        f'<!ENTITY schema "https://schema.org/" >\n<!ENTITY big "{big}">',
    ).replace("An RDF/XML series", "&big;" * 400)
    data = tmp_path / "wide.rdf"
    data.write_text(document, encoding="utf-8")
    # Either our check or expat's own amplification limit stops it, before Oxigraph expands it.
    with pytest.raises(DataLoadError, match=r"could expand past|amplification"):
        KnowledgeGraph([data], use_cache=False).store()


@pytest.mark.parametrize("reference", ["https://example.org/context.jsonld", "file:///ctx.jsonld"])
def test_a_jsonld_context_is_never_fetched(
    reference: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "remote-context.jsonld"
    data.write_text(
        f'{{"@context": "{reference}", "@id": "https://example.org/x", "name": "x"}}',
        encoding="utf-8",
    )
    code, _, err = run(["--data", str(data), "--no-cache", "stats"], capsys)
    assert code == EXIT_INPUT and err.count("\n") == 1
    assert reference in err and "never fetched" in err and "copy the context object" in err


@pytest.mark.parametrize("graph", [ONTOLOGY_GRAPH, INFERRED_GRAPH])
def test_reserved_graph_names_are_refused(
    graph: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "sneaky.nq"
    data.write_text(f'<https://example.org/a> <https://example.org/b> "1" <{graph}> .\n')
    code, _, err = run(["--data", str(data), "--no-cache", "stats"], capsys)
    assert code == EXIT_INPUT and "reserved graph name" in err and err.count("\n") == 1


# --- queries ----------------------------------------------------------------------------------

FROM_QUERY = "SELECT ?s FROM <https://w3id.org/defenders-kg/graph/ontology> WHERE { ?s ?p ?o }"


def test_from_is_refused_by_the_library(kg: KnowledgeGraph) -> None:
    with pytest.raises(QueryRefusedError, match="FROM and FROM NAMED are refused"):
        kg.sparql(FROM_QUERY)
    with pytest.raises(QueryRefusedError, match="FROM and FROM NAMED are refused"):
        kg.sparql("SELECT * FROM NAMED <file:///secret.ttl> WHERE { GRAPH ?g { ?s ?p ?o } }")


def test_from_is_refused_by_the_cli_with_the_same_message(
    kg: KnowledgeGraph, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["sparql", FROM_QUERY], capsys)
    with pytest.raises(QueryRefusedError) as refusal:
        kg.sparql(FROM_QUERY)
    assert code == EXIT_QUERY and err == f"defenders-kg: error: {refusal.value}\n"


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE " + "{" * 3000 + "}" * 3000,
        "SELECT * WHERE { ?s ?p " + "[ <p> " * 300 + "1" + " ]" * 300 + " }",
    ],
    ids=["braces", "blank-nodes"],
)
def test_deep_nesting_is_a_clean_error(query: str, tmp_path: Path) -> None:
    path = tmp_path / "deep.rq"
    path.write_text(query, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "defenders_kg", "sparql", "--file", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == EXIT_QUERY, done.stderr
    assert "nests brackets more than 32 deep" in done.stderr and "Traceback" not in done.stderr


def test_a_long_flat_query_does_not_crash_the_process(kg: KnowledgeGraph) -> None:
    # Not nested, but Oxigraph's parser still recurses once per operator.
    query = "ASK { FILTER(" + "+".join(["1"] * 6000) + " > 0) }"
    assert kg.sparql(query).boolean is True


def test_blank_nodes_stay_blank(tmp_path: Path) -> None:
    data = tmp_path / "bnodes.ttl"
    data.write_text(
        '<https://example.org/a> <https://example.org/knows> [ <https://example.org/n> "B" ] .\n',
        encoding="utf-8",
    )
    result = KnowledgeGraph([data], use_cache=False).sparql(
        "SELECT ?b WHERE { <https://example.org/a> <https://example.org/knows> ?b }"
    )
    assert len(result.rows) == 1 and isinstance(result.rows[0][0], ox.BlankNode)
    assert ".well-known/genid" not in result.serialize("json")


def test_blank_node_labels_are_stable_across_processes(tmp_path: Path) -> None:
    data = tmp_path / "bnodes.ttl"
    data.write_text(
        "<https://example.org/a> <https://example.org/p> [ <https://example.org/q> 1 ] .\n"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "DEFENDERS_KG_CACHE_DIR": str(tmp_path / seed)}
        done = subprocess.run(
            [sys.executable, "-m", "defenders_kg", "--data", str(data), "export", "--format", "nt"],
            env=env,
            capture_output=True,
            check=True,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1 and b"_:" in outputs.pop()


def test_relative_iris_resolve_against_the_resource_namespace(kg: KnowledgeGraph) -> None:
    result = kg.sparql("CONSTRUCT { <s> <p> 1 } WHERE {}")
    assert result.triples[0].subject == ox.NamedNode(DKGR + "s")
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    names = kg.sparql(f"SELECT ?name WHERE {{ <charlie-cox> {label} ?name }}").records()
    assert names == [{"name": "Charlie Cox"}]


def test_syntax_errors_still_name_line_and_column(kg: KnowledgeGraph) -> None:
    with pytest.raises(QuerySyntaxError, match=r"line 2, column \d+"):
        kg.sparql("SELECT ?s\nWHERE { ?s ?p }")


# --- the CLI ----------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["fast", "owlrl"])
def test_the_reasoner_option_reaches_the_engine(
    engine: str, monkeypatch: pytest.MonkeyPatch, cache_dir: Path
) -> None:
    from defenders_kg import inference

    used: list[str] = []
    original = inference.infer_triples

    def recording(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        used.append(str(kwargs.get("engine")))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(inference, "infer_triples", recording)
    assert main(["--reasoner", engine, "stats"]) == EXIT_OK  # cache_dir: a fresh, empty cache
    assert used == [engine]


def _help_examples() -> list[tuple[str, str]]:
    subparsers = next(a for a in _parser()._actions if a.dest == "command")
    examples = []
    for name, sub in subparsers.choices.items():  # type: ignore[union-attr]
        epilog = sub.epilog or ""
        examples.append((name, epilog.split("Example:", 1)[1].strip()))
    return examples


@pytest.mark.parametrize(("command", "example"), _help_examples())
def test_every_help_example_runs(command: str, example: str, tmp_path: Path) -> None:
    argv = shlex.split(example)
    assert argv[:2] == ["defenders-kg", command]
    if command == "diagram":
        require_dot()
    if command == "serve":
        _run_serve_example(argv, tmp_path)
        return
    if command == "push":
        _run_push_example(argv, tmp_path)
        return
    _run_example(argv, tmp_path)


def _run_example(argv: list[str], cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "defenders_kg", *argv[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def _run_serve_example(argv: list[str], tmp_path: Path) -> None:
    from servers import free_port, running

    port = str(free_port())
    argv = [port if arg == "8000" else arg for arg in argv]
    assert port in argv, "the example names its port"
    command = [sys.executable, "-m", "defenders_kg", *argv[1:]]
    with running(command, f"http://127.0.0.1:{port}/queries") as server:
        assert server.poll() is None


def _run_push_example(argv: list[str], tmp_path: Path) -> None:
    from servers import free_port, running

    port = free_port()
    argv = [arg.replace(":7878/", f":{port}/") for arg in argv]
    assert any(f":{port}/" in arg for arg in argv), "the example names its port"
    oxigraph = Path(sys.executable).with_name("oxigraph")
    store = [str(oxigraph), "serve", "--location", str(tmp_path / "db"), "--bind"]
    with running([*store, f"127.0.0.1:{port}"], f"http://127.0.0.1:{port}/query?query=ASK%7B%7D"):
        _run_example(argv, tmp_path)


def test_the_readme_cites_nothing_outside_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "shared/guide" not in readme and "../" not in readme


def test_a_large_harmless_rdfxml_file_loads(tmp_path: Path) -> None:
    rows = "".join(
        f'<rdf:Description rdf:about="https://example.org/s{i}"><rdfs:label>n{i}</rdfs:label>'
        "</rdf:Description>\n"
        for i in range(20_000)
    )
    data = tmp_path / "big.rdf"
    data.write_text(PROTEGE_RDFXML.replace("</rdf:RDF>", rows + "</rdf:RDF>"), encoding="utf-8")
    assert KnowledgeGraph([data], use_cache=False).stats().asserted_triples > 20_000
