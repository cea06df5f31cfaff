"""What the machine can give the package's long-lived processes (endpoint workers, residents)."""

from __future__ import annotations

import os


def available_memory() -> int:
    """Bytes of memory available for new work (``MemAvailable``), or the free pages' size."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
