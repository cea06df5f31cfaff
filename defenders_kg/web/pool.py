"""The endpoint's pool of query workers: each query in a process of its own, killed when it
overruns its time limit or its memory limit.

Oxigraph's evaluation cannot be interrupted from Python, so a query that must stop is stopped by
killing its worker; the worker is a fork of the pool's zygote (``worker``), so its replacement
is ready in milliseconds. Only a few long queries run at once, so a slow or failing query never
holds up a quick one.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import os
import signal
import socket
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

import pyoxigraph as ox

from ..machine import available_memory
from ..policy import repeatable
from .answers import AnswerStore
from .worker import OUT_OF_MEMORY, Reply, error, zygote_main

if TYPE_CHECKING:
    from ..kg import KnowledgeGraph


@dataclass(frozen=True)
class Limits:
    """What one request may cost, and how many may be served at once."""

    timeout: float = 10.0
    max_rows: int = 10_000
    max_bytes: int = 64 * 1024
    #: Long queries (past ``QUICK_SECONDS`` of CPU) that run at once; more are paused.
    workers: int = 2
    #: Queries that may wait (paused) for a worker slot; beyond that, 503 with Retry-After.
    max_queue: int = 16
    #: MiB of memory a worker may allocate for one query, beyond the store it holds.
    max_memory: int = 1024
    #: Seconds a client has to send a request's headers, and again its body.
    read_timeout: float = 10.0
    #: Open connections; one past this is closed at once.
    max_connections: int = 256
    #: MiB of answers kept for repeated queries (``answers``); 0 keeps none.
    answer_cache: int = 64


#: A query that has used this much CPU is a long one: it needs one of the ``workers`` slots.
QUICK_SECONDS = 0.25
#: Memory an in-memory store takes per quad (measured: 800 MB for the 2.16 million quads of
#: K = 3000, less the interpreter), rounded up.
BYTES_PER_QUAD = 400
#: The share of the memory available at start that the zygote and its workers may fill.
MEMORY_SHARE = 0.75


@dataclass(frozen=True)
class Plan:
    """Where the workers read the store, and how many may be alive at once."""

    in_memory: bool
    processes: int


def plan(quads: int, limits: Limits, available: int) -> Plan:
    """In memory when the zygote and a worker for every slot and for one quick query fit in
    ``MEMORY_SHARE`` of ``available`` bytes, each at the full size of the store: a forked
    worker shares the zygote's pages only until its queries write to them, and Oxigraph's
    reference counts do (measured: one scan of the store at K = 3000 made 530 of its 800 MB
    the worker's own). As many workers as fit then, up to one per admitted query; on disk, that
    many always (they share the page cache)."""
    wanted = limits.workers + limits.max_queue + 1
    room = int(available * MEMORY_SHARE) // max(quads * BYTES_PER_QUAD, 1) - 1
    if room >= limits.workers + 1:
        return Plan(True, min(wanted, room))
    return Plan(False, wanted)


@dataclass
class _Worker:
    pid: int
    pidfd: int  # signals go through it: a pid may be reused once the zygote reaps the worker
    pipe: Connection


class QueryPool:
    """Worker processes that answer queries, each killable when it overruns the time limit.

    Every query gets a worker of its own at once (an idle one, or a new one), so a quick query
    never waits behind a slow one. A query that uses ``QUICK_SECONDS`` of CPU needs one of
    ``limits.workers`` slots; while none is free its worker is paused (SIGSTOP), which costs no
    CPU and does not count against its time limit. At most ``workers + max_queue`` queries are
    admitted at once; one more is answered 503 with Retry-After. A worker found dead is replaced
    before it is given a query. Workers that are done stay idle for the next queries, up to
    ``plan.processes`` alive in all; a query waits for one only where memory allows fewer.

    The pool lives on the server's event loop: a request waits for its reply without a thread of
    its own (the loop watches the worker's pipe). Code on a worker thread of that loop calls
    ``run``.
    """

    def __init__(self, kg: KnowledgeGraph, limits: Limits) -> None:
        self.limits = limits
        self.answers: AnswerStore[Reply] = AnswerStore(limits.answer_cache * 1024 * 1024)
        self._store_path = str(kg.store_path(inference=True))
        # Counted here and closed: this process never forks (the zygote is spawned).
        self.plan = plan(len(ox.Store.read_only(self._store_path)), limits, available_memory())
        self._context = multiprocessing.get_context("spawn")
        self._slots: asyncio.Semaphore | None = None
        self._alive: asyncio.Semaphore | None = None
        self._admitted = 0
        self._held = 0  # queries that hold a worker
        self._exits: dict[int, int] = {}
        self._all: dict[int, _Worker] = {}
        self._start_zygote()
        self._idle = [self._spawn() for _ in range(limits.workers)]

    def _start_zygote(self) -> None:
        """Start the zygote and wait until it holds the store."""
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=zygote_main,
            args=(child, self._store_path, self.plan.in_memory, self.limits.max_memory),
            daemon=True,
        )
        # Ctrl-C reaches the whole process group, and the server stops the zygote itself: it
        # starts with SIGINT ignored (that survives exec; only the main thread may set it), and
        # so do the workers it forks.
        in_main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main else None
        try:
            process.start()
        finally:
            if in_main:
                signal.signal(signal.SIGINT, previous)
        child.close()
        try:
            parent.recv()  # ("ready",)
        except EOFError:
            process.join()
            raise RuntimeError(
                f"the query workers' zygote ended (exit code {process.exitcode}) before it "
                "held the store"
            ) from None
        self._zygote = process
        self._control = parent
        self._control_socket = socket.socket(fileno=os.dup(parent.fileno()))

    def _spawn(self) -> _Worker:
        """A new worker, forked by the zygote; a zygote found dead is started again, which holds
        the server up while it loads the store (only if someone killed it)."""
        for _ in range(2):
            parent, child = self._context.Pipe()
            try:
                socket.send_fds(self._control_socket, [b"F"], [child.fileno()])
                pid = self._next_fork()
                _, fds, _, _ = socket.recv_fds(self._control_socket, 1, 1)
            except (OSError, EOFError):
                parent.close()
                self._stop_zygote()
                self._start_zygote()
                continue
            finally:
                child.close()
            worker = _Worker(pid, fds[0], parent)
            self._all[pid] = worker
            return worker
        raise RuntimeError("the query workers' zygote could not fork a worker")

    def _next_fork(self) -> int:
        """The pid of the worker just forked; exits reported before it are recorded."""
        while True:
            message = self._control.recv()
            if message[0] == "forked":
                return int(message[1])
            self._record_exit(message[1], message[2])

    def _drain(self) -> None:
        """Record the exits the zygote has reported so far (none once it is gone)."""
        try:
            while self._control.poll():
                _, pid, code = self._control.recv()
                self._record_exit(pid, code)
        except (EOFError, OSError):
            return

    def _record_exit(self, pid: int, code: int) -> None:
        if pid in self._all:  # a worker discarded already needs no explanation
            self._exits[pid] = code

    async def _exit_code(self, worker: _Worker) -> int | None:
        """The exit code of a dead worker, once the zygote has reaped it (within a second)."""
        fd = self._control.fileno()
        for _ in range(20):
            self._drain()
            if worker.pid in self._exits:
                return self._exits.pop(worker.pid)
            await _readable(fd, 0.05)
            os.set_blocking(fd, True)
        return None

    def _take(self) -> _Worker:
        """An idle worker that is still alive, or a new one; a spare stays idle if there is room
        for it beside the workers held by queries."""
        worker = None
        while self._idle and worker is None:
            worker = self._idle.pop()
            # An idle worker's pipe has nothing to read unless the worker is gone (end of file).
            if worker.pipe.poll():
                self._discard(worker)
                worker = None
        worker = worker or self._spawn()
        if not self._idle and self._held < self.plan.processes:
            self._idle.append(self._spawn())  # warm by the time the next query comes
        return worker

    def _give_back(self, worker: _Worker) -> None:
        if self._held + len(self._idle) <= self.plan.processes:
            self._idle.append(worker)
        else:
            self._discard(worker)

    def _discard(self, worker: _Worker) -> None:
        _signal(worker, signal.SIGKILL)
        os.close(worker.pidfd)
        worker.pipe.close()
        self._all.pop(worker.pid, None)

    async def answer(self, text: str, fmt: str, media_type: str) -> Reply:
        """Have a worker answer ``text`` in ``fmt``, within the time limit, unless the same was
        answered before and kept (``answers``)."""
        key = (text, fmt, media_type)
        kept = self.answers.get(key)
        if kept is not None:
            return kept
        reply = await self._admit(text, fmt, media_type)
        if repeatable(text):
            self.answers.put(key, reply)
        return reply

    async def _admit(self, text: str, fmt: str, media_type: str) -> Reply:
        if self._admitted >= self.limits.workers + self.limits.max_queue:
            return _busy(self.limits.timeout)
        if self._alive is None:
            self._alive = asyncio.Semaphore(self.plan.processes)
        self._admitted += 1
        try:
            async with self._alive:
                self._held += 1
                try:
                    for _ in range(3):  # a worker that died before it took it: another one
                        reply = await self._evaluate(text, fmt, media_type)
                        if reply is not None:
                            return reply
                finally:
                    self._held -= 1
            return error(500, "no worker process could take the query; it was not answered")
        finally:
            self._admitted -= 1

    async def _evaluate(self, text: str, fmt: str, media_type: str) -> Reply | None:
        """The answer of one worker; None if that worker was gone before it took the query."""
        worker = self._take()
        try:
            outcome = await self._run_on(worker, (text, fmt, media_type, self.limits.max_rows))
        except BaseException:  # the request was cancelled: its worker may be paused or busy
            self._discard(worker)
            raise
        if isinstance(outcome, Reply):
            self._give_back(worker)
            return outcome
        code = None if outcome == "timed out" else await self._exit_code(worker)
        self._discard(worker)
        if outcome == "gone":
            return None
        if outcome == "timed out":
            message = f"the query exceeded the time limit of {self.limits.timeout:g} s"
            return error(503, f"{message} and was stopped")
        if code == -signal.SIGABRT:  # Rust aborts when an allocation fails
            return error(503, f"{OUT_OF_MEMORY} ({self.limits.max_memory} MiB)")
        return error(500, "the query crashed its worker process; it was not answered")

    async def _run_on(self, worker: _Worker, job: tuple[str, str, str, int]) -> Reply | str:
        """``worker``'s reply to ``job``, or what happened instead: gone, timed out, crashed."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limits.workers)
        slots, timeout = self._slots, self.limits.timeout
        fd = worker.pipe.fileno()
        holds_slot = False
        try:
            # The worker acknowledges a job before it runs it.
            try:
                worker.pipe.send(job)
                if not await _readable(fd, timeout):
                    return "timed out"
                # An event loop's add_reader may leave the pipe non-blocking: a reply longer
                # than the pipe's buffer would then fail half-read and pass for a crash.
                os.set_blocking(fd, True)
                worker.pipe.recv()
            except (EOFError, OSError):
                return "gone"
            # Running, not yet long: until the query has used QUICK_SECONDS of CPU (a quick one
            # on a busy machine may take longer than that by the clock).
            done = worker.pipe.poll()  # a quick query may have its reply in already
            began, ran = 0.0 if done else _cpu_seconds(worker.pid), 0.0
            while not done and ran < timeout:
                step = min(QUICK_SECONDS, timeout - ran)
                done = await _readable(fd, step)
                ran += step
                if _cpu_seconds(worker.pid) - began >= QUICK_SECONDS:
                    break
            if not done and ran < timeout:
                paused = slots.locked()
                if paused:
                    _signal(worker, signal.SIGSTOP)
                await slots.acquire()
                holds_slot = True
                if paused:
                    _signal(worker, signal.SIGCONT)
                done = await _readable(fd, timeout - ran)
            if not done:
                return "timed out"
            os.set_blocking(fd, True)
            reply: Reply = worker.pipe.recv()
            return reply
        except (EOFError, OSError):  # the worker died under the query (a crash, out of memory)
            return "crashed"
        finally:
            if holds_slot:
                slots.release()

    def run(self, text: str, fmt: str, media_type: str) -> Reply:
        """``answer`` for code on a worker thread of the server's loop (``run_in_threadpool``)."""
        import anyio.from_thread

        return anyio.from_thread.run(self.answer, text, fmt, media_type)

    def processes(self) -> list[int]:
        """The process ids of the workers (for operators and tests)."""
        return list(self._all)

    def close(self) -> None:
        """Stop every worker, busy or idle, and the zygote."""
        for worker in list(self._all.values()):
            self._discard(worker)
        self._idle.clear()
        self._stop_zygote()

    def _stop_zygote(self) -> None:
        self._control_socket.close()
        self._control.close()  # the zygote leaves when it reads the end of the socket
        self._zygote.join(timeout=5)
        if self._zygote.is_alive():
            self._zygote.kill()
            self._zygote.join()


def _signal(worker: _Worker, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        signal.pidfd_send_signal(worker.pidfd, number)


def _cpu_seconds(pid: int) -> float:
    """The CPU time process ``pid`` has used (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _busy(timeout: float) -> Reply:
    retry = str(max(1, math.ceil(timeout)))
    message = "too many queries are waiting; try again shortly"
    return Reply(
        503, "text/plain; charset=utf-8", (message + "\n").encode(), (("Retry-After", retry),)
    )


async def _readable(fd: int, timeout: float) -> bool:
    """Whether ``fd`` has something to read (or is closed) within ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(fd, _wake, ready)
    try:
        done, _ = await asyncio.wait({ready}, timeout=max(timeout, 0))
        return bool(done)
    finally:
        loop.remove_reader(fd)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
