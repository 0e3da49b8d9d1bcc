"""The background answer server of `assistant ask` (see :mod:`assistant.client`): the API of :mod:`assistant.api`
on the Unix socket of its fingerprint, so one-off questions skip loading LlamaIndex, Chroma and the index.

Two processes serve it: ``assistant answer-server``, which the first ``ask`` that finds none starts and which stops
after ``ask.idle_exit_s`` without a request (:func:`serve_until_idle`), and ``assistant ui``, which answers ``ask``
with its own assistant while the chat runs, taking the socket over from a server that had it (:func:`answering_ask`).
Either stops serving the socket when no ``ask`` can match it any more: its socket file was replaced or removed, or
the code, prompts or calibration it was loaded from changed on disk.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.api import StreamingAssistant, build_api
from assistant.client import claimed_socket, fingerprint

if TYPE_CHECKING:
    from fastapi import Request

    from assistant.config import Settings

log = logging.getLogger(__name__)

# How long `assistant ui` waits for its socket to listen before going on without it.
_BIND_TIMEOUT_S = 30.0
# How often a server checks that the files it was loaded from are still those on disk.
_RECHECK_S = 30.0


class SocketServer:
    """The API on ``path``; with ``idle_exit_s``, it stops after that long without a request. Its socket file goes
    with it, unless a server started on the same path since owns it."""

    def __init__(self, settings: Settings, path: Path, assistant: StreamingAssistant, serves: str,
                 idle_exit_s: float | None = None) -> None:
        import uvicorn

        app = build_api(assistant, settings, serves, private=True)
        self._idle = _Idle()

        @app.middleware("http")
        async def _busy(request: Request, call_next: Any) -> Any:
            with self._idle.busy():
                return await call_next(request)

        self.settings, self.serves, self.path, self.idle_exit_s = settings, serves, path, idle_exit_s
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        # Bound here, and known as ours at once: a server that takes the path over from now on is seen.
        self._socket = _bind(path)
        self._identity = _identity(path)

    def run(self) -> None:
        """Serve until :meth:`stop`, SIGINT/SIGTERM (in the main thread) or the idle time."""
        threading.Thread(target=self._watch, daemon=True).start()
        try:
            self.server.run(sockets=[self._socket])
        finally:
            self._socket.close()
            if self._still_mine():
                with contextlib.suppress(OSError):
                    self.path.unlink()

    def stop(self) -> None:
        self.server.should_exit = True

    def listening(self) -> bool:
        return self.server.started

    def _watch(self) -> None:
        tick = 1.0 if self.idle_exit_s is None else min(1.0, self.idle_exit_s / 4)
        checked = time.monotonic()
        while not self.server.should_exit:
            time.sleep(tick)
            idle = self.idle_exit_s is not None and self._idle.seconds() > self.idle_exit_s
            stale = False
            if time.monotonic() - checked > _RECHECK_S:
                checked = time.monotonic()
                try:
                    stale = fingerprint(self.settings) != self.serves
                except Exception:  # its folders gone, say: nothing could match it, and a watcher must not die
                    log.exception("checking the files this server was loaded from failed; stopping")
                    stale = True
            if idle or stale or not self._still_mine():
                self.stop()

    def _still_mine(self) -> bool:
        """Whether the socket file is still the one this server bound (not replaced by another's, not removed)."""
        try:
            return _identity(self.path) == self._identity
        except OSError:
            return False


def _bind(path: Path) -> socket.socket:
    """A Unix socket bound at ``path``, replacing the file there (a dead server's socket, one whose server stops on
    seeing it replaced, or anything else: the folder is this user's alone); callers hold the start lock
    (:func:`~assistant.client.claimed_socket`, or the `ask` that started this server)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
    except OSError:
        sock.close()
        raise
    return sock


def _identity(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_ino, st.st_ctime_ns  # a replacing file may get a freed inode number again, not the same ctime


def serve_until_idle(settings: Settings, path: Path, serves: str | None = None) -> None:
    """``assistant answer-server``: the settings' assistant on ``path`` until ``ask.idle_exit_s`` pass without a
    request, or SIGINT/SIGTERM."""
    from assistant.assistant import Assistant

    serves = serves or fingerprint(settings)  # before the assistant loads the code, prompts and calibration
    SocketServer(settings, path, Assistant.from_settings(settings), serves, settings.ask.idle_exit_s).run()


@contextlib.contextmanager
def answering_ask(settings: Settings, assistant: StreamingAssistant, serves: str) -> Iterator[bool]:
    """While the block runs, ``assistant`` also answers `assistant ask` on the background server's socket of
    ``serves`` (a background server that had it stops); yields whether it does (not when ``ask.background_server``
    is off or no socket can be had)."""
    server, thread = None, None
    if settings.ask.background_server:
        with contextlib.suppress(OSError), claimed_socket(serves) as path:  # bound before the lock is let go
            server = SocketServer(settings, path, assistant, serves)
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            deadline = time.monotonic() + _BIND_TIMEOUT_S
            while not server.listening() and thread.is_alive() and time.monotonic() < deadline:
                time.sleep(0.05)
    try:
        yield server is not None and server.listening()
    finally:
        if server is not None and thread is not None:
            server.stop()
            thread.join(timeout=30)


class _Idle:
    """Seconds since the last request ended; 0 while one runs."""

    def __init__(self) -> None:
        self._running = 0
        self._since = time.monotonic()

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        self._running += 1
        try:
            yield
        finally:
            self._running -= 1
            self._since = time.monotonic()

    def seconds(self) -> float:
        return 0.0 if self._running else time.monotonic() - self._since
