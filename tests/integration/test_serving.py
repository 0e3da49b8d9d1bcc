"""The real model server with the bundled models (issue: local model serving)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import ollama
import pytest

from assistant.bundled import EMBED_PACKAGE, EMBED_SUBDIR, BundledModels, package_dir
from assistant.config import Settings
from tests.reference_minilm import MiniLM


@pytest.fixture(scope="module")
def client(settings: Settings) -> ollama.Client:
    return ollama.Client(host=settings.ollama.host, timeout=120)


def test_chat_model_answers_a_short_prompt(client: ollama.Client, settings: Settings) -> None:
    r = client.chat(model=settings.ollama.chat_model, messages=[{"role": "user", "content": "What is 2 plus 2?"}],
                    options={"num_predict": 30})
    assert r.message.content.strip()
    assert "<|im_end|>" not in r.message.content  # the ChatML stop token ends the reply instead of leaking


def test_same_prompt_gives_same_text_at_temperature_zero(client: ollama.Client, settings: Settings) -> None:
    msgs = [{"role": "user", "content": "Name three colours."}]
    first = client.chat(model=settings.ollama.chat_model, messages=msgs, options={"num_predict": 40})
    second = client.chat(model=settings.ollama.chat_model, messages=msgs, options={"num_predict": 40})
    assert first.message.content == second.message.content


def test_embeddings_are_384_dim_unit_vectors_equal_to_numpy_reference(client: ollama.Client,
                                                                      settings: Settings) -> None:
    texts = ["Japan and the U.S. plan closer cooperation on AI.", "Semiconductor export controls"]
    got = np.array(client.embed(model=settings.ollama.embed_model, input=texts).embeddings)
    assert got.shape == (2, 384)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-3)
    reference = MiniLM(package_dir(EMBED_PACKAGE) / EMBED_SUBDIR)
    for text, vec in zip(texts, got, strict=True):
        assert float(vec @ reference.embed(text)) >= 0.999


def test_paraphrases_are_closer_than_an_unrelated_sentence(client: ollama.Client, settings: Settings) -> None:
    a, b, c = np.array(client.embed(model=settings.ollama.embed_model, input=[
        "The prime minister will visit the United States in April.",
        "In April the Japanese leader travels to America.",
        "Bake the bread for forty minutes at high heat.",
    ]).embeddings)
    assert a @ b > a @ c + 0.2


def test_bundled_models_are_not_recreated_when_present(settings: Settings) -> None:
    assert BundledModels(settings).ensure() == []


def test_a_model_of_another_name_is_the_users_and_never_made_from_the_bundled_weights(settings: Settings) -> None:
    # `--model llama3.2:3b` names a model the user pulled: replacing it with SmolLM2 would destroy it
    theirs = settings.model_copy(update={"ollama": settings.ollama.model_copy(update={"chat_model": "users-own:3b"})})
    models = BundledModels(theirs)
    assert models.ensure() == []
    assert models.missing() == ["users-own:3b"]
    assert BundledModels(settings).missing() == []


def _doctor(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant.cli", "doctor"], capture_output=True, text=True,
                          env=os.environ | env | {"COLUMNS": "200"}, timeout=60)


def test_doctor_reports_healthy(settings: Settings) -> None:
    done = _doctor({"ASSISTANT_OLLAMA__HOST": settings.ollama.host, "ASSISTANT_DATA_DIR": str(settings.data_dir)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "healthy" in done.stdout
    assert "v0.24.0" in done.stdout or "." in done.stdout


def test_doctor_reports_a_stopped_server_as_a_readable_problem(settings: Settings) -> None:
    # Nothing listens on port 9 (discard) on loopback: the state a stopped server leaves.
    done = _doctor({"ASSISTANT_OLLAMA__HOST": "http://127.0.0.1:9", "ASSISTANT_DATA_DIR": str(settings.data_dir)})
    assert done.returncode == 1
    assert "not reachable at http://127.0.0.1:9" in done.stdout
    assert "assistant serve-model" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("text", [
    "When will Kishida visit the U.S.? It is set for April 10, 2024.",
    "Use --with-pcre1 or edit /etc/apt/sources.list; str.removeprefix(x) returns 12345.",
    "日本語のテキストには空白がありません。",
])
def test_the_prompt_is_counted_as_the_chat_model_counts_it(client: ollama.Client, settings: Settings,
                                                            text: str) -> None:
    from assistant.chat_tokens import prompt_counter

    r = client.generate(model=settings.ollama.chat_model, prompt=text, raw=True, options={"num_predict": 1})
    assert prompt_counter(settings)(text) == r.prompt_eval_count
