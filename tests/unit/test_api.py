"""The OpenAI-compatible API, driven by the real ``openai`` client over an in-process transport (no sockets)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import openai
import pytest
from fastapi.testclient import TestClient

from assistant.api import build_api, citation_json
from assistant.config import Settings, load_settings
from assistant.errors import ServerUnavailableError
from assistant.results import Answer, Citation, TextDelta, Timings

CITED = Citation(marker=1, passage_id="g:0", source="/docs/a.txt", start=10, end=42, quote="The visit is in April.")


class ScriptedAssistant:
    """Streams the enqueued answers in order, recording each question and history it was given."""

    def __init__(self) -> None:
        self.script: list[list[TextDelta | Answer] | Exception] = []
        self.calls: list[tuple[str, list[dict[str, Any]]]] = []

    def enqueue(self, *parts: str, refused: str = "", citations: Sequence[Citation] = ()) -> None:
        text = "".join(parts)
        answer = Answer(question="q", text=text, refused=bool(refused), refusal_reason=refused, query="q",
                        citations=list(citations), timings=Timings(prompt_tokens=120, completion_tokens=8))
        self.script.append([*(TextDelta(text=p) for p in parts), answer])

    def stream(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Iterator[TextDelta | Answer]:
        self.calls.append((question, list(history or [])))
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        yield from step


def _client(fake: ScriptedAssistant, settings: Settings | None = None, api_key: str = "unused") -> openai.OpenAI:
    app = build_api(fake, settings or load_settings())
    return openai.OpenAI(base_url="http://testserver/v1", api_key=api_key, http_client=TestClient(app),
                         max_retries=0)


def test_models_lists_the_configured_id_and_the_chat_model() -> None:
    ids = [m.id for m in _client(ScriptedAssistant()).models.list()]
    settings = load_settings()
    assert ids == [settings.api.model_id, settings.ollama.chat_model]


def test_answer_keeps_markers_and_citations_and_earlier_turns_become_history() -> None:
    fake = ScriptedAssistant()
    fake.enqueue("In April [1].", citations=[CITED])
    r = _client(fake).chat.completions.create(model="grounded-assistant", messages=[
        {"role": "system", "content": "ignored"},
        {"role": "user", "content": "When is the visit?"},
        {"role": "assistant", "content": "In April [1]."},
        {"role": "user", "content": [{"type": "text", "text": "Where?"}]},
    ])
    message = r.choices[0].message
    assert message.content == "In April [1]." and message.refusal is None
    assert message.model_extra is not None
    assert message.model_extra["citations"] == [{"marker": 1, "source": "/docs/a.txt", "start": 10, "end": 42,
                                                  "quote": "The visit is in April.", "page": None,
                                                  "page_label": None}]
    assert fake.calls == [("Where?", [{"role": "user", "content": "When is the visit?"},
                                      {"role": "assistant", "content": "In April [1]."}])]


def test_refusal_keeps_the_fixed_text_as_content_and_the_reason_in_refusal() -> None:
    fake = ScriptedAssistant()
    fake.enqueue("The documents do not say.", refused="no passage mentions the city asked for")
    message = _client(fake).chat.completions.create(
        model="grounded-assistant", messages=[{"role": "user", "content": "Which city?"}]).choices[0].message
    assert message.content == "The documents do not say."
    assert message.refusal == "no passage mentions the city asked for"


def test_streamed_text_equals_the_content_and_the_last_chunk_carries_citations() -> None:
    fake = ScriptedAssistant()
    fake.enqueue("In April [1].", " It is a state visit [1].", citations=[CITED])
    fake.enqueue("In April [1].", " It is a state visit [1].", citations=[CITED])
    client = _client(fake)
    messages: list[Any] = [{"role": "user", "content": "When?"}]
    whole = client.chat.completions.create(model="grounded-assistant", messages=messages)
    chunks = list(client.chat.completions.create(model="grounded-assistant", messages=messages, stream=True))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert streamed == whole.choices[0].message.content
    last = chunks[-1].choices[0]
    assert last.finish_reason == "stop" and last.delta.refusal is None
    assert last.delta.model_extra is not None and last.delta.model_extra["citations"][0]["quote"] == CITED.quote
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])


def test_streamed_usage_comes_as_openai_sends_it_when_asked_for() -> None:
    fake = ScriptedAssistant()
    fake.enqueue("In April [1].", citations=[CITED])
    fake.enqueue("In April [1].", citations=[CITED])
    client = _client(fake)
    messages: list[Any] = [{"role": "user", "content": "When?"}]
    plain = list(client.chat.completions.create(model="grounded-assistant", messages=messages, stream=True))
    assert all(c.usage is None and len(c.choices) == 1 for c in plain)
    chunks = list(client.chat.completions.create(model="grounded-assistant", messages=messages, stream=True,
                                                 stream_options={"include_usage": True}))
    *answer, counted = chunks
    assert counted.choices == [] and counted.usage is not None
    assert (counted.usage.prompt_tokens, counted.usage.completion_tokens, counted.usage.total_tokens) == (120, 8, 128)
    assert all(c.usage is None and len(c.choices) == 1 for c in answer)
    assert answer[-1].choices[0].finish_reason == "stop"


def test_more_than_one_choice_and_stream_options_without_a_stream_are_400s() -> None:
    client = _client(ScriptedAssistant())
    with pytest.raises(openai.BadRequestError, match="n must be 1"):
        client.chat.completions.create(model="grounded-assistant", n=2,
                                       messages=[{"role": "user", "content": "When?"}])
    with pytest.raises(openai.BadRequestError, match="only allowed when stream is true"):
        client.chat.completions.create(model="grounded-assistant", stream_options={"include_usage": True},
                                       messages=[{"role": "user", "content": "When?"}])


def test_tools_offered_are_left_uncalled_and_a_demanded_call_is_a_400() -> None:
    fake = ScriptedAssistant()
    fake.enqueue("In April [1].", citations=[CITED])
    client = _client(fake)
    tools: list[Any] = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    messages: list[Any] = [{"role": "user", "content": "When?"}]
    answered = client.chat.completions.create(model="grounded-assistant", messages=messages, tools=tools)
    assert answered.choices[0].message.content and not answered.choices[0].message.tool_calls
    for choice in ("required", {"type": "function", "function": {"name": "lookup"}}):
        with pytest.raises(openai.BadRequestError, match="calls no tools"):
            client.chat.completions.create(model="grounded-assistant", messages=messages, tools=tools,
                                           tool_choice=choice)  # type: ignore[arg-type]


def test_unknown_model_is_a_404_naming_the_listed_ids() -> None:
    with pytest.raises(openai.NotFoundError) as e:
        _client(ScriptedAssistant()).chat.completions.create(model="gpt-4o",
                                                             messages=[{"role": "user", "content": "x"}])
    assert e.value.code == "model_not_found" and "grounded-assistant" in e.value.message


@pytest.mark.parametrize("messages", [[], [{"role": "assistant", "content": "hello"}],
                                      [{"role": "user", "content": "  "}]])
def test_request_without_a_user_question_is_a_400(messages: list[Any]) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        _client(ScriptedAssistant()).chat.completions.create(model="grounded-assistant", messages=messages)
    assert e.value.param == "messages"


def test_malformed_and_oversized_bodies_get_openai_shaped_errors() -> None:
    http = TestClient(build_api(ScriptedAssistant(), load_settings(api={"max_body_kb": 1})))
    bad = http.post("/v1/chat/completions", content=b"{not json")
    assert bad.status_code == 400 and set(bad.json()["error"]) == {"message", "type", "param", "code"}
    wrong = http.post("/v1/chat/completions", json={"model": "grounded-assistant", "messages": [{"role": "x"}]})
    assert wrong.status_code == 400 and wrong.json()["error"]["param"].startswith("messages.0")
    big = http.post("/v1/chat/completions", json={"model": "grounded-assistant",
                                                  "messages": [{"role": "user", "content": "x" * 5000}]})
    assert big.status_code == 413 and big.json()["error"]["code"] == "request_too_large"


def test_model_server_down_is_a_503_streaming_or_not() -> None:
    fake = ScriptedAssistant()
    fake.script += [ServerUnavailableError("Ollama is not reachable") for _ in range(2)]
    client = _client(fake)
    for stream in (False, True):
        with pytest.raises(openai.InternalServerError) as e:
            client.chat.completions.create(model="grounded-assistant", stream=stream,
                                           messages=[{"role": "user", "content": "When?"}])
        assert e.value.status_code == 503 and "not reachable" in e.value.message


def test_bearer_token_is_required_when_set() -> None:
    fake = ScriptedAssistant()
    fake.enqueue("Yes [1].", citations=[CITED])
    settings = load_settings(api={"token": "s3cret"})
    with pytest.raises(openai.AuthenticationError):
        _client(fake, settings, api_key="wrong").models.list()
    r = _client(fake, settings, api_key="s3cret").chat.completions.create(
        model="grounded-assistant", messages=[{"role": "user", "content": "Is it?"}])
    assert r.choices[0].message.content == "Yes [1]."


def test_a_pdf_citation_gives_its_page_and_the_number_printed_on_it() -> None:
    c = Citation(marker=2, passage_id="p", source="/docs/R-intro.pdf", start=5, end=9, quote="Data", page=12,
                 page_label="6")
    assert citation_json(c) == {"marker": 2, "source": "/docs/R-intro.pdf", "start": 5, "end": 9, "quote": "Data",
                                "page": 12, "page_label": "6"}
