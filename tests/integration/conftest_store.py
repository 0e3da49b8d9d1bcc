"""Fixtures for the store / ingest / retrieval integration tests: the real Ollama embedding model and real Chroma,
embedded (in tmp_path) and as a `chroma run` server started for the session.

A missing service fails the test with a message saying what to start; nothing is skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import PROJECT_ROOT, Settings, load_settings
from tests.net import free_port

SEED = PROJECT_ROOT / "assistant" / "seeds" / "000_9ff6f013cf416a85.txt"


@pytest.fixture(scope="session")
def ollama_embed_host() -> str:
    """The Ollama host serving the configured embedding model (fails the test when it is not there)."""
    settings = load_settings()
    host, model = settings.ollama.host, settings.ollama.embed_model
    try:
        tags = httpx.get(f"{host.rstrip('/')}/api/tags", timeout=10).json()
    except (httpx.HTTPError, ValueError) as e:
        pytest.fail(f"Ollama is not reachable at {host} ({e}); start it with `assistant serve-model` "
                    "or point ASSISTANT_OLLAMA__HOST at a server with the bundled models.")
    names = {m["name"] for m in tags.get("models", [])}
    if model not in names and f"{model}:latest" not in names:
        pytest.fail(f"Ollama at {host} lacks the embedding model '{model}' (has: {sorted(names)}); "
                    "run `assistant serve-model` to create the bundled models.")
    return host


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A `chroma run` server on a free port with its data in a temp dir; stopped at the end of the session."""
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if exe is None:
        pytest.fail("The `chroma` console script is missing; install chromadb into this environment.")
    data = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = (data / "server.log").open("w")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"`chroma run` exited with {proc.returncode}:\n{(data / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"`chroma run` did not answer on port {port} within 60 s")
            time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(params=["embedded", "http"])
def index_settings(request: pytest.FixtureRequest, tmp_path: Path, ollama_embed_host: str) -> Settings:
    """Settings for a fresh, empty index in tmp_path: embedded Chroma, or a new collection on the test server."""
    chroma: dict[str, object] = {"mode": request.param, "collection": f"test-{uuid.uuid4().hex[:12]}"}
    if request.param == "http":
        host, port = request.getfixturevalue("chroma_server")
        chroma.update(host=host, port=port)
    return load_settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", chroma=chroma)


@pytest.fixture
def settings_env() -> Callable[[Settings], dict[str, str]]:
    """Environment for a subprocess (`python -m assistant.ingest`) that uses the same index as ``settings``."""

    def env(settings: Settings) -> dict[str, str]:
        c = settings.chroma
        return {
            **os.environ,
            "ASSISTANT_DATA_DIR": str(settings.data_dir),
            "ASSISTANT_CACHE_DIR": str(settings.cache_dir),
            "ASSISTANT_OLLAMA__HOST": settings.ollama.host,
            "ASSISTANT_CHROMA__MODE": c.mode,
            "ASSISTANT_CHROMA__HOST": c.host,
            "ASSISTANT_CHROMA__PORT": str(c.port),
            "ASSISTANT_CHROMA__COLLECTION": c.collection,
            "ASSISTANT_RETRIEVAL__CHUNK_CHARS": str(settings.retrieval.chunk_chars),
            "ASSISTANT_RETRIEVAL__EMBED_BATCH_SIZE": str(settings.retrieval.embed_batch_size),
        }

    return env


@pytest.fixture
def seed_docs(tmp_path: Path) -> Path:
    """A folder holding a copy of the seed article."""
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SEED, docs / SEED.name)
    return docs
