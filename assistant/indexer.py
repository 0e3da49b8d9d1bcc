"""The writing half of ingest: load the planned documents, embed their chunks in batches, store them, commit.

Order of writes (what makes replacement atomic and kill -9 safe, see :mod:`assistant.manifest`):

1. mark the manifest ``dirty``;
2. embed and store chunks under each document's new generation — invisible to queries (the store is written
   on a background thread while the next batch is embedded);
3. every second or so, and at the end, commit the documents whose chunks are all stored (one manifest replace);
4. delete every chunk whose generation the manifest does not name, then clear ``dirty``.

Only :func:`assistant.ingest.run_ingest` calls this; it is a separate module so that ingest on unchanged files never
imports Chroma, LlamaIndex or Ollama.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.chunking import CHUNKER_VERSION, Chunk, chunk_text
from assistant.config import Settings
from assistant.documents import content_hash, document_title, extract_from_bytes, kind_of
from assistant.embeddings import Embedder
from assistant.errors import IngestError
from assistant.ingest_types import FileIssue, Plan, WorkItem
from assistant.manifest import DocEntry, Manifest, generation_tag, index_fingerprint, write_manifest
from assistant.store import ChunkRecord, ChunkStore

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

COMMIT_EVERY_S = 1.0


@dataclass
class WriteResult:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    failed: list[FileIssue] = field(default_factory=list)
    notes: list[FileIssue] = field(default_factory=list)
    chunks: int = 0


@dataclass
class _Pending:
    item: WorkItem
    entry: DocEntry
    remaining: int


class _Writer:
    """Batches chunks across documents into embedding requests, stores them, commits finished documents.

    Chroma work (opening the store, writing a batch) runs on one background thread while the next batch is being
    embedded, so the embedding model — the bottleneck — never waits for the store.
    """

    def __init__(self, settings: Settings, embedder: Embedder, manifest: Manifest, path: Path, pruned: list[str],
                 fingerprint: str, progress: _Bar, result: WriteResult) -> None:
        import chromadb  # noqa: F401 - import here, not concurrently in the writer thread

        self.embedder, self.path, self.progress = embedder, path, progress
        self.manifest = manifest
        self.fingerprint = fingerprint
        self.docs = {s: e for s, e in manifest.documents.items() if s not in set(pruned)}
        self.uncommitted_prune = bool(pruned)
        self.batch: list[tuple[_Pending, Chunk]] = []
        self.writing: tuple[Future[None], list[tuple[_Pending, Chunk]]] | None = None
        self.ready: list[_Pending] = []
        self.result = result
        self.last_commit = time.monotonic()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chroma-writer")
        # The writer thread's first task, so it precedes every chunk write; the main thread writes the manifest
        # only after a chunk write has settled, hence after this.
        self.store_future: Future[ChunkStore] = self.pool.submit(self._open_and_mark_dirty, settings)

    @property
    def store(self) -> ChunkStore:
        return self.store_future.result()

    def _open_and_mark_dirty(self, settings: Settings) -> ChunkStore:
        store = ChunkStore.open(settings)  # an unreachable store fails before the manifest is touched
        self._write(self.manifest.documents, dirty=True)
        return store

    def add(self, pending: _Pending, chunks: list[Chunk]) -> None:
        for chunk in chunks:
            self.batch.append((pending, chunk))
            if len(self.batch) >= self.embedder.batch_size:
                self.flush()

    def flush(self) -> None:
        """Embed the current batch, then hand it to the writer thread (after the previous write has finished)."""
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        vectors = self.embedder.embed_passages([c.text for _, c in batch])
        records = [
            ChunkRecord(
                id=f"{p.entry.generation}:{c.index}", text=c.text, embedding=v, source=p.item.source,
                title=p.entry.title, start=c.start, end=c.end, chunk_index=c.index, doc_hash=p.entry.hash,
                generation=p.entry.generation,
            )
            for (p, c), v in zip(batch, vectors, strict=True)
        ]
        self.settle()
        self.writing = (self.pool.submit(lambda: self.store.add(records)), batch)

    def settle(self) -> None:
        """Wait for the write in flight (re-raising its error) and account for its chunks."""
        if self.writing is None:
            return
        future, batch = self.writing
        self.writing = None
        future.result()
        self.result.chunks += len(batch)
        self.progress.chunks(len(batch))
        for p, _ in batch:
            p.remaining -= 1
            if p.remaining == 0:
                self.ready.append(p)
                self.progress.file_done()
        if time.monotonic() - self.last_commit >= COMMIT_EVERY_S:
            self.commit()

    def commit(self) -> None:
        """Make the documents whose chunks are all stored live, in one manifest replace."""
        if not self.ready and not self.uncommitted_prune:
            return
        for p in self.ready:
            self.docs[p.item.source] = p.entry
            (self.result.replaced if p.item.replaces else self.result.added).append(p.item.source)
        self.ready = []
        self.uncommitted_prune = False
        self._write(self.docs, dirty=True)
        self.last_commit = time.monotonic()

    def finish(self, completed: bool) -> None:
        """Commit what is fully stored (also after an error: those documents are whole); clean up when completed."""
        try:
            if completed:
                self.flush()
            self.settle()
        finally:
            self.pool.shutdown(wait=True)
            if self.store_future.exception() is None:  # without a store nothing was written, nothing to commit
                self.commit()
        if completed:
            self.store.delete_except(e.generation for e in self.docs.values())
            self._write(self.docs, dirty=False)

    def _write(self, docs: object, dirty: bool) -> None:
        self.manifest = self.manifest.with_documents(docs, fingerprint=self.fingerprint, dirty=dirty)  # type: ignore[arg-type]
        write_manifest(self.path, self.manifest)


def load(item: WorkItem, settings: Settings, fingerprint: str) -> tuple[DocEntry, list[Chunk], str]:
    """(manifest entry, chunks, note) for one file. Raises IngestError when it cannot be indexed."""
    try:
        data = item.path.read_bytes()
    except OSError as e:
        raise IngestError(f"cannot read it: {e.strerror or e}") from e
    text = extract_from_bytes(item.path, data)
    chunks = chunk_text(text, settings.retrieval.chunk_chars)
    digest = content_hash(data)
    note = ""
    if kind_of(item.path) in ("text", "markdown") and data[:2] not in (b"\xff\xfe", b"\xfe\xff") and not _is_utf8(data):
        note = "not valid UTF-8; decoded as Windows-1252"
    entry = DocEntry(digest, generation_tag(item.source, digest, fingerprint), len(chunks),
                     document_title(item.path, data, text))
    return entry, chunks, note


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def write_plan(plan: Plan, manifest: Manifest, path: Path, settings: Settings, console: Console | None) -> WriteResult:
    """Carry out ``plan`` against the index. See the module docstring for the order of writes.

    The index is opened only once a document has loaded (or a prune or clean-up is due): when every file fails,
    the index is not touched at all.
    """
    fingerprint = index_fingerprint(settings, CHUNKER_VERSION)
    result = WriteResult()
    writer: _Writer | None = None
    with _Bar(console, len(plan.work)) as bar:

        def start() -> _Writer:
            return _Writer(settings, Embedder.from_settings(settings), manifest, path, plan.pruned, fingerprint, bar,
                           result)

        completed = False
        try:
            for item in plan.work:
                try:
                    entry, chunks, note = load(item, settings, fingerprint)
                except IngestError as e:
                    result.failed.append(FileIssue(item.source, str(e)))
                    bar.file_done()
                    continue
                if note:
                    result.notes.append(FileIssue(item.source, note))
                writer = writer or start()
                writer.add(_Pending(item, entry, len(chunks)), chunks)
            if writer is None and (plan.pruned or manifest.dirty):
                writer = start()
            completed = True
        finally:
            if writer is not None:
                writer.finish(completed)
    return result


class _Bar:
    """A rich progress bar over files, with a running chunk count; silent without a console."""

    def __init__(self, console: Console | None, files: int) -> None:
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.count = 0
        if console is not None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("Indexing"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
                TextColumn("{task.fields[chunks]} chunks"), TimeElapsedColumn(), console=console,
            )
            self.task = self.progress.add_task("ingest", total=files, chunks=0)

    def __enter__(self) -> _Bar:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def chunks(self, n: int) -> None:
        self.count += n
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, chunks=self.count)

    def file_done(self) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task)
