"""A Beast feed served on a TCP port, as dump1090 serves port 30005: for replays, simulations
and the demo, which play traffic into the service through the same path as a real receiver."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable
from datetime import datetime

from deconflict.ingest import squitter
from deconflict.ingest.beast import TICKS_PER_S, BeastFrame, encode_frame

__all__ = ["BeastServer", "SentState"]

SentState = tuple[str, float, float, float, float, float, float, str | None]
"""(icao24, lat, lon, alt_m, gs_mps, trk_deg, vs_mps, callsign) of one aircraft."""


class BeastServer:
    """Listens on `host:port` (0: any free port) and sends each batch of states, as the
    squitters a transponder would send that second, to every connected client."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = socket.create_server((host, port))
        self._server.settimeout(0.2)
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._introduced: set[str] = set()
        self._stop = threading.Event()
        self.connected = threading.Event()
        """Set once a client has connected."""
        self._thread = threading.Thread(target=self._accept, name="beast-server", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        host, port = self._server.getsockname()[:2]
        return f"beast://{host}:{port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._connections.append(connection)
            self.connected.set()

    def send(self, states: Iterable[SentState], when: datetime) -> int:
        """Send one second's squitters for each state, timed `when`; clients it reached. An
        aircraft's first batch starts with its identification, so it is attributed at once."""
        second = int(when.timestamp())
        counter = round(when.timestamp() * TICKS_PER_S) % (1 << 48)
        wire = bytearray()
        for icao24, lat, lon, alt_m, gs_mps, trk_deg, vs_mps, callsign in states:
            messages = squitter.transmissions(
                second, icao24, lat, lon, alt_m, gs_mps, trk_deg, vs_mps, callsign
            )
            if callsign and icao24 not in self._introduced:
                self._introduced.add(icao24)
                messages.insert(0, squitter.identification(icao24, callsign))
            for message in messages:
                counter += 1
                wire += encode_frame(BeastFrame(0x33, counter, 0xA0, message))
        with self._lock:
            for connection in list(self._connections):
                try:
                    connection.sendall(wire)
                except OSError:
                    self._connections.remove(connection)
                    connection.close()
            return len(self._connections)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._server.close()
