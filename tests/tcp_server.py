"""A local TCP server for feed tests: what a receiver's port sends, as the test decides."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def serving(send: Callable[[socket.socket, int], None]) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that calls send(connection, n) for its n-th connection."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        n = 0
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            n += 1
            with connection:
                send(connection, n)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)
