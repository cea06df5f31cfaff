"""The command line: help with examples, exit codes, one clear message and no traceback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from defenders_kg.cli import (
    EXIT_INPUT,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_QUERY,
    EXIT_USAGE,
    _parser,
    main,
)

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["queries", "query", "sparql", "export", "describe", "validate", "stats"]
COMMANDS += ["synth", "push", "serve", "docs", "site", "diagram", "void", "annotations"]
COMMANDS += ["cache"]
FIXTURE = ROOT / "tests" / "fixtures" / "broken" / "two-actors.ttl"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_parser_knows_exactly_these_commands() -> None:
    subparsers = next(a for a in _parser()._actions if a.dest == "command")
    assert sorted(subparsers.choices) == sorted(COMMANDS)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "argv",
    [
        ["query", "cast", "--param", "actorName=Charlie Cox", "--format", "csv"],
        ["--data", "a.ttl", "--reasoner", "owlrl", "stats", "--format", "json"],
        ["--data=stats.ttl", "--no-cache", "export", "--asserted", "-o", "-"],
        # abbreviated options with a command's name as a value
        ["--data-f", "turtle", "--data", "query", "--reas", "fast", "stats"],
        ["validate", "--data", "b.nq"],
    ],
)
def test_only_the_named_command_is_built_and_it_reads_argv_alike(argv: list[str]) -> None:
    from defenders_kg.cli import _command_named

    named = _command_named(argv)
    assert named == argv[-1] if argv[0] == "--dat" else named in COMMANDS
    reduced = _parser(named)
    subparsers = next(a for a in reduced._actions if a.dest == "command")
    assert list(subparsers.choices) == [named]  # type: ignore[union-attr]
    assert vars(reduced.parse_args(argv)) == vars(_parser().parse_args(argv))


@pytest.mark.parametrize("argv", [["-h", "query"], ["--he", "query"], ["quary", "cast"], []])
def test_help_and_unknown_commands_get_the_whole_parser(argv: list[str]) -> None:
    from defenders_kg.cli import _command_named

    assert _command_named(argv) is None


def test_the_top_help_lists_every_command_even_before_a_command_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["--help", "query"])
    out = capsys.readouterr().out
    assert all(f"    {name} " in out or f"    {name}\n" in out for name in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "Example:" in out and "defenders-kg " + command in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"defenders-kg {command}" in readme


def test_exit_codes_are_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    from defenders_kg import cli

    for name in dir(cli):
        if name.startswith("EXIT_"):
            code = getattr(cli, name)
            assert re.search(rf"^\| {code} \|", readme, flags=re.MULTILINE), (
                f"exit code {code} ({name})"
            )


def test_query_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["query", "actors-reprising-roles"], capsys)
    assert code == EXIT_OK and not err
    for lead, character, series in [
        ("Charlie Cox", "Matt Murdock", "Daredevil"),
        ("Krysten Ritter", "Jessica Jones", "Jessica Jones"),
        ("Mike Colter", "Luke Cage", "Luke Cage"),
        ("Finn Jones", "Danny Rand", "Iron Fist"),
    ]:
        line = next(row for row in out.splitlines() if row.startswith(lead))
        assert character in line and series in line


def test_query_json_and_param(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["query", "cast", "--param", "actorName=Ramón Rodríguez", "--format", "json"], capsys
    )
    assert code == EXIT_OK
    bindings = json.loads(out)["results"]["bindings"]
    assert [b["actorName"]["value"] for b in bindings] == ["Ramón Rodríguez"]


def test_queries_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["queries"], capsys)
    assert code == EXIT_OK
    assert "actors-reprising-roles" in out and "--param entity=<label> (required)" in out


def test_sparql_construct_defaults_to_turtle(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["sparql", "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } LIMIT 1"], capsys)
    assert code == EXIT_OK and "@prefix" in out


def test_sparql_from_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = tmp_path / "q.rq"
    query.write_text(
        "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://schema.org/Person> }", encoding="utf-8"
    )
    code, out, _ = run(["sparql", "--file", str(query), "--format", "csv"], capsys)
    assert code == EXIT_OK and out.splitlines()[1] == "17"


def test_no_inference_hides_the_closure(capsys: pytest.CaptureFixture[str]) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://schema.org/TVSeries> }"
    assert run(["sparql", query, "--format", "csv"], capsys)[1].splitlines()[1] == "5"
    assert (
        run(["sparql", query, "--format", "csv", "--no-inference"], capsys)[1].splitlines()[1]
        == "0"
    )


def test_describe_and_stats(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["describe", "Danny Rand"], capsys)
    assert code == EXIT_OK and "dkg:portrayedBy dkgr:finn-jones" in out
    code, out, _ = run(["stats", "--format", "json"], capsys)
    stats = json.loads(out)
    assert stats["sentences"] == 12 and stats["inferred_triples"] > 500


def test_validate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["validate"], capsys)
    assert code == EXIT_OK and out.rstrip().endswith("Valid.")
    code, out, _ = run(["--data", str(FIXTURE), "validate"], capsys)
    assert code == EXIT_INVALID and "A cast credit has exactly one actor" in out


def test_data_replaces_or_extends_the_embedded_graph(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--data", str(FIXTURE), "query", "cast", "--format", "csv"], capsys)
    assert code == EXIT_OK and "Charlie Cox" not in out and out.count("\n") == 3
    code, out, _ = run(
        ["query", "cast", "--format", "csv", "--data", str(FIXTURE), "--with-embedded"], capsys
    )
    assert code == EXIT_OK and "Charlie Cox" in out and out.count("\n") == 18


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["sparql", "SELECT ?x WHERE {\n  ?x ?y\n}"],
            EXIT_QUERY,
            "malformed SPARQL: line 3, column ",
        ),
        (["sparql", "DELETE WHERE { ?s ?p ?o }"], EXIT_QUERY, "updates (DELETE) are refused"),
        (
            ["sparql", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"],
            EXIT_QUERY,
            "SERVICE (federated query) is refused",
        ),
        (["query", "reprising"], EXIT_USAGE, "no canned query named 'reprising'"),
        (["query", "creator"], EXIT_USAGE, "did you mean creators"),
        (["query", "cast", "--param", "actorName"], EXIT_USAGE, "--param expects KEY=VALUE"),
        (["query", "cast", "--param", "actor=Cox"], EXIT_USAGE, "has no parameter 'actor'"),
        (["query", "reception", "--param", "sentiment=a b"], EXIT_USAGE, "expects an absolute IRI"),
        (["query", "evidence"], EXIT_USAGE, "needs parameter 'entity'"),
        (["sparql", "--file", "/nonexistent/q.rq"], EXIT_INPUT, "cannot read /nonexistent/q.rq"),
        (
            ["--data", "/nonexistent/data.ttl", "stats"],
            EXIT_INPUT,
            "cannot read /nonexistent/data.ttl",
        ),
        (["--data", "data.csv", "stats"], EXIT_INPUT, "unknown RDF file suffix '.csv'"),
        (
            ["describe", "Nobody At All"],
            EXIT_USAGE,
            "no entity has the label or IRI 'Nobody At All'",
        ),
        (["sparql", "ASK { ?s ?p ?o }", "--format", "csv"], EXIT_USAGE, "SELECT results only"),
    ],
)
def test_bad_input_gives_one_clear_message(
    args: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    actual, out, err = run(args, capsys)
    assert actual == code
    assert message in err
    assert err.startswith("defenders-kg: error: ") and "Traceback" not in err
    assert not out


def test_malformed_data_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("<urn:a> <urn:b> .\n", encoding="utf-8")
    code, _, err = run(["--data", str(bad), "stats"], capsys)
    assert code == EXIT_INPUT and f"{bad}: not valid Turtle" in err and err.count("\n") == 1


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["query", "cast", "--colour"])
    assert exit_info.value.code == EXIT_USAGE


def test_python_dash_m_and_no_traceback_in_a_real_process(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "defenders_kg", "sparql", "SELECT WHERE"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == EXIT_QUERY
    assert done.stderr.count("\n") <= 3 and "Traceback" not in done.stderr


def test_readme_catalogue_is_current() -> None:
    from defenders_kg.queries import catalogue_markdown

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- catalogue:start -->\n", 1)[1].split("<!-- catalogue:end -->", 1)[0]
    assert block == catalogue_markdown()


WARM_QUERY = """
import sys
from defenders_kg.cli import main
code = main(["query", "creators", "--format", "tsv"])
heavy = ("shutil", "dataclasses", "inspect", "tempfile", "difflib", "rdflib", "owlrl")
print(code, " ".join(name for name in heavy if name in sys.modules), file=sys.stderr)
"""


def test_a_warm_query_imports_nothing_it_does_not_use(cache_dir: Path) -> None:
    """Start-up is most of a warm query's time; these modules cost it 5 to 300 ms each."""
    import os

    env = {**os.environ, "DEFENDERS_KG_CACHE_DIR": str(cache_dir)}
    command = [sys.executable, "-c", WARM_QUERY]
    for _ in range(2):  # the first run fills the cache
        done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    assert done.stderr.strip() == "0"


def test_help_wraps_at_the_width_in_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def usage_lines(columns: int) -> int:
        monkeypatch.setenv("COLUMNS", str(columns))
        with pytest.raises(SystemExit):
            main(["query", "--help"])
        return len(capsys.readouterr().out.split("\n\n")[0].splitlines())

    assert usage_lines(300) == 1
    assert usage_lines(50) > 5


def test_describe_refuses_a_label_that_several_entities_share(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(["describe", "Daredevil"], capsys)
    assert code == 2 and out == ""
    assert "3 entities have the label 'Daredevil'" in err
    for name in ("daredevil", "daredevil-series", "daredevil-tv"):
        assert f"https://w3id.org/defenders-kg/resource/{name}" in err
    code, out, _ = run(
        ["describe", "https://w3id.org/defenders-kg/resource/daredevil-series"], capsys
    )
    assert code == 0 and "dkgr:daredevil-series" in out
