"""A TCP proxy between a process and a server, for faults at an exact moment: it can freeze (stop
a worker's messages to Temporal after a provider accepted a send) or be cut (the server looks
down: its port refuses connections) and restored (the chaos suite's PostgreSQL and provider
outages, without stopping the real servers)."""

import contextlib
import socket
import threading


class FreezableProxy:
    def __init__(self, target: str) -> None:
        host, port = target.rsplit(":", 1)
        self._target = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._port = self._listener.getsockname()[1]
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listen()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._port}"

    def freeze(self) -> None:
        """Hold every byte from now on: nothing more reaches the server or the worker."""
        self._flowing.clear()

    def close(self) -> None:
        """Drop every connection; bytes held while frozen are never delivered."""
        self._closed = True
        self._flowing.set()
        _close(self._listener)
        self._drop()

    def cut(self, drop_open: bool) -> None:
        """Refuse new connections (the port closes); with drop_open, reset the open ones too."""
        _close(self._listener)
        if drop_open:
            self._drop()

    def restore(self) -> None:
        """Accept connections on the same port again."""
        self._listener = socket.create_server(("127.0.0.1", self._port))
        self._listen()

    def _listen(self) -> None:
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def _drop(self) -> None:
        with self._lock:
            dropped, self._sockets = self._sockets, []
        for sock in dropped:
            _close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # cut or closed
                return
            try:
                upstream = socket.create_connection(self._target)
            except OSError:  # the server is down: so is the proxy, for this client
                _close(client)
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self._flowing.wait()
                if self._closed:
                    return
                sink.sendall(data)
        except OSError:
            pass
        finally:
            # One side ended: end the other, as a direct connection would.
            for sock in (source, sink):
                _close(sock)


def _close(sock: socket.socket) -> None:
    """Shut down, then close: a bare close() wakes no thread blocked in accept() or recv() on
    the socket (Linux), so a listener would keep accepting and a peer would see no end."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
