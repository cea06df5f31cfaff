"""Stage 5: validation by SHACL shapes (pySHACL) and quality checks that must return nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import load, paths
from .queries import list_checks
from .results import QueryResult

if TYPE_CHECKING:
    from .kg import KnowledgeGraph


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


def validate(kg: KnowledgeGraph) -> ValidationReport:
    from pyshacl import validate as shacl_validate
    from rdflib import Graph

    shapes = Graph()
    for path in paths.shapes_files():
        shapes.parse(path, format="turtle")
    conforms, _, report = shacl_validate(
        load.union(kg.asserted()), shacl_graph=shapes, inference="none", advanced=True
    )
    checks = list_checks()
    store = kg.store(inference=True)
    from . import engine

    failed = {}
    for check in checks:
        result = engine.run(store, check.text)
        if result.rows:
            failed[check.name] = result
    return ValidationReport(
        shacl_conforms=bool(conforms),
        shacl_report=str(report),
        failed_checks=failed,
        checks_run=len(checks),
    )
