"""The ingest command as a process: exit codes, messages, other processes' view, and kill -9 in the middle.

Runs ``python -m assistant.ingest`` (the function behind ``assistant ingest``) against real Ollama and Chroma.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from assistant.manifest import manifest_path, read_manifest
from assistant.retrieval import Retriever
from assistant.store import ChunkStore

pytestmark = pytest.mark.integration

Env = Callable[[Settings], dict[str, str]]


def run_cli(settings: Settings, env: Env, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant.ingest", *args], env=env(settings), capture_output=True,
                          text=True, timeout=timeout)


def test_exit_codes_and_messages(index_settings: Settings, settings_env: Env, seed_docs: Path) -> None:
    first = run_cli(index_settings, settings_env, str(seed_docs))
    assert first.returncode == 0, first.stderr
    assert "1 added, 0 unchanged, 0 replaced, 0 pruned, 0 failed — 6 passages" in first.stderr
    again = run_cli(index_settings, settings_env, str(seed_docs))
    assert again.returncode == 0 and "0 added, 1 unchanged" in again.stderr
    (seed_docs / "empty.md").write_bytes(b"")
    bad = run_cli(index_settings, settings_env, str(seed_docs), str(seed_docs / "nope.pdf"))
    assert bad.returncode == 1
    assert "empty.md: empty file" in bad.stderr and "nope.pdf: no such file" in bad.stderr
    assert "1 unchanged" in bad.stderr and "2 failed" in bad.stderr


def test_documents_lists_the_index_and_remove_drops_files_and_folders(index_settings: Settings, settings_env: Env,
                                                                     seed_docs: Path) -> None:
    def assistant(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "assistant.cli", *args], env=settings_env(index_settings),
                              capture_output=True, text=True, timeout=600)

    (seed_docs / "sub").mkdir()
    (seed_docs / "sub" / "bread.md").write_text("# Bread\n\nSourdough needs a lively starter.\n")
    (seed_docs / "sub" / "bread-copy.md").write_text("# Bread\n\nSourdough needs a lively starter.\n")
    assert run_cli(index_settings, settings_env, str(seed_docs)).returncode == 0
    listed = assistant("documents")
    assert listed.returncode == 0 and "3 documents, 7 passages" in listed.stdout  # the copy's passage counts once
    assert str(seed_docs / "sub" / "bread.md") in listed.stdout and "Bread" in listed.stdout
    assert f"same content as {seed_docs / 'sub' / 'bread-copy.md'}" in listed.stdout

    removed = assistant("remove", str(seed_docs / "sub"), str(seed_docs / "nope.txt"))
    assert removed.returncode == 1, removed.stderr
    assert f"removed {seed_docs / 'sub' / 'bread.md'}" in removed.stderr
    assert "nope.txt: not in the index" in removed.stderr and "2 removed, 1 not in the index" in removed.stderr
    assert (seed_docs / "sub" / "bread.md").exists()
    assert "1 document, 6 passages" in assistant("documents").stdout
    assert Retriever.from_settings(index_settings).count() == 6


def test_unreachable_chroma_exits_2_with_a_hint(index_settings: Settings, settings_env: Env, seed_docs: Path) -> None:
    c = index_settings.chroma
    broken = index_settings.model_copy(update={"chroma": c.model_copy(update={"mode": "http", "port": 9})})
    out = run_cli(broken, settings_env, str(seed_docs))
    assert out.returncode == 2
    assert "Chroma server at http://127.0.0.1:9" in out.stderr and "chroma run" in out.stderr


def test_a_running_retriever_sees_another_process_replace_a_document(
    index_settings: Settings, settings_env: Env, seed_docs: Path
) -> None:
    doc = seed_docs / "code.txt"
    doc.write_text("The door code of the office is 4711. Do not share it with visitors.")
    assert run_cli(index_settings, settings_env, str(seed_docs)).returncode == 0
    retriever = Retriever.from_settings(index_settings)
    assert "4711" in retriever.retrieve("What is the door code of the office?", k=1)[0].text
    doc.write_text("The door code of the office is 9382. Do not share it with visitors.")
    assert run_cli(index_settings, settings_env, str(seed_docs)).returncode == 0
    texts = [p.text for p in retriever.retrieve("What is the door code of the office?", k=7)]
    assert any("9382" in t for t in texts) and not any("4711" in t for t in texts)


def _store_writes(settings: Settings) -> Callable[[], object]:
    """A cheap probe whose value changes when the ingest subprocess writes chunks (never opens the index itself)."""
    if settings.chroma.mode == "http":
        base = f"http://{settings.chroma.host}:{settings.chroma.port}/api/v2/tenants/default_tenant/databases/"
        url = f"{base}default_database/collections"

        def http_count() -> object:
            for col in httpx.get(url, timeout=5).json():
                if col["name"] == settings.chroma.collection:
                    return httpx.get(f"{url}/{col['id']}/count", timeout=5).json()
            return None

        return http_count
    db = f"file:{settings.chroma_path / 'chroma.sqlite3'}?mode=ro"

    def logged_writes() -> object:  # Chroma's write-ahead log, read-only: the subprocess keeps sole write access
        with contextlib.closing(sqlite3.connect(db, uri=True, timeout=30)) as con:
            return con.execute("SELECT count(*), max(seq_id) FROM embeddings_queue").fetchone()

    return logged_writes


def test_kill_9_mid_ingest_keeps_the_old_index_and_the_next_run_recovers(
    index_settings: Settings, settings_env: Env, seed_docs: Path
) -> None:
    settings = index_settings.model_copy(
        update={"retrieval": index_settings.retrieval.model_copy(update={"chunk_chars": 200, "embed_batch_size": 8})}
    )
    big = seed_docs / "handbook.txt"
    big.write_text("The secret launch code is ALPHA-ONE.\n")
    assert run_cli(settings, settings_env, str(seed_docs)).returncode == 0
    old_total = read_manifest(manifest_path(settings)).total_chunks
    filler = [f"Section {i} of the handbook covers storage rule number {i} for the warehouse in detail."
              for i in range(150)]
    big.write_text("The secret launch code is OMEGA-TWO.\n\n" + "\n\n".join(filler))

    probe = _store_writes(settings)
    proc = subprocess.Popen([sys.executable, "-m", "assistant.ingest", str(seed_docs)], env=settings_env(settings),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300

    def wait_for(condition: Callable[[], bool], what: str) -> None:
        while not condition():
            assert proc.poll() is None, f"ingest ended before {what}: {proc.stderr.read() if proc.stderr else ''}"
            assert time.monotonic() < deadline, f"ingest did not get to {what} within 300 s"
            time.sleep(0.02)

    wait_for(lambda: read_manifest(manifest_path(settings)).dirty, "marking the manifest dirty")
    before = probe()  # from here on, store writes are chunks of the new version
    wait_for(lambda: probe() != before, "writing chunks")
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL

    manifest = read_manifest(manifest_path(settings))
    assert manifest.dirty and manifest.total_chunks == old_total  # nothing of the new version committed
    assert ChunkStore.open(settings).count() > old_total  # ...though some of its chunks were written
    retriever = Retriever.from_settings(settings)
    texts = [p.text for p in retriever.retrieve("What is the secret launch code?", k=8)]
    assert any("ALPHA-ONE" in t for t in texts)
    assert not any("OMEGA-TWO" in t or "storage rule" in t for t in texts)

    rerun = run_cli(settings, settings_env, str(seed_docs))
    assert rerun.returncode == 0 and "1 replaced" in rerun.stderr, rerun.stderr
    manifest = read_manifest(manifest_path(settings))
    assert not manifest.dirty
    assert ChunkStore.open(settings).count() == manifest.total_chunks  # orphans cleaned up
    texts = [p.text for p in retriever.retrieve("What is the secret launch code?", k=8)]
    assert any("OMEGA-TWO" in t for t in texts) and not any("ALPHA-ONE" in t for t in texts)


def test_a_process_that_ingested_itself_still_sees_later_ingests_by_others(
    index_settings: Settings, settings_env: Env, seed_docs: Path
) -> None:
    """As `serve-api` or `ui` do on a fresh index: ingest the seed in-process, answer, then another process adds."""
    from assistant.ingest import run_ingest

    assert run_ingest([seed_docs], index_settings, prune=False, console=None).ok
    retriever = Retriever.from_settings(index_settings)
    assert retriever.retrieve("When will Kishida visit the U.S.?", k=1)
    (seed_docs / "okapi.txt").write_text("The okapi lives in the rainforests of the Congo.")
    assert run_cli(index_settings, settings_env, str(seed_docs)).returncode == 0
    assert "okapi" in retriever.retrieve("Where does the okapi live?", k=1)[0].text
