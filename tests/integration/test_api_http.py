"""`assistant serve-api` over real HTTP with the real Assistant: the openai client gets what Assistant.ask gives."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest
import uvicorn

from assistant import Assistant
from assistant.api import build_api, citation_json
from assistant.config import Settings
from tests.net import free_port

QUESTION = "When will Kishida visit the U.S.?"


@pytest.fixture(scope="module")
def client(assistant: Assistant, settings: Settings) -> Iterator[openai.OpenAI]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_api(assistant, settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the API server did not start"
        time.sleep(0.05)
    yield openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", max_retries=0, timeout=300)
    server.should_exit = True
    thread.join(timeout=30)


def test_answer_and_citations_equal_assistant_ask(client: openai.OpenAI, assistant: Assistant) -> None:
    expected = assistant.ask(QUESTION)
    message = client.chat.completions.create(model="grounded-assistant",
                                             messages=[{"role": "user", "content": QUESTION}]).choices[0].message
    assert not expected.refused and expected.citations
    assert message.content == expected.text
    assert message.refusal is None
    assert message.model_extra is not None
    assert message.model_extra["citations"] == [citation_json(c) for c in expected.citations]


def test_streamed_text_equals_the_non_streamed_content(client: openai.OpenAI) -> None:
    messages: list[Any] = [{"role": "user", "content": "Which companies are expected to take part in the joint AI "
                                                       "research?"}]
    whole = client.chat.completions.create(model="grounded-assistant", messages=messages).choices[0].message
    chunks = list(client.chat.completions.create(model="grounded-assistant", messages=messages, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole.content
    last = chunks[-1].choices[0].delta
    assert last.model_extra is not None and whole.model_extra is not None
    assert last.model_extra["citations"] == whole.model_extra["citations"] != []


def test_refusal_reason_is_in_refusal_and_the_fixed_text_in_content(client: openai.OpenAI,
                                                                     assistant: Assistant) -> None:
    expected = assistant.ask("What is the capital of France?")
    message = client.chat.completions.create(
        model="grounded-assistant", messages=[{"role": "user", "content": "What is the capital of France?"}]
    ).choices[0].message
    assert expected.refused
    assert message.content == expected.text and message.refusal == expected.refusal_reason
    assert message.model_extra is not None and message.model_extra["citations"] == []


def test_earlier_turns_are_the_history_of_a_follow_up(client: openai.OpenAI, assistant: Assistant) -> None:
    first = assistant.ask(QUESTION)
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": first.text}]
    expected = assistant.ask("And which companies are involved?", history=history)
    message = client.chat.completions.create(
        model="smollm2-135m-grounded" if assistant.settings.ollama.chat_model == "smollm2-135m-grounded"
        else "grounded-assistant",
        messages=[*history, {"role": "user", "content": "And which companies are involved?"}],  # type: ignore[list-item]
    ).choices[0].message
    assert message.content == expected.text


def _ask_cli(settings: Settings, port: int | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"ASSISTANT_DATA_DIR": str(settings.data_dir), "ASSISTANT_OLLAMA__HOST": settings.ollama.host,
                        "ASSISTANT_API__PORT": str(port)}
    return subprocess.run([sys.executable, "-m", "assistant.cli", "ask", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_ask_command_is_answered_by_the_running_server_of_its_settings(client: openai.OpenAI,
                                                                        settings: Settings) -> None:
    port = client.base_url.port
    served = _ask_cli(settings, port, QUESTION)
    assert served.returncode == 0, served.stderr
    assert f"answered by the assistant server at http://127.0.0.1:{port}" in served.stderr
    local = _ask_cli(settings, port, "--local", QUESTION)
    assert local.returncode == 0, local.stderr
    assert "answered by" not in local.stderr
    assert served.stdout == local.stdout and "[1]" in served.stdout
    # other settings than the server's: this process answers (and here fails, naming the model it was asked for)
    other = _ask_cli(settings, port, "--model", "no-such-model", QUESTION)
    assert other.returncode == 2 and "no-such-model" in other.stderr
    assert "runs other settings or other code; not asking it" in other.stderr
    empty = _ask_cli(settings, port, "  ")
    assert empty.returncode == 2 and "empty" in empty.stderr and "Traceback" not in empty.stderr


def test_ask_command_answers_by_itself_when_another_program_holds_the_port(settings: Settings) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def babble() -> None:  # a program that is not HTTP: a banner, then it hangs up
            with contextlib.suppress(OSError):
                while True:
                    conn, _ = listener.accept()
                    with conn:
                        conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

        threading.Thread(target=babble, daemon=True).start()
        done = _ask_cli(settings, listener.getsockname()[1], QUESTION)
    assert done.returncode == 0, done.stderr
    assert "[1]" in done.stdout and "answered by" not in done.stderr and "Traceback" not in done.stderr
