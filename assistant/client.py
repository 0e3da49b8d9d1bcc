"""`assistant ask` through a long-lived answer server: the server already has LlamaIndex, Chroma, the BM25 index and
the models loaded, so a one-off question costs a small process and one HTTP request instead of importing and
opening all of that (~3 s on 2 cores).

Two kinds of server answer it, tried in this order:

1. a running ``assistant serve-api`` at the command's own ``api.host:api.port``;
2. the background answer server: a private ``assistant answer-server`` on a Unix socket in a folder only this user
   can open (``$TMPDIR/assistant-<uid>/``), one per fingerprint. The first ``ask`` that finds none starts it and waits
   for it (about what answering in-process costs); later ones reuse it. It stops by itself after
   ``ask.idle_exit_s`` without a request. ``ask.background_server = false`` turns it off.

Either is used only when its :func:`fingerprint` equals the command's own: the same answer-relevant settings (index
location, models, retrieval and answer options) and the same code, prompts and calibration on disk. Anything else (no
server, another program on the port, other settings, other code, a token the client lacks, a background server that
did not start) and the question is answered in the asking process, as before. ``assistant ask --local`` always
answers in-process.

Imports stay light on purpose (the standard library, settings and the Answer model): this path exists to skip the
heavy ones.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import InvalidQuestionError, ServerUnavailableError

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.results import Answer

ANSWER_PATH = "/v1/assistant/answer"
FINGERPRINT_PATH = "/v1/assistant/fingerprint"
# Asking the server which settings it runs must be quick: a port that accepts and then says nothing is not a server
# to wait for. Once it has said it runs ours, the answer takes what an answer takes.
_PROBE_TIMEOUT_S = 2.0
# Settings that do not change an answer: where servers listen, how the model server is managed, the eval thresholds.
_NOT_ANSWER_RELEVANT: dict[str, Any] = {
    "ui": True, "api": True, "ask": True, "eval": True, "cache_dir": True, "seeds_dir": True,
    "ollama": {"binary", "manage", "create_bundled", "num_parallel", "request_timeout_s"},
}
_PACKAGE = Path(__file__).resolve().parent
# How long a first `ask` waits for the background server it started to load (imports, index, BM25) before it answers
# by itself; a big index on a slow disk takes a while, a crashed start is seen at once.
_START_TIMEOUT_S = 180.0
_SUN_PATH_MAX = 104  # bytes of a Unix socket's path, the closing NUL included (Linux allows 108, macOS 104)


def fingerprint(settings: Settings) -> str:
    """What a server and a client must share for the server's answer to be the one the client would give: the
    settings that shape an answer (index location as the effective path, models, retrieval and answer options) and
    the files it is made from (this package, the prompts folder, the calibration file), by size and modification
    time, so a server started before they changed is not used; and the interpreter with its installed libraries (a
    library installed, removed or upgraded changes its folder's modification time)."""
    relevant = _resolved(settings.model_dump(exclude=_NOT_ANSWER_RELEVANT))
    relevant["chroma"]["path"] = str(settings.chroma_path.resolve())
    files = [_PACKAGE, settings.prompts_dir, *([settings.answer.calibration] if settings.answer.calibration else [])]
    stamp = json.dumps({"settings": relevant, "files": [files_stamp(p) for p in files], "python": _interpreter()},
                       sort_keys=True, default=str)
    return hashlib.sha256(stamp.encode()).hexdigest()


def files_stamp(path: Path) -> list[tuple[str, int, int]]:
    """Every file under ``path`` (or the file itself) by path, size and modification time."""
    path = path.resolve()
    found = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    stamp = []
    for p in found:
        with contextlib.suppress(FileNotFoundError):  # gone since the listing (an editor's swap file, a checkout)
            st = p.stat()
            stamp.append((str(p), st.st_size, st.st_mtime_ns))
    return sorted(stamp)


def _resolved(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _resolved(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value.resolve())  # relative to the working folder, as the code opens it ("~" is expanded already)
    return value


def _interpreter() -> list[Any]:
    libraries = sorted(p for p in sys.path if p.endswith("-packages") and os.path.isdir(p))
    return [sys.executable, sys.version, [(p, os.stat(p).st_mtime_ns) for p in libraries]]


def server_url(settings: Settings) -> str:
    return f"http://{settings.api.host}:{settings.api.port}"


BACKGROUND = "the background answer server"


def server_answer(settings: Settings, question: str, history: Sequence[dict[str, Any]] | None = None,
                  on_skip: Callable[[str], None] | None = None, mine: str | None = None) -> Answer | None:
    """The answer of the ``serve-api`` at ``settings.api`` when it runs on these settings and this code; None when
    there is no such server (``on_skip`` hears why, when a server was found but not used). ``mine``: the settings'
    :func:`fingerprint`, when the caller has it already.

    Once the server has said it runs ours, its errors are this answer's: a question it rejects (empty, too long)
    raises :class:`InvalidQuestionError`, a model server it cannot reach :class:`ServerUnavailableError`, as answering
    in-process would."""
    api = settings.api

    def connect() -> http.client.HTTPConnection:
        return http.client.HTTPConnection(api.host, api.port, timeout=_PROBE_TIMEOUT_S)

    return _answer_at(settings, connect, f"the assistant server at {server_url(settings)}",
                      mine or fingerprint(settings), question, history, on_skip)


def background_answer(settings: Settings, question: str, history: Sequence[dict[str, Any]] | None = None,
                      on_note: Callable[[str], None] | None = None, mine: str | None = None,
                      before_start: Callable[[], None] | None = None) -> Answer | None:
    """The answer of the background answer server of these settings and this code, started (and waited for) when
    none runs; None when there is none and it could not be started, or it stopped before answering (``on_note``
    hears why, and when one starts). ``before_start`` runs before a server is started (to start the model server,
    whose minutes then do not count against the server's start). Its errors are this answer's, as in
    :func:`server_answer`."""
    note = on_note or (lambda _: None)
    mine = mine or fingerprint(settings)
    try:
        path = socket_path(mine)

        def connect() -> http.client.HTTPConnection:
            return _UnixConnection(path, _PROBE_TIMEOUT_S)

        if _served(settings, connect) is None:
            with _locked(path.parent / "start.lock"):  # one starts it; the others asking at once wait for it
                if _served(settings, connect) is None:
                    if before_start is not None:
                        before_start()
                    if not _start(settings, path, mine, connect, note):
                        return None
    except OSError as e:  # the socket folder, its lock or a log that cannot be used
        note(f"no {BACKGROUND} ({e}); answering here")
        return None
    return _answer_at(settings, connect, BACKGROUND, mine, question, history, note)


class NoSocketError(OSError):
    """No Unix socket that only this user can reach."""


def socket_path(mine: str) -> Path:
    """Where the background server of fingerprint ``mine`` listens: in a folder of the temporary directory that
    only this user can open (a Unix socket path must be short, so not under the data folder). Raises
    :class:`NoSocketError` when that folder belongs to someone else or others may open it, the path is too long for
    a socket, or the platform has no Unix sockets: then there is no background server, and nothing is sent where
    another user could listen."""
    if not hasattr(socket, "AF_UNIX"):
        raise NoSocketError("this platform has no Unix sockets")
    folder = Path(tempfile.gettempdir()) / f"assistant-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    st = folder.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise NoSocketError(f"{folder} is not a folder that only this user can open")
    path = folder / f"{mine[:16]}.sock"
    if len(os.fsencode(path)) >= _SUN_PATH_MAX:
        raise NoSocketError(f"{path} is too long for a Unix socket (TMPDIR sets a shorter folder)")
    return path


@contextlib.contextmanager
def claimed_socket(mine: str) -> Iterator[Path]:
    """For a long-lived process (`assistant ui`) to answer `ask` on: the background server's socket path of
    fingerprint ``mine``, held against an `ask` starting a server until the block ends. A server listening there
    already loses the path to the caller, and stops when it sees that (see :mod:`assistant.answer_server`).
    Raises OSError (:class:`NoSocketError` among them) when there is no such path to be had."""
    path = socket_path(mine)
    with _locked(path.parent / "start.lock"):
        yield path


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over the background server's Unix socket."""

    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self.socket_path))
        except OSError:
            sock.close()
            raise
        self.sock = sock


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # released when the file closes, or when this process dies
        yield


