"""An OpenAI-compatible HTTP API whose answers keep their citations: ``assistant serve-api [--host] [--port]``.

Any client of the chat-completions protocol (the ``openai`` package, Open WebUI, editors) can talk to it::

    from openai import OpenAI
    client = OpenAI(base_url="http://127.0.0.1:7861/v1", api_key="unused")
    r = client.chat.completions.create(model="grounded-assistant",
                                       messages=[{"role": "user", "content": "When will Kishida visit the U.S.?"}])
    r.choices[0].message.content                  # the verified answer, with its [n] markers
    r.choices[0].message.model_extra["citations"]  # marker, source, start, end, quote (and page, page_label when known)
    r.choices[0].message.refusal                  # why the documents cannot answer; None when they can

``GET /v1/models`` lists the ids it answers to; ``POST /v1/chat/completions`` answers the last user message, the
earlier user and assistant messages being the conversation's history (system messages are ignored: the grounded
pipeline has its own). With ``"stream": true`` the verified text arrives as ``chat.completion.chunk`` deltas and the
final chunk carries ``citations`` and ``refusal``; the deltas concatenate to the non-streamed content. Errors come
back in OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, ValidationError

from assistant.client import ANSWER_PATH, FINGERPRINT_PATH, fingerprint
from assistant.errors import (
    AssistantError,
    EmptyIndexError,
    InvalidQuestionError,
    ModelNotFoundError,
    ServerUnavailableError,
    StoreUnavailableError,
)
from assistant.results import Answer, Citation, TextDelta

if TYPE_CHECKING:
    from assistant.config import Settings

log = logging.getLogger(__name__)


class StreamingAssistant(Protocol):
    """What the API needs from :class:`assistant.Assistant`."""

    def stream(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Iterator[TextDelta | Answer]:
        ...


class APIError(Exception):
    """An error response in OpenAI's shape."""

    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", param: str | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type_, param, code

    def response(self) -> JSONResponse:
        body = {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}
        return JSONResponse(body, status_code=self.status)


