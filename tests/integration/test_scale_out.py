"""Scale-out by configuration: several processes ingesting and answering against one `chroma run` server, with
Ollama reached at another address (a small TCP proxy on its own port stands in for a model server on another
host: every request it forwards proves the configured address is the one used)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from assistant.config import Settings, load_settings
from assistant.manifest import lexical_path, manifest_path, read_manifest
from assistant.retrieval import Retriever
from assistant.store import ChunkStore

pytestmark = pytest.mark.integration


class Proxy:
    """Forwards every TCP connection on its port to ``upstream``; counts the connections it served."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.connections = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            server = socket.create_connection(self.upstream)
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def ollama_proxy(ollama_embed_host: str) -> Iterator[Proxy]:
    url = urlparse(ollama_embed_host)
    proxy = Proxy((url.hostname or "127.0.0.1", url.port or 11434))
    yield proxy
    proxy.close()


@pytest.fixture
def shared(tmp_path: Path, chroma_server: tuple[str, int], ollama_proxy: Proxy) -> Settings:
    """One `chroma run` server and one shared manifest; Ollama only through the proxy's address."""
    host, port = chroma_server
    return load_settings(
        data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
        ollama={"host": f"http://127.0.0.1:{ollama_proxy.port}"},
        chroma={"mode": "http", "host": host, "port": port, "collection": f"team-{uuid.uuid4().hex[:12]}",
                "manifest_path": tmp_path / "shared" / "manifest.json"},
    )


def env_for(settings: Settings, data_dir: Path) -> dict[str, str]:
    """A process on its own data directory that shares only the server, the manifest and the model server."""
    c = settings.chroma
    return {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_CACHE_DIR": str(settings.cache_dir),
            "ASSISTANT_OLLAMA__HOST": settings.ollama.host, "ASSISTANT_CHROMA__MODE": "http",
            "ASSISTANT_CHROMA__HOST": c.host, "ASSISTANT_CHROMA__PORT": str(c.port),
            "ASSISTANT_CHROMA__COLLECTION": c.collection, "ASSISTANT_CHROMA__MANIFEST_PATH": str(c.manifest_path),
            "ASSISTANT_OLLAMA__MANAGE": "false"}


def test_processes_ingest_and_answer_against_one_chroma_server_and_a_remote_ollama(
    shared: Settings, ollama_proxy: Proxy, seed_docs: Path, tmp_path: Path
) -> None:
    folders = {"seed": seed_docs}
    for name, text in {
        "bread": "Sourdough bread needs a lively starter. Bake it at 240 degrees for forty minutes.",
        "garden": "The garden hose is stored in the blue shed. Water the tomatoes every morning in July.",
    }.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / f"{name}.txt").write_text(text)
        folders[name] = folder
    ingests = [
        subprocess.Popen([sys.executable, "-m", "assistant.ingest", str(folder)],
                         env=env_for(shared, tmp_path / f"node-{name}"), stderr=subprocess.PIPE, text=True)
        for name, folder in folders.items()
    ]
    for proc in ingests:
        _, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr
        assert "1 added" in stderr
    assert ollama_proxy.connections > 0  # the embeddings went to the configured address

    manifest = read_manifest(manifest_path(shared))
    assert len(manifest.documents) == 3 and not manifest.dirty
    assert ChunkStore.open(shared).count() == manifest.total_chunks == 8
    lexical = lexical_path(manifest_path(shared))
    assert lexical.exists()

    exe = Path(sys.executable).parent / "assistant"
    questions = ["When will Kishida visit the U.S.?", "Where is the garden hose stored?"]
    before = ollama_proxy.connections
    asks = [
        subprocess.Popen([str(exe), "ask", "--json", q], env=env_for(shared, tmp_path / f"reader-{i}"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i, q in enumerate(questions)
    ]
    answers = []
    for proc in asks:
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr
        answers.append(json.loads(stdout))
    assert ollama_proxy.connections > before  # questions were embedded and answered through the proxy too
    kishida, hose = answers
    assert not kishida["refused"] and "April 10" in kishida["text"]
    assert all(c["source"] == str(seed_docs / "000_9ff6f013cf416a85.txt") for c in kishida["citations"])
    assert kishida["citations"]
    assert not hose["refused"] and "blue shed" in hose["text"]
    assert {p["source"] for p in hose["passages"]} >= {str(folders["garden"] / "garden.txt")}

    # With the lexical index file gone, a process rebuilds it from the shared collection (and saves it).
    lexical.unlink()
    retriever = Retriever.from_settings(shared)
    assert "blue shed" in retriever.retrieve("garden hose", k=1)[0].text
    assert lexical.exists()
