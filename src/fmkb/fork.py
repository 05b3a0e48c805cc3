"""The one way fmkb runs work on a second core: a forked child with a pipe to it.

A forked child shares the parent's loaded state for free (the settings, the notes read so
far, the imported modules), so handing it work costs nothing to send. It talks back over
the pipe; if it fails in any way the parent sees `WorkerLost` and does the work itself.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any


class WorkerLost(Exception):
    """The child died or failed before it answered: do its share in this process."""


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity (`taskset -c 0` leaves one), not the
    machine's count."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def can_fork() -> bool:
    """A second core to use, and a platform that forks."""
    return usable_cores() >= 2 and "fork" in multiprocessing.get_all_start_methods()


class Worker:
    """`target(conn, *args)` running in a forked child; talk to it with `send` and `recv`."""

    def __init__(self, target: Callable[..., None], *args: Any) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conn, theirs = ctx.Pipe()
        self._process = ctx.Process(target=_run, args=(target, theirs, *args), daemon=True)
        self._process.start()
        theirs.close()

    def send(self, message: Any) -> None:
        try:
            self._conn.send(message)
        except OSError as e:  # BrokenPipeError: the child is gone
            raise WorkerLost from e

    def recv(self) -> Any:
        try:
            return self._conn.recv()
        except (EOFError, OSError) as e:
            raise WorkerLost from e

    def close(self) -> None:
        self._conn.close()
        self._process.join(timeout=5)


def _run(target: Callable[..., None], conn: Connection, *args: Any) -> None:
    try:
        target(conn, *args)
        conn.close()
        code = 0
    except BaseException:  # the parent sees the pipe close (WorkerLost) and does the work itself
        code = 1
    # Leave without freeing a vault's worth of objects one by one (half a second at 10,000
    # notes) while the parent waits in join(), and without printing anything of its own.
    os._exit(code)


def call_aside(fn: Callable[..., Any], *args: Any) -> Worker:
    """Start `fn(*args)` on the other core; its value is `worker.recv()`."""
    return Worker(_send_result, fn, *args)


def _send_result(conn: Connection, fn: Callable[..., Any], *args: Any) -> None:
    conn.send(fn(*args))
