"""`assistant ask` through a running ``assistant serve-api``: the long-lived server already has LlamaIndex, Chroma,
the BM25 index and the models loaded, so a one-off question costs a small process and one HTTP request instead of
importing and opening all of that (~2 s on 2 cores).

The client asks the server at its own ``api.host:api.port`` for its :func:`fingerprint` first (two seconds at most)
and hands it the question only when it equals its own: the same answer-relevant settings (index location, models,
retrieval and answer options) and the same code, prompts and calibration on disk. Anything else (no server, another
program on the port, other settings, other code, a token the client lacks) and the question is answered in the
asking process, as before. ``assistant ask --local`` always answers in-process.

Imports stay light on purpose (the standard library, settings and the Answer model): this path exists to skip the
heavy ones.
"""

from __future__ import annotations

import hashlib
import http.client
import json
from collections.abc import Callable, Sequence
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
    "ui": True, "api": True, "eval": True, "cache_dir": True, "seeds_dir": True,
    "ollama": {"binary", "manage", "create_bundled", "num_parallel", "request_timeout_s"},
}
_PACKAGE = Path(__file__).resolve().parent


def fingerprint(settings: Settings) -> str:
    """What a server and a client must share for the server's answer to be the one the client would give: the
    settings that shape an answer (index location as the effective path, models, retrieval and answer options) and
    the files it is made from (this package, the prompts folder, the calibration file), by size and modification
    time, so a server started before they changed is not used."""
    relevant = _resolved(settings.model_dump(exclude=_NOT_ANSWER_RELEVANT))
    relevant["chroma"]["path"] = str(settings.chroma_path.expanduser().resolve())
    files = [_PACKAGE, settings.prompts_dir, *([settings.answer.calibration] if settings.answer.calibration else [])]
    stamp = json.dumps({"settings": relevant, "files": [files_stamp(p) for p in files]}, sort_keys=True, default=str)
    return hashlib.sha256(stamp.encode()).hexdigest()


def files_stamp(path: Path) -> list[tuple[str, int, int]]:
    """Every file under ``path`` (or the file itself) by path, size and modification time."""
    path = path.expanduser().resolve()
    found = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return sorted((str(p), (st := p.stat()).st_size, st.st_mtime_ns) for p in found)


def _resolved(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _resolved(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value.expanduser().resolve())
    return value


def server_url(settings: Settings) -> str:
    return f"http://{settings.api.host}:{settings.api.port}"


def server_answer(settings: Settings, question: str, history: Sequence[dict[str, Any]] | None = None,
                  on_skip: Callable[[str], None] | None = None) -> Answer | None:
    """The answer of the server at ``settings.api`` when it runs on these settings and this code; None when there
    is no such server (the caller answers by itself; ``on_skip`` hears why, when a server was found but not used).

    Once the server has said it runs ours, its errors are this answer's: a question it rejects (empty, too long)
    raises :class:`InvalidQuestionError`, a model server it cannot reach :class:`ServerUnavailableError`, as answering
    in-process would."""
    from assistant.results import Answer

    mine = fingerprint(settings)
    status, data = _request(settings, "GET", FINGERPRINT_PATH, None, _PROBE_TIMEOUT_S)
    if status != 200 or _json(data).get("fingerprint") != mine:
        if status in (200, 401) and on_skip is not None:
            why = "needs a token this command lacks" if status == 401 else "runs other settings or other code"
            on_skip(f"the assistant server at {server_url(settings)} {why}; answering here")
        return None
    body = json.dumps({"question": question, "history": list(history or []), "fingerprint": mine})
    status, data = _request(settings, "POST", ANSWER_PATH, body, None)
    if status is None:
        raise ServerUnavailableError(f"The assistant server at {server_url(settings)} stopped answering; "
                                     "`assistant ask --local` answers without it.")
    if status == 200:
        try:
            return Answer.model_validate_json(data)
        except ValueError as e:
            raise ServerUnavailableError(f"The assistant server at {server_url(settings)} sent an answer this "
                                         "command cannot read; `assistant ask --local` answers without it.") from e
    error = _json(data).get("error")
    error = error if isinstance(error, dict) else {}
    message = str(error.get("message") or f"HTTP {status}")
    if error.get("code") == "invalid_question":
        raise InvalidQuestionError(message)
    raise ServerUnavailableError(f"The assistant server at {server_url(settings)} could not answer: {message} "
                                 "(`assistant ask --local` answers without it).")


def _request(settings: Settings, method: str, path: str, body: str | None,
             timeout: float | None) -> tuple[int | None, bytes]:
    """(status, body) of one request to the configured server; (None, b"") when nothing there speaks HTTP to us."""
    api = settings.api
    conn = http.client.HTTPConnection(api.host, api.port, timeout=_PROBE_TIMEOUT_S)
    headers = {"Content-Type": "application/json"}
    if api.token is not None:
        headers["Authorization"] = f"Bearer {api.token.get_secret_value()}"
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
