"""Stage 5: validation by SHACL shapes (pySHACL) and quality checks that must return nothing."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import engine, paths
from .queries import list_checks
from .results import QueryResult


@dataclass
class ValidationReport:
    """The outcome of ``KnowledgeGraph.validate()``."""

    shacl_conforms: bool
    shacl_report: str
    failed_checks: dict[str, QueryResult] = field(default_factory=dict)
    checks_run: int = 0

    @property
    def conforms(self) -> bool:
        return self.shacl_conforms and not self.failed_checks

    def text(self) -> str:
        """A report for people: what passed, and every violation found."""
        lines = [f"SHACL: {'conforms' if self.shacl_conforms else 'does not conform'}"]
        if not self.shacl_conforms:
            lines.append(self.shacl_report.rstrip())
        passed = self.checks_run - len(self.failed_checks)
        lines.append(f"Quality checks: {passed} of {self.checks_run} passed")
        for name, result in self.failed_checks.items():
            lines.append(f"\n{name}: {len(result.rows)} violation(s)")
            lines.append(result.serialize("table").rstrip())
        lines.append("Valid." if self.conforms else "Not valid.")
        return "\n".join(lines) + "\n"


def validate(asserted: Path, inferred: ox.Store, *, use_cache: bool = True) -> ValidationReport:
    """The SHACL shapes over the asserted triples, then every quality check over the closure."""
    from pyshacl import validate as shacl_validate
    from rdflib import Graph

    from .export import write_export

    shapes = Graph()
    for path in paths.shapes_files():
        shapes.parse(path, format="turtle")
    merged = io.BytesIO()
    write_export(asserted, None, merged, "nt")
    data = Graph().parse(data=merged.getvalue(), format="nt")
    conforms, _, report = shacl_validate(data, shacl_graph=shapes, inference="none", advanced=True)
    checks = list_checks(use_cache=use_cache)
    failed = {}
    for check in checks:
        result = engine.run(inferred, check.text)
        if result.rows:
            failed[check.name] = result
    return ValidationReport(
        shacl_conforms=bool(conforms),
        shacl_report=str(report),
        failed_checks=failed,
        checks_run=len(checks),
    )
