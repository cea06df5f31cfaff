"""The processes that evaluate the endpoint's queries: a zygote that holds the store, and the
workers it forks.

The zygote is started once per pool. When the store fits in memory (``QueryPool`` decides, from
its quad count and the memory available) the zygote copies it into an in-memory store, where
Oxigraph answers several times faster than from RocksDB, and every worker is a fork of it: ready
in milliseconds, even after a kill, and sharing the zygote's pages copy-on-write until its
queries write to them. Otherwise the zygote never opens the store (RocksDB's threads do not
survive a fork) and each worker opens it read-only after the fork, shared through the page cache.

The zygote speaks over one Unix socket: the pool sends ``b"F"`` with a socket for the new
worker (``SCM_RIGHTS``); the zygote answers ``("forked", pid)`` followed by a pidfd of it, and
``("exit", pid, code)`` when a worker ends, since only the zygote, its parent, can read that
code.
"""

from __future__ import annotations

import os
import select
import signal
import socket
from dataclasses import dataclass
from multiprocessing.connection import Connection

import pyoxigraph as ox

from .. import engine
from ..errors import DefendersKGError, QuerySyntaxError

OUT_OF_MEMORY = "the query needed more memory than a worker may use and was stopped"


@dataclass(frozen=True)
class Reply:
    status: int
    media_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def error(status: int, message: str) -> Reply:
    return Reply(status, "text/plain; charset=utf-8", (message + "\n").encode("utf-8"))


def answer(store: ox.Store, text: str, fmt: str, media_type: str, max_rows: int) -> Reply:
    """Evaluate one query inside a worker; every outcome becomes a Reply."""
    try:
        result = engine.run(store, text, max_rows=max_rows)
        return Reply(200, media_type, result.encode(fmt))
    except QuerySyntaxError as err:
        # Line and column, without the offending line: an answer need not echo the query.
        return error(err.http_status, str(err).splitlines()[0])
    except DefendersKGError as err:
        return error(err.http_status, str(err))
    except MemoryError:
        return error(503, OUT_OF_MEMORY)


def zygote_main(control: Connection, store_path: str, in_memory: bool, max_memory: int) -> None:
    """The zygote: load the store (into memory if ``in_memory``), then fork a worker per request
    until the pool's end of ``control`` closes."""
    store: ox.Store | None = None
    if in_memory:
        store = ox.Store()
        store.bulk_extend(ox.Store.read_only(store_path))
    sock = socket.socket(fileno=os.dup(control.fileno()))
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda number, frame: None)  # wakes select, via the pipe
    control.send(("ready",))
    while True:
        readable, _, _ = select.select([sock.fileno(), wake_read], [], [])
        if wake_read in readable:
            os.read(wake_read, 4096)
            _report_exits(control)
        if sock.fileno() in readable:
            try:
                message, fds, _, _ = socket.recv_fds(sock, 1, 1)
            except OSError:
                message = b""
            if not message:  # the pool is gone; its workers see their own pipes close
                return
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                for fd in (wake_read, wake_write, sock.fileno(), control.fileno()):
                    os.close(fd)
                _worker(Connection(fds[0]), store, store_path, max_memory)
            os.close(fds[0])
            # A pid may be reused once it is reaped; a pidfd names this process only.
            pidfd = os.pidfd_open(pid)
            control.send(("forked", pid))
            socket.send_fds(sock, [b"P"], [pidfd])
            os.close(pidfd)


def _report_exits(control: Connection) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        control.send(("exit", pid, os.waitstatus_to_exitcode(status)))


def _worker(pipe: Connection, store: ox.Store | None, store_path: str, max_memory: int) -> None:
    """A worker: answer jobs until the pipe closes, then leave the process (never return into
    the zygote's loop).

    The loop runs on one thread with a large stack, so no query needs a thread of its own. Once
    the store is at hand, the address space may grow by ``max_memory`` MiB and no more.
    """
    code = 0
    try:
        served = store if store is not None else ox.Store.read_only(store_path)

        def serve_jobs() -> None:
            _limit_address_space(max_memory * 1024 * 1024)
            while True:
                try:
                    text, fmt, media_type, max_rows = pipe.recv()
                except (EOFError, OSError):
                    return
                pipe.send(None)  # taken: a death from now on is this query's
                pipe.send(answer(served, text, fmt, media_type, max_rows))

        engine.on_big_stack(serve_jobs)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _limit_address_space(extra: int) -> None:
    """Let this process's address space grow by ``extra`` bytes from now on (RLIMIT_AS)."""
    import resource

    with open("/proc/self/statm", encoding="ascii") as statm:
        size = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (size + extra, size + extra))
