"""Writing output where the user pointed, without damaging what is there.

- ``-`` (or no path) is standard output;
- a symbolic link is followed: its target is written, the link stays a link;
- a FIFO, a character device or any other non-regular file is written straight into, as
  ``cat > PATH`` would (replacing /dev/null or a named pipe by a regular file would be damage);
- a regular file, or a new one, is replaced atomically: the data goes to a temporary file beside
  it, which is renamed over it only once complete, so a reader sees the old file or the new one and
  a failure leaves the old one in place.

Temporary files and folders are held under an advisory lock (``claim``) while they are written; a
later run removes those whose writer died without cleaning up (``sweep``), as after SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .errors import DefendersKGError, ExportError

Writer = Callable[[BinaryIO], None]

#: A temporary younger than this is never swept: its writer may not have claimed it yet.
SWEEP_AFTER_SECONDS = 30.0


def claim(path: str | Path) -> int:
    """Lock a temporary file or folder for as long as this process lives (or until ``release``).

    The lock goes with the process: a writer that is killed leaves its temporary unlocked, which
    is how ``sweep`` tells it from one still being written.
    Returns -1 where the file system has no locks (``sweep`` then removes nothing there).
    """
    import fcntl

    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return -1
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)
        return -1
    return descriptor


def release(descriptor: int) -> None:
    if descriptor >= 0:
        with contextlib.suppress(OSError):
            os.close(descriptor)


def sweep(folder: Path, prefix: str) -> int:
    """Remove the temporaries ``prefix`` + 8 random characters (as ``tempfile`` names them) in
    ``folder`` that no live process holds. Returns how many were removed.
    """
    import fcntl
    import re
    import shutil

    removed = 0
    pattern = re.compile(re.escape(prefix) + "[a-z0-9_]{8}")
    try:
        candidates = [p for p in folder.iterdir() if pattern.fullmatch(p.name)]
    except OSError:
        return 0
    for path in candidates:
        try:
            if time.time() - path.lstat().st_mtime < SWEEP_AFTER_SECONDS:
                continue
            descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: still being written
            os.close(descriptor)
            continue
        try:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed += 1
        except OSError:
            pass
        finally:
            os.close(descriptor)
    return removed


class StdoutError(ExportError):
    """Standard output is closed, full, or its reader went away."""

    def __init__(self, err: OSError | None = None) -> None:
        reason = "it is closed" if err is None else err.strerror or str(err)
        super().__init__(f"cannot write standard output: {reason}")


def standard_output() -> BinaryIO:
    """The binary standard output; ``StdoutError`` when the process was started without one."""
    if sys.stdout is None:
        raise StdoutError()
    return sys.stdout.buffer


def write_output(path: str | Path | None, write: Writer) -> None:
    """Call ``write`` with a binary stream that ends up at ``path`` (see the module docstring).

    Raises ``ExportError`` when the destination cannot be written.
    """
    if path is None or str(path) == "-":
        stdout = standard_output()
        try:
            write(stdout)
            stdout.flush()
        except OSError as err:
            raise StdoutError(err) from None
        return
    target = Path(os.path.realpath(path))
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as err:
        raise ExportError(f"cannot write {path}: {err.strerror or err}") from None
    if mode is not None and not stat.S_ISREG(mode):
        if stat.S_ISDIR(mode):
            raise ExportError(f"cannot write {path}: it is a directory")
        try:
            with open(target, "wb") as stream:
                write(stream)
        except OSError as err:
            raise ExportError(f"cannot write {path}: {err.strerror or err}") from None
        return
    _replace_atomically(target, write, shown=str(path), mode=mode)


def check_outputs(*paths: str | Path | None) -> None:
    """Refuse, before anything is written, outputs that name one file twice or cannot be written.

    Two outputs on one file (or both on standard output) would leave only the last one; an
    output in a missing folder would fail after the others were written.
    """
    seen: dict[str, str] = {}
    for path in paths:
        to_stdout = path is None or str(path) == "-"
        shown = "standard output" if to_stdout else str(path)
        where = shown if to_stdout else os.path.realpath(str(path))
        if where in seen:
            both = f"{shown} twice" if seen[where] == shown else f"{seen[where]} and {shown}"
            raise DefendersKGError(f"two outputs would write one file ({both}); name two files")
        seen[where] = shown
        if not to_stdout:
            _check_writable(Path(where), shown)


def _check_writable(target: Path, shown: str) -> None:
    if target.is_dir():
        raise ExportError(f"cannot write {shown}: it is a directory")
    if target.exists() and not target.is_file():
        problem = None if os.access(target, os.W_OK) else "permission denied"
    elif not target.parent.is_dir():
        problem = f"no such directory {target.parent}"
    else:  # a regular file is replaced by a new one beside it, so its folder must be writable
        problem = None if os.access(target.parent, os.W_OK) else "permission denied"
    if problem:
        raise ExportError(f"cannot write {shown}: {problem}")


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with the rules of ``write_output``."""

    def write(stream: BinaryIO) -> None:
        stream.write(data)

    write_output(path, write)


def _replace_atomically(target: Path, write: Writer, *, shown: str, mode: int | None) -> None:
    import tempfile  # only writing to a regular file needs it; stdout and FIFOs start faster

    sweep(target.parent, f".{target.name}.")
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    except OSError as err:
        raise ExportError(f"cannot write {shown}: {err.strerror or err}") from None
    lock = claim(temporary)
    try:
        # mkstemp makes the file private; give it the mode the file it replaces had, or 0644.
        os.chmod(temporary, mode & 0o7777 if mode is not None else 0o644)
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise ExportError(f"cannot write {shown}: {err.strerror or err}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    finally:
        release(lock)
