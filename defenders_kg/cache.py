"""The on-disk cache: persisted Oxigraph stores and files, keyed by a hash of all they depend on.

``materialize`` is the whole cache policy: read an entry if it is whole, otherwise compute it
into a temporary folder and rename that into place. A rename is atomic, so two processes filling
the same entry both succeed (the second discards its copy) and nobody ever opens half an entry.

An entry cannot lie: the last file written into it, ``manifest.json``, lists every file with its
size and a hash of samples of it (the whole file when small; its head, its tail and blocks between
when large), and the counts its builder reported. Each open checks sizes and samples, which costs
a few reads per file; an entry that fails is rebuilt with a one-line warning, never used. A store
that RocksDB finds corrupt when opened is treated the same way (``discard``).

When the cache cannot be written (unwritable, or the disk full), a one-line warning names it and
entries are computed into a folder that lives as long as the process, as with ``--no-cache``.
Only the ``KEEP_ENTRIES`` most recently used input sets are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import NamedTuple

_MANIFEST = "manifest.json"
#: How many entries (input sets) stay in the cache; older ones are removed after a build.
KEEP_ENTRIES = 8
_KEY = re.compile(r"[0-9a-f]{32}")
#: Files that RocksDB rewrites when it opens a store read-only: not part of what is checked.
_VOLATILE = re.compile(r"LOG.*|LOCK")
_BLOCK = 1 << 16
_SAMPLES = 16
_SAMPLE = 1 << 12

_warned: set[Path] = set()
_unwritable: set[str] = set()

Build = Callable[[Path], Mapping[str, int] | None]


class CacheEntry(NamedTuple):
    """One input set in the cache: its key, folder, bytes on disk, last use and layers' counts."""

    key: str
    folder: Path
    size: int
    used: float
    layers: dict[str, dict[str, int]]
    about: str


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

    from .files import claim, sweep

    sweep(Path(tempfile.gettempdir()), "defenders-kg-")  # those of runs that were killed
    folder = Path(tempfile.mkdtemp(prefix="defenders-kg-"))
    claim(folder)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def warn(message: str) -> None:
    print(f"defenders-kg: warning: {message}", file=sys.stderr, flush=True)


def _warn_unwritable(folder: str, reason: str) -> None:
    """Said once per process, however many layers fall back."""
    if folder not in _unwritable:
        _unwritable.add(folder)
        warn(f"cannot write the cache {folder} ({reason}); working without it, as --no-cache does")


def materialize(key: str, name: str, build: Build, *, use_cache: bool, about: str = "") -> Path:
    """The folder ``name`` of cache entry ``key``, built by ``build(folder)`` if not there yet.

    ``build`` gets an empty folder to fill and may return counts to record (``{"quads": n}``).
    The returned folder is whole and never changes. ``about`` says what the entry holds, for
    ``entries``.
    """
    root = cache_dir() / key if use_cache else scratch_dir() / key
    final = root / name
    damage = check(final)
    if damage is None:
        if use_cache:
            _touch(root)
        return final
    if damage:
        discard(final, damage)
    import shutil  # a warm run returns above without these
    import tempfile

    from .files import claim, release, sweep

    try:
        root.mkdir(parents=True, exist_ok=True)
        sweep(root, f".{name}.")
        work = Path(tempfile.mkdtemp(dir=root, prefix=f".{name}."))
    except OSError as err:  # an unwritable cache only costs speed
        if not use_cache:
            raise
        _warn_unwritable(str(cache_dir()), err.strerror or str(err))
        return materialize(key, name, build, use_cache=False, about=about)
    lock = claim(work)
    try:
        counts = build(work) or {}
        _write_manifest(work, counts, about)
        try:
            os.rename(work, final)
        except OSError:  # another process finished first; its copy is as good as ours
            shutil.rmtree(work, ignore_errors=True)
    except OSError as err:
        # Reading the inputs fails as DataLoadError; an OSError here is the cache's own disk.
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):
            root.rmdir()  # only if nothing else is in it
        if not use_cache:
            raise
        _warn_unwritable(str(cache_dir()), err.strerror or str(err))
        return materialize(key, name, build, use_cache=False, about=about)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        release(lock)
    if use_cache:
        prune(keep=KEEP_ENTRIES, current=key)
    return final


def check(folder: Path) -> str | None:
    """``None`` if ``folder`` is a whole entry; ``""`` if there is none; else what is wrong."""
    try:
        raw = (folder / _MANIFEST).read_bytes()
    except OSError:
        if not folder.is_dir():
            return ""
        return "its manifest cannot be read" if (folder / _MANIFEST).exists() else "no manifest"
    try:
        files: dict[str, list[object]] = json.loads(raw)["files"]
    except (ValueError, KeyError, TypeError):
        return "its manifest cannot be read"
    for relative, (size, digest) in files.items():
        path = folder / relative
        try:
            actual = path.stat().st_size
        except OSError:
            return f"{relative} is missing"
        if actual != size:
            return f"{relative} has {actual} bytes, not {size}"
        try:
            if _digest(path, actual) != digest:
                return f"{relative} does not hold what was written"
        except OSError as err:
            return f"{relative} cannot be read: {err.strerror or err}"
    return None


