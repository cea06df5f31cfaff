"""Programs that some tests need and CI installs (``.ci/run``): without one, such a test is
skipped with the reason, except in CI (``CI`` set), where it fails, so that CI never passes on
tests it did not run."""

from __future__ import annotations

import os
import shutil

import pytest

DOT = "needs Graphviz's dot (apt-get install graphviz)"
BROWSER = "needs chromium and chromedriver (apt-get install chromium chromium-driver)"
NPM = "needs npm to build the query page's editor (apt-get install nodejs npm)"


def require(found: object, reason: str, *, module: bool = False) -> None:
    """Skip (outside CI) or fail (in CI) the test, or with ``module`` the whole file, unless
    ``found`` is true."""
    if found:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run this test: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=module)


def require_dot() -> None:
    require(shutil.which("dot"), DOT)
