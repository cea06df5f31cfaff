"""The on-disk cache of parsed and inferred graphs, keyed by a hash of everything they depend on.

Entries are N-Quads/N-Triples files written atomically (write, then rename), so two processes
filling the same entry at once both succeed and a reader never sees half a file.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$DEFENDERS_KG_CACHE_DIR``, else ``$XDG_CACHE_HOME/defenders-kg``, else ``~/.cache/...``."""
    explicit = os.environ.get("DEFENDERS_KG_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "defenders-kg"


def entry(key: str, name: str) -> Path:
    """The path of one cached file; its folder is created on demand."""
    folder = cache_dir() / key
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