class _ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[_ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatRequest(BaseModel):
    """The fields of a chat-completions request we use; sampling options and the like are accepted and ignored
    (answers are greedy and verified)."""

    model_config = ConfigDict(extra="allow")
    model: str
    messages: list[_Message]
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int | None = None
    tool_choice: str | dict[str, Any] | None = None


class AnswerRequest(BaseModel):
    """``POST /v1/assistant/answer``: the whole :class:`Answer` for `assistant ask` (see :mod:`assistant.client`)."""

    model_config = ConfigDict(extra="forbid")
    question: str
    history: list[dict[str, str]] = []
    fingerprint: str


def citation_json(c: Citation) -> dict[str, Any]:
    return {"marker": c.marker, "source": c.source, "start": c.start, "end": c.end, "quote": c.quote,
            "page": getattr(c, "page", None), "page_label": getattr(c, "page_label", None)}


def _question_and_history(req: ChatRequest) -> tuple[str, list[dict[str, str]]]:
    turns = [m for m in req.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise APIError(400, "The last message (other than system messages) must be the user's question.",
                       param="messages")
    question = turns[-1].text()
    if not question.strip():
        raise APIError(400, "The user's question is empty.", param="messages")
    return question, [{"role": m.role, "content": m.text()} for m in turns[:-1]]


def _api_error(e: AssistantError) -> APIError:
    if isinstance(e, InvalidQuestionError):
        return APIError(400, str(e), param="messages", code="invalid_question")
    if isinstance(e, ServerUnavailableError | StoreUnavailableError | EmptyIndexError | ModelNotFoundError):
        return APIError(503, str(e), type_="server_error", code="service_unavailable")
    return APIError(500, str(e), type_="server_error")


def build_api(assistant: StreamingAssistant, settings: Settings, serves: str | None = None, *,
              private: bool = False) -> FastAPI:
    """The FastAPI app around ``assistant``; serve it with :func:`serve_api` or any ASGI server. ``serves``: the
    :func:`~assistant.client.fingerprint` of the settings and files the assistant was built from (taken now when
    not given), which `assistant ask` must match to be answered here. ``private``: served where only this user can
    connect (the background answer server's socket), so ``api.token`` is not asked for."""
    api = settings.api
    model_ids = list(dict.fromkeys([api.model_id, settings.ollama.chat_model]))
    token = api.token.get_secret_value() if api.token and not private else None
    max_body = api.max_body_kb * 1024
    app = FastAPI(title="Grounded assistant (OpenAI-compatible)", docs_url=None, redoc_url=None, openapi_url=None)
    serves = serves or fingerprint(settings)

    @app.exception_handler(APIError)
    async def _on_api_error(_: Request, e: APIError) -> JSONResponse:
        return e.response()

    @app.middleware("http")
    async def _auth(request: Request, call_next: Any) -> Any:
        if token is not None:
            given = request.headers.get("authorization", "")
            if not secrets.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return APIError(401, "Missing or wrong API key: send `Authorization: Bearer <ASSISTANT_API__TOKEN>`.",
                                code="invalid_api_key").response()
        return await call_next(request)

    async def read_body(request: Request) -> bytes:
        too_large = APIError(413, f"The request body is larger than {api.max_body_kb} KB "
                                  "(ASSISTANT_API__MAX_BODY_KB raises the limit).", code="request_too_large")
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_body:
            raise too_large
        body = b""
        async for part in request.stream():
            body += part
            if len(body) > max_body:
                raise too_large
        return body

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "local"}
                                           for m in model_ids]}

    @app.post("/v1/chat/completions", response_model=None)
    async def chat_completions(request: Request) -> JSONResponse | StreamingResponse:
        body = await read_body(request)
        try:
            req = ChatRequest.model_validate(json.loads(body))
        except ValueError as e:  # JSONDecodeError and ValidationError alike
            problem = e.errors()[0] if isinstance(e, ValidationError) else None
            where = ".".join(str(x) for x in problem["loc"]) if problem else None
            detail = f"{where}: {problem['msg']}" if problem else "the body is not valid JSON"
            raise APIError(400, f"Invalid request: {detail}.", param=where) from e
        if req.model not in model_ids:
            raise APIError(404, f"The model {req.model!r} does not exist; use one of {model_ids} (GET /v1/models).",
                           param="model", code="model_not_found")
        if not req.messages:
            raise APIError(400, "messages is empty: send at least one user message.", param="messages")
        if req.n not in (None, 1):
            raise APIError(400, "n must be 1: the assistant gives one verified answer per question.", param="n")
        if req.stream_options is not None and not req.stream:
            raise APIError(400, "stream_options is only allowed when stream is true.", param="stream_options")
        # Tools offered with "auto" or "none" leave the answer to the assistant, which calls none; a request that
        # demands a call cannot be met.
        if req.tool_choice not in (None, "auto", "none"):
            raise APIError(400, "tool_choice must be \"auto\" or \"none\": the assistant answers from the documents "
                           "and calls no tools.", param="tool_choice")
        question, history = _question_and_history(req)
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        from starlette.concurrency import run_in_threadpool

        if not req.stream:
            answer = await run_in_threadpool(_answer, assistant, question, history)
            return JSONResponse(_completion(answer, req.model, completion_id))
        # The first event is awaited before the response starts, so a question the assistant rejects (too long,
        # model server down) is an HTTP error with its status, not an error in the middle of a stream.
        events = assistant.stream(question, history)
        first = await run_in_threadpool(_first, events)
        usage = req.stream_options is not None and req.stream_options.include_usage
        return StreamingResponse(_sse(first, events, question, req.model, completion_id, usage),
                                 media_type="text/event-stream")

    @app.get(FINGERPRINT_PATH)
    def settings_fingerprint() -> dict[str, str]:
        return {"fingerprint": serves}

    @app.post(ANSWER_PATH)
    async def answer(request: Request) -> dict[str, Any]:
        try:
            req = AnswerRequest.model_validate_json(await read_body(request))
        except ValidationError as e:
            raise APIError(400, f"Invalid request: {e.errors()[0]['msg']}.", code="invalid_request") from e
        if req.fingerprint != serves:
            raise APIError(409, "This server runs on other settings or other code than the client; the client "
                                "answers by itself.", code="settings_differ")
        from starlette.concurrency import run_in_threadpool

        found = await run_in_threadpool(_answer, assistant, req.question, req.history)
        return found.model_dump(mode="json")

    return app