STALE_AFTER_S = 7 * 24 * 3600


def _sweep(folder: Path) -> None:
    """Remove the logs (and lock files of earlier versions) of background servers of other settings or code, not
    started for a week: each fingerprint leaves its own, and every change of code or settings is a new one. The
    socket a killed server left (nothing listens there) goes too, a week on."""
    cutoff = time.time() - STALE_AFTER_S
    for sock in folder.glob("*.sock"):
        with contextlib.suppress(OSError):
            if sock.stat().st_mtime < cutoff and not _listening(sock):
                sock.unlink()
    for f in [*folder.glob("*.log"), *folder.glob("*.lock")]:
        with contextlib.suppress(OSError):
            if f.name != "start.lock" and not f.with_suffix(".sock").exists() and f.stat().st_mtime < cutoff:
                f.unlink()


def _listening(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(_PROBE_TIMEOUT_S)
        try:
            s.connect(str(path))
        except OSError:  # refused: no process holds it any more
            return False
    return True


def _start(settings: Settings, path: Path, mine: str, connect: Callable[[], http.client.HTTPConnection],
           note: Callable[[str], None]) -> bool:
    """Start the background server on ``path`` and wait until it answers; False (and why, to ``note``) when it
    exits first or does not answer in time."""
    log = path.with_suffix(".log")
    _sweep(path.parent)
    # The command's own settings come from the same environment, working folder (.env) and this --model. -P: not the
    # working folder's own `assistant` package, if it has one; the server checks it runs the fingerprint it is given.
    env = os.environ | {"ASSISTANT_OLLAMA__CHAT_MODEL": settings.ollama.chat_model}
    command = [sys.executable, "-P", "-m", "assistant.cli", "answer-server", "--socket", str(path),
               "--fingerprint", mine]
    with log.open("wb") as out:  # the latest start's log only
        # Its own session and no inherited pipes: it outlives this command, and whoever reads this command's output
        # (a shell's $(...), a test, CI) is not kept waiting for it.
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if _served(settings, connect) is not None:
            minutes = settings.ask.idle_exit_s / 60
            note(f"started {BACKGROUND} (pid {process.pid}) for the next questions; it stops after {minutes:g} min "
                 "without one (ASSISTANT_ASK__BACKGROUND_SERVER=false: never start it)")
            return True
        if process.poll() is not None:
            note(f"{BACKGROUND} did not start: {_last_line(log)} (its log: {log}); answering here")
            return False
        time.sleep(0.05)
    process.terminate()
    note(f"{BACKGROUND} did not answer within {_START_TIMEOUT_S:g} s (its log: {log}); answering here")
    return False


def _last_line(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return lines[-1] if lines else "no output"


def _served(settings: Settings, connect: Callable[[], http.client.HTTPConnection]) -> tuple[int, bytes] | None:
    """(status, body) of the fingerprint request; None when nothing there speaks HTTP to us."""
    status, data = _request(settings, connect, "GET", FINGERPRINT_PATH, None, _PROBE_TIMEOUT_S)
    return None if status is None else (status, data)


def _answer_at(settings: Settings, connect: Callable[[], http.client.HTTPConnection], where: str, mine: str,
               question: str, history: Sequence[dict[str, Any]] | None,
               on_skip: Callable[[str], None] | None) -> Answer | None:
    from assistant.results import Answer

    skip = on_skip or (lambda _: None)
    served = _served(settings, connect)
    if served is None or served[0] != 200 or _json(served[1]).get("fingerprint") != mine:
        if served is not None and served[0] in (200, 401):
            token = "refuses this command's token (ASSISTANT_API__TOKEN)" if settings.api.token else \
                "needs a token this command lacks (ASSISTANT_API__TOKEN)"
            why = token if served[0] == 401 else "runs other settings or other code"
            skip(f"{where} {why}; not asking it")
        return None
    body = json.dumps({"question": question, "history": list(history or []), "fingerprint": mine})
    status, data = _request(settings, connect, "POST", ANSWER_PATH, body, None)
    if status == 200:
        try:
            return Answer.model_validate_json(data)
        except ValueError:
            skip(f"{where} sent an answer this command cannot read; answering here")
            return None
    if status is None:  # it stopped (killed, or idle just then) before answering
        skip(f"{where} stopped before answering; answering here")
        return None
    error = _json(data).get("error")
    error = error if isinstance(error, dict) else {}
    message = str(error.get("message") or f"HTTP {status}")
    # What answering here would raise as well: the question is rejected, or the model server or index cannot be used.
    if error.get("code") == "invalid_question":
        raise InvalidQuestionError(message)
    if status == 503:
        raise ServerUnavailableError(message)
    skip(f"{where} could not answer ({message}); answering here")
    return None


def _request(settings: Settings, connect: Callable[[], http.client.HTTPConnection], method: str, path: str,
             body: str | None, timeout: float | None) -> tuple[int | None, bytes]:
    """(status, body) of one request; (None, b"") when nothing there speaks HTTP to us."""
    conn = connect()
    headers = {"Content-Type": "application/json"}
    if settings.api.token is not None and not isinstance(conn, _UnixConnection):  # the socket asks none
        headers["Authorization"] = f"Bearer {settings.api.token.get_secret_value()}"
    try:
        conn.connect()
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException):  # refused, timed out, reset, not HTTP
        return None, b""
    finally:
        conn.close()


def _json(data: bytes) -> dict[str, Any]:
    """A JSON object body; empty for any other body (a server not ours)."""
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
