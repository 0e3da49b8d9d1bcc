"""The writing half of ingest: load the planned documents, embed their chunks in batches, store them, commit.

Order of writes (what makes replacement atomic and kill -9 safe, see :mod:`assistant.manifest`):

1. mark the manifest ``dirty``;
2. embed and store chunks under each document's new generation — invisible to queries (the store is written
   on a background thread while the next batch is embedded);
3. every second or so, and at the end, commit the documents whose chunks are all stored (one manifest replace);
4. delete every chunk whose generation the manifest does not name, rebuild the lexical index over the live chunks
   (hybrid retrieval, see :mod:`assistant.lexical`), then clear ``dirty``.

A file whose content is already indexed (under another path, or earlier in this run) is not embedded again: its
path becomes another location of the same generation (see :mod:`assistant.manifest`), committed once that
generation's chunks are stored.

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
from assistant.documents import content_hash, document_title, extract_document, kind_of
from assistant.embeddings import Embedder
from assistant.errors import IngestError, InputRejectedError
from assistant.ingest_types import FileIssue, Plan, WorkItem
from assistant.manifest import (
    DocEntry,
    Manifest,
    generation_tag,
    index_fingerprint,
    lexical_path,
    write_manifest,
)
from assistant.results import page_name
from assistant.store import ChunkRecord, ChunkStore
from assistant.tokens import TokenCounter, token_counter

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

COMMIT_EVERY_S = 1.0
LOG_EVERY_S = 5.0  # progress lines when the console is not a terminal (a log file, CI)


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
    followers: list[_Pending] = field(default_factory=list)  # other paths with the same content, committed with it
    failed: bool = False  # a chunk was refused by the embedding model: the document is never committed


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
        self.settings = settings
        self.inflight: dict[str, _Pending] = {}  # generation -> the document whose chunks are being stored
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

    def known(self, generation: str) -> DocEntry | None:
        """The entry of a stored or in-flight document with this generation (identical content), if any."""
        if generation in self.inflight:
            return self.inflight[generation].entry
        return next((e for e in self.docs.values() if e.generation == generation), None)

    def add_location(self, item: WorkItem, generation: str) -> str:
        """Record ``item`` as another path of stored (or in-flight) content, without embedding it again; returns
        the path that holds the content."""
        primary = self.inflight.get(generation)
        if primary is not None:
            primary.followers.append(_Pending(item, primary.entry, 0))
            return primary.item.source
        source, entry = next((s, e) for s, e in sorted(self.docs.items()) if e.generation == generation)
        self.ready.append(_Pending(item, entry, 0))
        return source

    def add(self, pending: _Pending, chunks: list[Chunk]) -> None:
        self.inflight[pending.entry.generation] = pending
        for chunk in chunks:
            self.batch.append((pending, chunk))
            if len(self.batch) >= self.embedder.batch_size:
                self.flush()

    def flush(self) -> None:
        """Embed the current batch, then hand it to the writer thread (after the previous write has finished)."""
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        batch = [(p, c) for p, c in batch if not p.failed]
        try:
            vectors: list[list[float] | None] = list(self.embedder.embed_passages([c.text for _, c in batch]))
        except InputRejectedError:
            vectors = [self._embed_one(p, c) for p, c in batch]  # find the refused chunk; the others go on
        kept = [(p, c, v) for (p, c), v in zip(batch, vectors, strict=True) if v is not None and not p.failed]
        batch = [(p, c) for p, c, _ in kept]
        records = [
            ChunkRecord(
                id=f"{p.entry.generation}:{c.index}", text=c.text, embedding=v, source=p.item.source,
                title=p.entry.title, start=c.start, end=c.end, chunk_index=c.index, doc_hash=p.entry.hash,
                generation=p.entry.generation, page=c.page, page_label=c.page_label,
            )
            for p, c, v in kept
        ]
        self.settle()
        self.writing = (self.pool.submit(lambda: self.store.add(records)), batch)

    def _embed_one(self, pending: _Pending, chunk: Chunk) -> list[float] | None:
        """The chunk's embedding, or None when the model refuses it (its document is then failed, with the reason)."""
        if pending.failed:
            return None
        try:
            return self.embedder.embed_passages([chunk.text])[0]
        except InputRejectedError as e:
            pending.failed = True
            where = f"{page_name(chunk.page, chunk.page_label)}, " if chunk.page is not None else ""
            self.result.failed.append(FileIssue(
                pending.item.source,
                f"passage {chunk.index + 1} ({where}characters {chunk.start}-{chunk.end}) was refused by the "
                f"embedding model: {e}",
            ))
            self.progress.file_done()
            return None

    def settle(self) -> None:
        """Wait for the write in flight (re-raising its error) and account for its chunks."""
        if self.writing is None:
            return
        future, batch = self.writing
        self.writing = None
        future.result()
        self.result.chunks += len(batch)
        for p, _ in batch:
            p.remaining -= 1
            if p.remaining == 0 and not p.failed:
                self.inflight.pop(p.entry.generation, None)
                self.ready.append(p)
                self.ready.extend(p.followers)
                self.progress.file_done()
        last = batch[-1][0] if batch else None
        if last is not None and last.remaining:
            self.progress.chunks(len(batch), Path(last.item.source).name, last.remaining)
        else:
            self.progress.chunks(len(batch))
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
        try:
            if completed:
                self.store.delete_except(e.generation for e in self.docs.values())
                if self.settings.retrieval.mode == "hybrid":
                    from assistant.lexical import rebuild

                    rebuild(self.store, self.manifest.with_documents(self.docs), lexical_path(self.path))
                self._write(self.docs, dirty=False)
        finally:
            if self.store_future.exception() is None:
                # Embedded Chroma shares one system per folder within a process, kept while any client is open: a
                # client left open would keep a retriever of this process on this ingest's view, blind to later
                # ingests by other processes.
                self.store.close()

    def _write(self, docs: object, dirty: bool) -> None:
        self.manifest = self.manifest.with_documents(docs, fingerprint=self.fingerprint, dirty=dirty)  # type: ignore[arg-type]
        write_manifest(self.path, self.manifest)