def _first(events: Iterator[TextDelta | Answer]) -> TextDelta | Answer:
    try:
        return next(events)
    except AssistantError as e:
        raise _api_error(e) from e
    except StopIteration:
        raise APIError(500, "The assistant stopped without an answer. Try again.", type_="server_error") from None


def _answer(assistant: StreamingAssistant, question: str, history: list[dict[str, str]]) -> Answer:
    try:
        for event in assistant.stream(question, history):
            if isinstance(event, Answer):
                return event
    except AssistantError as e:
        raise _api_error(e) from e
    raise APIError(500, "The assistant stopped without an answer. Try again.", type_="server_error")


def _message(answer: Answer) -> dict[str, Any]:
    return {"role": "assistant", "content": answer.text, "refusal": _refusal(answer),
            "citations": [citation_json(c) for c in answer.citations], "changed_sources": answer.changed_sources}


def _refusal(answer: Answer) -> str | None:
    return (answer.refusal_reason or "The documents do not answer this question.") if answer.refused else None


def _usage(answer: Answer) -> dict[str, int]:
    t = answer.timings
    return {"prompt_tokens": t.prompt_tokens, "completion_tokens": t.completion_tokens,
            "total_tokens": t.prompt_tokens + t.completion_tokens}


def _completion(answer: Answer, model: str, completion_id: str) -> dict[str, Any]:
    return {"id": completion_id, "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": _message(answer), "finish_reason": "stop", "logprobs": None}],
            "usage": _usage(answer)}


def _sse(first: TextDelta | Answer, events: Iterator[TextDelta | Answer], question: str, model: str,
         completion_id: str, include_usage: bool = False) -> Iterator[str]:
    """Server-sent events: a role chunk, verified text deltas, a final chunk with citations and refusal, [DONE].
    With ``stream_options.include_usage``, as OpenAI sends it: ``"usage": null`` on every chunk, then one more
    chunk with no choices and the token counts.

    A sync generator: Starlette runs it in a worker thread and stops it when the client goes away; closing
    ``events`` then closes the model's stream.
    """
    created = int(time.time())

    def chunk(delta: dict[str, Any] | None, finish: str | None = None, usage: dict[str, int] | None = None) -> str:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]
        body = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": choices, **({"usage": usage} if include_usage else {})}
        return f"data: {json.dumps(body)}\n\n"

    def error(message: str, type_: str, code: str | None = None) -> str:
        return f"data: {json.dumps({'error': {'message': message, 'type': type_, 'code': code}})}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    try:
        for event in itertools.chain([first], events):
            if isinstance(event, TextDelta):
                yield chunk({"content": event.text})
            else:
                final = {"citations": [citation_json(c) for c in event.citations], "refusal": _refusal(event),
                         "changed_sources": event.changed_sources}
                yield chunk(final, "stop")
                if include_usage:
                    yield chunk(None, usage=_usage(event))
    except AssistantError as e:
        err = _api_error(e)
        yield error(err.message, err.type, err.code)
    except Exception:
        log.exception("answering %r failed", question)
        yield error("Something went wrong while answering; the details are in the server log.", "server_error")
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()
    yield "data: [DONE]\n\n"


def serve_api(settings: Settings, assistant: StreamingAssistant | None = None, serves: str | None = None) -> None:
    """Serve the API on ``settings.api.host:port`` until SIGINT/SIGTERM (uvicorn shuts down gracefully)."""
    import uvicorn

    serves = serves or fingerprint(settings)  # before the assistant loads the code, prompts and calibration

    if assistant is None:
        from assistant.assistant import Assistant

        assistant = Assistant.from_settings(settings)
    uvicorn.run(build_api(assistant, settings, serves), host=settings.api.host, port=settings.api.port,
                log_level="warning")

