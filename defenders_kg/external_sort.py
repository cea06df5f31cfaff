"""Sorting more lines than memory should hold: sorted runs on disk, merged lazily.

Lines are bytes without a newline and compared as bytes, as ``sorted`` compares them. A sort that
fits in one run never touches the disk.
"""

from __future__ import annotations

import heapq
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType

#: Bytes of line text held before a run is sorted and written out (what it costs in memory is
#: about 1.4 times this for lines of a hundred-odd bytes: each bytes object has its overhead).
RUN_BYTES = 16 << 20
#: Runs merged at once; more are merged in groups first, so open files stay few.
FAN_IN = 64


class ExternalSort:
    """Collect lines with ``add``/``extend``, then iterate ``unique()`` once: sorted, no repeats.

    Use it as a context manager: the runs' folder (under ``folder``) is removed on exit.
    """

    def __init__(self, folder: Path, *, run_bytes: int = RUN_BYTES) -> None:
        if run_bytes < 1:
            raise ValueError("run_bytes must be positive")
        self._parent = folder
        self._run_bytes = run_bytes
        self._lines: list[bytes] = []
        self._held = 0
        self._runs: list[Path] = []
        self._written = 0
        self._folder: Path | None = None

    def __enter__(self) -> ExternalSort:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._lines = []
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    @property
    def runs(self) -> int:
        """How many runs went to disk so far."""
        return len(self._runs)

    def add(self, line: bytes) -> None:
        self._lines.append(line)
        self._held += len(line)
        if self._held >= self._run_bytes:
            self._spill()

    def extend(self, lines: Iterable[bytes]) -> None:
        for line in lines:
            self.add(line)

    def unique(self) -> Iterator[bytes]:
        """Every line added, in byte order, each once."""
        self._lines.sort()
        if not self._runs:
            lines, self._lines = self._lines, []
            return _unique(lines)
        if self._lines:
            self._spill()
        while len(self._runs) > FAN_IN:
            group, self._runs = self._runs[:FAN_IN], self._runs[FAN_IN:]
            self._runs.append(self._write_run(heapq.merge(*map(_read_run, group))))
            for path in group:
                path.unlink()
        return _unique(heapq.merge(*map(_read_run, self._runs)))

    def _spill(self) -> None:
        self._lines.sort()
        self._runs.append(self._write_run(iter(self._lines)))
        self._lines = []
        self._held = 0

    def _write_run(self, lines: Iterator[bytes]) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="sort-", dir=self._parent))
        path = self._folder / f"run-{self._written:06d}"
        self._written += 1
        with open(path, "wb") as stream:
            batch: list[bytes] = []
            for line in _unique(lines):
                batch.append(line)
                if len(batch) == 4096:
                    stream.write(b"\n".join(batch) + b"\n")
                    batch = []
            if batch:
                stream.write(b"\n".join(batch) + b"\n")
        return path


def _read_run(path: Path) -> Iterator[bytes]:
    # The newline is cut before comparing: "a" sorts before "a\t..." but "a\n" after it.
    with open(path, "rb", buffering=1 << 16) as stream:
        for line in stream:
            yield line[:-1]


def _unique(lines: Iterable[bytes]) -> Iterator[bytes]:
    previous = None
    for line in lines:
        if line != previous:
            yield line
            previous = line