def read(item: WorkItem) -> tuple[bytes, str]:
    """The file's bytes and their content hash, read once for the hash and the text. Raises IngestError when
    unreadable."""
    try:
        data = item.path.read_bytes()
    except OSError as e:
        raise IngestError(f"cannot read it: {e.strerror or e}") from e
    return data, content_hash(data)


def load(item: WorkItem, data: bytes, digest: str, settings: Settings, fingerprint: str,
         counter: TokenCounter) -> tuple[DocEntry, list[Chunk], str]:
    """(manifest entry, chunks, note) for one file's bytes and their content hash (see :func:`read`). Raises
    IngestError when it cannot be indexed."""
    try:
        doc = extract_document(item.path, data)
    except IngestError:
        raise
    except Exception as e:  # a parser's unexpected failure on one file must not stop the others
        raise IngestError(f"cannot extract its text ({type(e).__name__}: {e})") from e
    text = doc.text
    chunks = chunk_text(text, settings.retrieval.chunk_chars, counter, doc.page_starts, doc.page_labels)
    notes = list(doc.warnings)
    if kind_of(item.path) in ("text", "markdown") and data[:2] not in (b"\xff\xfe", b"\xfe\xff") and not _is_utf8(data):
        notes.append("not valid UTF-8; decoded as Windows-1252")
    entry = DocEntry(digest, generation_tag(digest, fingerprint), len(chunks),
                     document_title(item.path, doc))
    return entry, chunks, "; ".join(notes)


def _stored(manifest: Manifest, plan: Plan, generation: str) -> DocEntry | None:
    """Before the index is opened: the entry of a committed document of this generation, unless it is pruned."""
    pruned = set(plan.pruned)
    return next((e for s, e in manifest.documents.items() if e.generation == generation and s not in pruned), None)


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
    counter = token_counter(settings)
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
                    data, digest = read(item)
                except IngestError as e:
                    result.failed.append(FileIssue(item.source, str(e)))
                    bar.file_done()
                    continue
                generation = generation_tag(digest, fingerprint)
                if (writer.known(generation) if writer else _stored(manifest, plan, generation)) is not None:
                    writer = writer or start()
                    where = writer.add_location(item, generation)
                    result.notes.append(FileIssue(item.source, f"same content as {where}: indexed once"))
                    bar.file_done()
                    continue
                try:
                    entry, chunks, note = load(item, data, digest, settings, fingerprint, counter)
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


def _about(seconds: float) -> str:
    """A time left, as precise as a rate measured over the first part of the work can tell."""
    if seconds < 60:
        return f"~{max(5, round(seconds / 5) * 5)} s"
    return f"~{round(seconds / 60)} min"


class _Bar:
    """A rich progress bar over files, with a running count of passages; silent without a console.

    Off a terminal (output redirected to a log) a bar would print nothing until the end: a plain line every
    ``LOG_EVERY_S`` seconds says how far the ingest is instead.
    """

    def __init__(self, console: Console | None, files: int) -> None:
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.count = 0
        self.done = 0
        self.doing = ""
        self.files = files
        self.console = console if console is not None and not console.is_terminal else None
        self.started = self.logged = time.monotonic()
        self.first: tuple[float, int] | None = None  # (when, count) at the first passages stored
        if console is not None and console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("Indexing"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
                TextColumn("{task.fields[chunks]} passages"), TimeElapsedColumn(),
                TextColumn("{task.fields[doing]}", markup=False), console=console,
            )
            self.task = self.progress.add_task("ingest", total=files, chunks=0, doing="")

    def __enter__(self) -> _Bar:
        if self.progress is not None:
            self.progress.start()
        elif self.console is not None and self.files:  # a log's first line, before the first file is read
            self.console.print(f"Indexing {self.files} file{'s' if self.files != 1 else ''}", markup=False,
                               highlight=False)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def chunks(self, n: int, doing: str = "", remaining: int = 0) -> None:
        """``n`` more passages stored; ``doing``: the file being embedded, with ``remaining`` passages of it left and
        the time they take at the rate so far."""
        now = time.monotonic()
        self.count += n
        if self.first is None:  # the rate is measured from the first passages stored: loading the model and
            self.first = (now, self.count)  # reading the first file are not part of it
        since, before = self.first
        if doing and remaining:
            rate = (self.count - before) / (now - since) if now > since else 0.0
            left = f", {_about(remaining / rate)} left" if rate else ""  # no rate before a second batch
            doing = f"{doing} ({remaining} passage{'s' if remaining > 1 else ''} to go{left})"
        self.doing = doing
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, chunks=self.count, doing=doing)
        self._log()

    def file_done(self) -> None:
        self.done += 1
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task)
        self._log()

    def _log(self) -> None:
        now = time.monotonic()
        if self.console is None or now - self.logged < LOG_EVERY_S:
            return
        self.logged = now
        elapsed = now - self.started
        doing = f"; now {self.doing}" if self.doing else ""
        self.console.print(f"Indexing: {self.done}/{self.files} files, {self.count} passages, "
                           f"{self.count / elapsed:.1f} passages/s, {elapsed:.0f} s{doing}", markup=False,
                           highlight=False, soft_wrap=True)
