"""The index manifest: which version ("generation") of each source document is live.

A generation is named by the document's content and the indexing settings, not by its path: the same content
found under two paths is one document, embedded and stored once, with two *locations* (both map to the same
generation). Pruning one location keeps the chunks while another location names the generation.

The manifest is a small JSON file next to the index and the single commit point of an ingest. Chunks are written to
Chroma tagged with a generation first; replacing the manifest (temp file + ``os.replace``) then switches readers over
in one step; superseded chunks are deleted after that. Readers only return chunks whose generation the manifest
names for their source, so no query sees a document's old and new chunks together, or neither, and chunks left by
an interrupted ingest stay invisible until the next ingest deletes them (``dirty`` marks that work).

This module imports only the standard library: ``assistant ingest`` on unchanged files runs on it alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from assistant.config import Settings
from assistant.errors import StoreUnavailableError

FORMAT = 1
_EMPTY: Mapping[str, DocEntry] = MappingProxyType({})


@dataclass(frozen=True)
class DocEntry:
    """The live version of one source: its content hash, generation tag, chunk count and title."""

    hash: str
    generation: str
    chunks: int
    title: str = ""


@dataclass(frozen=True)
class Manifest:
    documents: Mapping[str, DocEntry] = field(default_factory=lambda: _EMPTY)
    fingerprint: str = ""
    dirty: bool = False  # an ingest may have left chunks no document owns; the next ingest deletes them

    @property
    def total_chunks(self) -> int:
        """Chunks a query can see: identical documents under several paths count once."""
        return sum({d.generation: d.chunks for d in self.documents.values()}.values())

    @functools.cached_property
    def generations(self) -> frozenset[str]:
        return frozenset(d.generation for d in self.documents.values())

    @functools.cached_property
    def _locations(self) -> Mapping[str, tuple[str, ...]]:
        by_generation: dict[str, list[str]] = {}
        for source, entry in sorted(self.documents.items()):
            by_generation.setdefault(entry.generation, []).append(source)
        return {g: tuple(s) for g, s in by_generation.items()}

    def chunk_ids(self) -> list[str]:
        """The ids of every live chunk (``<generation>:<index>``), sorted."""
        return sorted({f"{d.generation}:{i}" for d in self.documents.values() for i in range(d.chunks)})

    @functools.cached_property
    def content_key(self) -> str:
        """Changes whenever the set of live generations changes (what a lexical index built over them is for)."""
        return hashlib.sha256("\n".join(sorted(self.generations)).encode()).hexdigest()[:16]

    def is_live(self, generation: str) -> bool:
        return generation in self.generations

    def locations(self, generation: str) -> tuple[str, ...]:
        """Every indexed path holding the document of ``generation``, sorted; empty when it is not live."""
        return self._locations.get(generation, ())

    def with_documents(self, documents: Mapping[str, DocEntry], **changes: object) -> Manifest:
        return replace(self, documents=MappingProxyType(dict(documents)), **changes)  # type: ignore[arg-type]


def manifest_path(settings: Settings) -> Path:
    """Where the manifest of the configured collection lives (see ``ChromaSettings.manifest_path``)."""
    c = settings.chroma
    if c.manifest_path is not None:
        return c.manifest_path
    if c.mode == "embedded":
        return settings.chroma_path / f"assistant-manifest.{c.collection}.json"
    safe_host = "".join(ch if ch.isalnum() or ch in ".-" else "_" for ch in c.host)
    return settings.data_dir / "index-manifests" / f"{safe_host}_{c.port}_{c.collection}.json"


def lexical_path(manifest: Path) -> Path:
    """Where the lexical (BM25) index over the live chunks of this manifest's index is kept: beside it."""
    return manifest.with_name(manifest.stem + ".lexical.npz")


def index_fingerprint(settings: Settings, chunker_version: int) -> str:
    """Changes whenever stored chunks would differ for the same file: chunking rules, chunk size, embedding model."""
    parts = {"chunker": chunker_version, "chunk_chars": settings.retrieval.chunk_chars,
             "chunk_tokens": settings.retrieval.chunk_tokens, "embed_model": settings.ollama.embed_model}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def generation_tag(doc_hash: str, fingerprint: str) -> str:
    """Deterministic per (content, fingerprint): re-ingesting the same content — under any path — yields the same
    chunk ids, so identical files share one stored copy."""
    return hashlib.sha256(f"{doc_hash}\0{fingerprint}".encode()).hexdigest()[:16]


Signature = tuple[int, int, int]


def signature(path: Path) -> Signature | None:
    """Changes whenever the manifest is replaced (new inode, mtime or size); None when there is no manifest."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def read_manifest(path: Path) -> Manifest:
    """The manifest at ``path``; an empty one when the file does not exist."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format") != FORMAT:
            raise ValueError(f"unknown manifest format {raw.get('format')!r}")
        docs = {src: DocEntry(**entry) for src, entry in raw["documents"].items()}
        return Manifest(MappingProxyType(docs), str(raw["fingerprint"]), bool(raw["dirty"]))
    except (FileNotFoundError, NotADirectoryError):
        return Manifest()
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise StoreUnavailableError(
            f"The index manifest {path} is unreadable ({e}). Delete it and run `assistant ingest` again "
            "to rebuild the index."
        ) from e


def _unwritable(path: Path, e: OSError) -> StoreUnavailableError:
    return StoreUnavailableError(
        f"Cannot write the index manifest in {path.parent} ({e.strerror or e}) — make the directory writable, or "
        "set ASSISTANT_CHROMA__PATH (ASSISTANT_CHROMA__MANIFEST_PATH in HTTP mode) to one that is."
    )


def write_manifest(path: Path, manifest: Manifest) -> None:
    """Replace the manifest atomically: readers see the old file or the new one, never a mix, even after kill -9."""
    try:
        _write(path, manifest)
    except OSError as e:
        raise _unwritable(path, e) from e


def _write(path: Path, manifest: Manifest) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "format": FORMAT,
        "fingerprint": manifest.fingerprint,
        "dirty": manifest.dirty,
        "documents": {src: vars(e) for src, e in sorted(manifest.documents.items())},
    }
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(body, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def ingest_running(path: Path) -> bool:
    """Whether an ingest or removal (of this process or another) holds the lock of the index whose manifest is at
    ``path`` now: a question asked meanwhile waits for its embedding batches in the model server."""
    try:
        with _lock_path(path).open("rb") as f:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
    except OSError:  # never locked, or cannot tell: nothing to say
        pass
    return False


def _try_lock(fd: int, tries: int = 5) -> bool:
    """The index's lock taken without waiting for an ingest: a few tries 20 ms apart, as ``ingest_running`` holds it
    for a moment to look."""
    for n in range(tries):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if n + 1 < tries:
                time.sleep(0.02)
    return False


@contextlib.contextmanager
def ingest_lock(path: Path, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """One ingest at a time per index: a second one calls ``waiting`` (to say so) and waits (the lock dies with its
    process, even on kill -9)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        f = open(_lock_path(path), "a")  # noqa: SIM115 - closed below, after the lock is released
    except OSError as e:
        raise _unwritable(path, e) from e
    with f:
        if not _try_lock(f.fileno()):
            if waiting is not None:
                waiting()
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
