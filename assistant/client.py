"""`assistant ask` through a running ``assistant serve-api``: the long-lived server already has LlamaIndex, Chroma,
the BM25 index and the models loaded, so a one-off question costs a small process and one HTTP request instead of
importing and opening all of that (~2 s on 2 cores).

The server answers only a client whose :func:`fingerprint` equals its own: the same answer-relevant settings (data
and index locations, models, retrieval and answer options; not the UI's or the API's own host and port) and the same
code on disk. Anything else (no server, other settings, other code, a token the client lacks) and the question is
answered in the asking process, as before. ``assistant ask --local`` always answers in-process.

Imports stay light on purpose (the standard library, settings and the Answer model): this path exists to skip the
heavy ones.
"""

from __future__ import annotations

import hashlib
import http.client
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import InvalidQuestionError

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.results import Answer

ANSWER_PATH = "/v1/assistant/answer"
_CONNECT_TIMEOUT_S = 1.0  # a local server that does not accept within a second is not one to wait for
_PACKAGE = Path(__file__).resolve().parent
_NOT_ANSWER_RELEVANT = {"ui", "api", "eval"}


def fingerprint(settings: Settings) -> str:
    """What a server and a client must share for the server's answer to be the one the client would give."""
    relevant = _resolved(settings.model_dump(exclude=_NOT_ANSWER_RELEVANT))
    stamp = json.dumps({"settings": relevant, "code": code_stamp()}, sort_keys=True, default=str)
    return hashlib.sha256(stamp.encode()).hexdigest()


def code_stamp() -> list[tuple[str, int, int]]:
    """Every file of the package (code, prompts, calibration, Modelfiles) by path, size and modification time: a
    server started before the code changed answers with the code it loaded."""
    return sorted((str(p.relative_to(_PACKAGE)), (st := p.stat()).st_size, st.st_mtime_ns)
                  for p in _PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _resolved(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _resolved(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value.expanduser().resolve())
    return value


def server_url(settings: Settings) -> str:
    return f"http://{settings.api.host}:{settings.api.port}"


def server_answer(settings: Settings, question: str, history: Sequence[dict[str, Any]] | None = None) -> Answer | None:
    """The running server's answer; None when no server of these settings and this code answers (the caller then
    answers by itself). A question the server rejects (empty, too long) raises :class:`InvalidQuestionError`, as
    answering in-process would."""
    from assistant.results import Answer

    api = settings.api
    conn = http.client.HTTPConnection(api.host, api.port, timeout=_CONNECT_TIMEOUT_S)
    try:
        conn.connect()
        if conn.sock is not None:
            conn.sock.settimeout(settings.ollama.request_timeout_s + 30)
        body = json.dumps({"question": question, "history": list(history or []),
                           "fingerprint": fingerprint(settings)})
        headers = {"Content-Type": "application/json"}
        if api.token is not None:
            headers["Authorization"] = f"Bearer {api.token.get_secret_value()}"
        conn.request("POST", ANSWER_PATH, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
    except OSError:  # refused, timed out, reset: no server to use
        return None
    finally:
        conn.close()
    error = _error(data) if response.status != 200 else {}
    if error.get("code") == "invalid_question":
        raise InvalidQuestionError(str(error.get("message")))
    # 409: other settings or code; 401: a token this client lacks; 404: a server without this route, or not ours
    return Answer.model_validate_json(data) if response.status == 200 else None


def _error(data: bytes) -> dict[str, Any]:
    """The ``error`` object of an OpenAI-shaped error body; empty for any other body (a server not ours)."""
    try:
        error = json.loads(data)["error"]
    except (ValueError, KeyError, TypeError):
        return {}
    return error if isinstance(error, dict) else {}