def discard(folder: Path, reason: str) -> None:
    """Remove a damaged entry (renamed aside first, so nobody opens half of it), with a warning."""
    import shutil
    import tempfile

    # Layers share store files (hard links), so one damage can show in several: warn once.
    if folder.parent not in _warned:
        _warned.add(folder.parent)
        warn(f"the cache entry {folder.parent} is damaged ({folder.name}: {reason}); rebuilding it")
    try:
        aside = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
        os.replace(folder, aside / "damaged")
    except OSError:  # another process moved it first, or the cache is read-only
        return
    shutil.rmtree(aside, ignore_errors=True)


def counts(folder: Path) -> dict[str, int]:
    """The counts a layer's builder recorded; empty if it has no manifest."""
    try:
        return dict(json.loads((folder / _MANIFEST).read_bytes()).get("counts", {}))
    except (OSError, ValueError, AttributeError):
        return {}


def entries() -> list[CacheEntry]:
    """Every entry of the cache, the most recently used first."""
    found = []
    for root in _roots():
        layers: dict[str, dict[str, int]] = {}
        about = ""
        size = 0
        for path in sorted(root.iterdir()):
            size += _size(path)
            if path.is_dir() and (path / _MANIFEST).is_file():
                layers[path.name] = counts(path)
                about = about or _about(path)
        try:
            used = root.stat().st_mtime
        except OSError:
            continue
        found.append(CacheEntry(root.name, root, size, used, layers, about))
    return sorted(found, key=lambda entry: entry.used, reverse=True)


def listing() -> str:
    """The entries as a table for people: key, size, last use, layers with counts, inputs."""
    import time

    found = entries()
    lines = [f"{cache_dir()}: {len(found)} entries, {_human(sum(e.size for e in found))}"
             f" (the {KEEP_ENTRIES} most recently used are kept)"]  # fmt: skip
    for entry in found:
        used = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.used))
        layers = ", ".join(
            f"{name} ({', '.join(f'{n} {what}' for what, n in numbers.items())})"
            if numbers else name
            for name, numbers in entry.layers.items()
        )  # fmt: skip
        lines.append(f"{entry.key}  {_human(entry.size):>9}  {used}  {layers or 'unfinished'}")
        if entry.about:
            lines.append(f"{'':32}  {entry.about}")
    return "\n".join(lines) + "\n"


def clear() -> tuple[int, int]:
    """Remove every entry (and remembered query headers); return (entries, bytes) removed."""
    import shutil

    removed = freed = 0
    for root in _roots():
        freed += _size(root)
        shutil.rmtree(root, ignore_errors=True)
        removed += 1
    headers = cache_dir() / "headers"
    if headers.is_dir():
        freed += _size(headers)
        shutil.rmtree(headers, ignore_errors=True)
    return removed, freed


def prune(*, keep: int, current: str | None = None) -> None:
    """Remove all but the ``keep`` most recently used entries (never ``current``)."""
    import shutil

    from .files import sweep

    ranked = sorted(_roots(), key=_mtime, reverse=True)
    for root in ranked[keep:]:
        if root.name != current:
            shutil.rmtree(root, ignore_errors=True)
    for root in ranked[:keep]:
        for layer in {p.name.split(".")[1] for p in root.glob(".*.*")}:
            sweep(root, f".{layer}.")


def _roots() -> list[Path]:
    try:
        return [p for p in cache_dir().iterdir() if _KEY.fullmatch(p.name) and p.is_dir()]
    except OSError:
        return []


def _write_manifest(folder: Path, counts: Mapping[str, int], about: str) -> None:
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != _MANIFEST and not _VOLATILE.fullmatch(path.name):
            size = path.stat().st_size
            files[path.relative_to(folder).as_posix()] = [size, _digest(path, size)]
    manifest = {"files": files, "counts": dict(counts), "about": about}
    (folder / _MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


def _digest(path: Path, size: int) -> str:
    """A hash of the file when small; of its head, its tail and evenly spaced blocks when large."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as stream:
        if size <= 2 * _BLOCK + _SAMPLES * _SAMPLE:
            digest.update(stream.read())
            return digest.hexdigest()
        digest.update(stream.read(_BLOCK))
        step = (size - 2 * _BLOCK) // (_SAMPLES + 1)
        for index in range(1, _SAMPLES + 1):
            stream.seek(_BLOCK + index * step)
            digest.update(stream.read(_SAMPLE))
        stream.seek(size - _BLOCK)
        digest.update(stream.read(_BLOCK))
    return digest.hexdigest()


def _about(folder: Path) -> str:
    try:
        return str(json.loads((folder / _MANIFEST).read_bytes()).get("about", ""))
    except (OSError, ValueError, AttributeError):
        return ""


def _touch(root: Path) -> None:
    """Mark the entry as used now, for ``prune``; a read-only cache is simply not marked."""
    with contextlib.suppress(OSError):
        os.utime(root)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _human(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000  # type: ignore[assignment]
    raise AssertionError("unreachable")


def _size(path: Path) -> int:
    try:
        if not path.is_dir():
            return path.stat().st_size
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    except OSError:
        return 0
