"""The on-disk cache: persisted Oxigraph stores and files, keyed by a hash of all they depend on.

``materialize`` is the whole cache policy: read an entry if it is complete, otherwise compute it
into a temporary folder and rename that into place. A rename is atomic, so two processes filling
the same entry both succeed (the second discards its copy) and nobody ever opens half an entry.
When the cache cannot be written, entries are computed into a folder that lives as long as the
process.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path

_COMPLETE = "complete"


def cache_dir() -> Path:
    """``$DEFENDERS_KG_CACHE_DIR``, else ``$XDG_CACHE_HOME/defenders-kg``, else ``~/.cache/...``."""
    explicit = os.environ.get("DEFENDERS_KG_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "defenders-kg"


@cache
def scratch_dir() -> Path:
    """A private folder removed when the process exits, for ``--no-cache`` and unwritable caches."""
    import atexit
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="defenders-kg-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def materialize(key: str, name: str, build: Callable[[Path], None], *, use_cache: bool) -> Path:
    """The folder ``name`` of cache entry ``key``, built by ``build(folder)`` if not there yet.

    ``build`` gets an empty folder to fill. The returned folder is complete and never changes.
    """
    root = cache_dir() / key if use_cache else scratch_dir() / key
    final = root / name
    if (final / _COMPLETE).exists():
        return final
    import shutil  # a warm run returns above without these
    import tempfile

    try:
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=root, prefix=f".{name}."))
    except OSError:  # an unwritable cache only costs speed
        if not use_cache:
            raise
        return materialize(key, name, build, use_cache=False)
    try:
        build(work)
        (work / _COMPLETE).write_bytes(b"")
        try:
            os.rename(work, final)
        except OSError:  # another process finished first; its copy is as good as ours
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return final
