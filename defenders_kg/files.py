"""Atomic file writes: a reader sees the old file or the new one, never a truncated mix."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import ExportError


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``.

    A failure at any point leaves the previous file (or no file) in place. Raises ``ExportError``.
    """
    target = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
    except OSError as err:
        raise ExportError(f"cannot write {target}: {err.strerror or err}") from None
    try:
        # mkstemp makes the file private; give it the mode the file it replaces had, or 0644.
        os.chmod(temporary, target.stat().st_mode & 0o777 if target.exists() else 0o644)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except OSError as err:
        Path(temporary).unlink(missing_ok=True)
        raise ExportError(f"cannot write {target}: {err.strerror or err}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
