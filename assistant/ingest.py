"""Ingest: files and folders → chunks with character offsets and content hashes → embeddings → the index.

Run it as ``assistant ingest PATH... [--prune]`` (or ``python -m assistant.ingest``). Unchanged files are
recognised by content hash from the manifest alone, without importing Chroma, LlamaIndex or Ollama, so re-running
on an unchanged folder takes a fraction of a second. Changed files are replaced atomically (see
:mod:`assistant.manifest`); ``--prune`` drops documents whose files are gone. A file that cannot be indexed is
reported with a reason, and leaves the index as it was.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.chunking import CHUNKER_VERSION
from assistant.config import Settings
from assistant.documents import SUPPORTED, extract_text, hash_file, kind_of
from assistant.ingest_types import FileIssue, Plan, WorkItem
from assistant.manifest import (
    Manifest,
    generation_tag,
    index_fingerprint,
    ingest_lock,
    manifest_path,
    read_manifest,
    signature,
)

if TYPE_CHECKING:
    from rich.console import Console

    from assistant.results import Passage

WAITING = "Another ingest is writing to this index; waiting for it to finish…"
SKIPPED_NAMED = 5  # unsupported files named in the summary; the rest are counted

__all__ = ["FileIssue", "IngestReport", "document_passages", "extract_text", "main", "plan_ingest", "remove_documents",
           "run_ingest"]


@dataclass(frozen=True)
class IngestReport:
    """What an ingest did. Paths are absolute sources, as stored in passages."""

    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    pruned: tuple[str, ...] = ()
    failed: tuple[FileIssue, ...] = ()
    skipped: tuple[FileIssue, ...] = ()  # unsupported files met while walking a folder: not errors
    notes: tuple[FileIssue, ...] = ()  # indexed, with a warning (text looks glued, decoded as Windows-1252)
    chunks: int = 0  # chunks written by this run
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def exit_code(self) -> int:
        """0 when every file was indexed or unchanged, 1 when any failed."""
        return 0 if self.ok else 1

    def summary(self) -> str:
        warned = f", {len(self.notes)} with warnings" if self.notes else ""
        return (
            f"{len(self.added)} added, {len(self.unchanged)} unchanged, {len(self.replaced)} replaced, "
            f"{len(self.pruned)} pruned, {len(self.failed)} failed{warned} — {self.chunks} passages in "
            f"{self.seconds:.2f} s"
        )


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[FileIssue], list[FileIssue]]:
    """(documents, failures, skipped) for the given files and folders; folders are walked, hidden entries ignored.
    Documents are named by their real paths (a link by the file it leads to)."""
    found: dict[Path, None] = {}
    failed: list[FileIssue] = []
    skipped: list[FileIssue] = []
    for p in paths:
        p = Path(os.path.abspath(p))
        try:
            is_dir, exists = p.is_dir(), p.exists()
        except OSError as e:  # a path inside a folder this user cannot open
            failed.append(FileIssue(str(p), f"cannot read it: {e.strerror or e}"))
            continue
        if is_dir:
            before, failures = len(found), len(failed)
            for root, dirs, files in os.walk(p, onerror=functools.partial(_unreadable_folder, failed)):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    f = Path(root) / name
                    if name.startswith("."):
                        continue
                    if kind_of(f) is None:
                        skipped.append(FileIssue(str(f), f"unsupported file type (supported: {SUPPORTED})"))
                    else:
                        _add_document(f, found, failed)
            if len(found) == before and len(failed) == failures:
                failed.append(FileIssue(str(p), f"no documents ({SUPPORTED}) in this folder"))
        elif not exists and not p.is_symlink():
            failed.append(FileIssue(str(p), "no such file or folder"))
        elif kind_of(p) is None:
            failed.append(FileIssue(str(p), f"unsupported file type '{p.suffix or p.name}' (supported: {SUPPORTED})"))
        else:
            _add_document(p, found, failed)
    return list(found), failed, skipped


def _unreadable_folder(failed: list[FileIssue], e: OSError) -> None:
    failed.append(FileIssue(str(e.filename), f"cannot read this folder: {e.strerror or e}"))


def _add_document(path: Path, found: dict[Path, None], failed: list[FileIssue]) -> None:
    try:
        real = path.resolve(strict=True)
        regular = real.is_file()
    except (OSError, RuntimeError):  # RuntimeError: a loop of links
        failed.append(FileIssue(str(path), "a link that leads to no file (its target is missing, or links lead "
                                           "back to themselves)"))
        return
    if not regular:
        failed.append(FileIssue(str(path), "not a regular file (a pipe, a device or a folder)"))
    else:
        found[real] = None


def refreshing(n: int) -> str:
    """What to say of ``n`` indexed documents an ingest reads again, besides the files it was given."""
    return (f"{n} document{'s' if n > 1 else ''} already indexed {'are' if n > 1 else 'is'} read and embedded again "
            "as well: the text extraction, chunking or embedding settings changed since "
            f"{'they were' if n > 1 else 'it was'} indexed (once)")


def plan_ingest(paths: Sequence[Path], manifest: Manifest, settings: Settings, prune: bool) -> Plan:
    """Classify every file: new or changed (work), unchanged, or failed (too big, empty, unreadable)."""
    files, failed, skipped = discover(paths)
    plan = Plan(failed=failed, skipped=skipped)
    fingerprint = index_fingerprint(settings, CHUNKER_VERSION)
    limit = settings.retrieval.max_file_mb
    for path in files:
        source = str(path)
        try:
            size = path.stat().st_size
            if size > limit * 1024 * 1024:
                mb = next((f for d in (1, 2, 3, 6) if float(f := f"{size / 1024 / 1024:.{d}f}") > limit),
                          str(size / 1024 / 1024))  # as many decimals as it takes to differ from the limit
                raise ValueError(
                    f"file is {mb} MB, over the {limit:g} MB limit "
                    "(raise it with ASSISTANT_RETRIEVAL__MAX_FILE_MB)"
                )
            if size == 0:
                raise ValueError("empty file, nothing to index")
            digest = hash_file(path)
        except (OSError, ValueError) as e:
            reason = f"cannot read it: {e.strerror}" if isinstance(e, OSError) and e.strerror else str(e)
            plan.failed.append(FileIssue(source, reason))
            continue
        entry = manifest.documents.get(source)
        if entry is not None and entry.generation == generation_tag(digest, fingerprint):
            plan.unchanged.append(source)
        else:
            plan.work.append(WorkItem(path, source, replaces=entry is not None))
    planned = {w.source for w in plan.work} | set(plan.unchanged)
    for source, entry in manifest.documents.items():
        if source in planned:
            continue
        if prune and not Path(source).exists():
            plan.pruned.append(source)
        elif entry.generation != generation_tag(entry.hash, fingerprint) and Path(source).is_file():
            # Chunking or embedding settings changed: stored chunks of this document no longer match them.
            plan.work.append(WorkItem(Path(source), source, replaces=True))
            plan.refreshed += 1
    return plan


def run_ingest(paths: list[Path], settings: Settings, prune: bool, console: Console | None,
               before_embedding: Callable[[], object] | None = None) -> IngestReport:
    """Index ``paths`` (files and folders) into the configured index; print progress and a summary to ``console``.
    ``before_embedding`` runs once before the first document is embedded (to start the model server); an ingest
    with nothing to embed never calls it.

    Per-file problems are in the report (``report.exit_code`` is 1 when any file failed). Raises
    StoreUnavailableError, ServerUnavailableError or ModelNotFoundError when Chroma or Ollama cannot do the work;
    documents committed before that stay indexed, the rest of the index is untouched.
    """
    t0 = time.perf_counter()
    mpath = manifest_path(settings)
    seen = signature(mpath)
    manifest = read_manifest(mpath)
    plan = plan_ingest(paths, manifest, settings, prune)
    result = None
    ready = False
    if plan.needs_index(manifest):
        from assistant.indexer import write_plan

        if plan.work and before_embedding is not None:
            before_embedding()
            ready = True
        with ingest_lock(mpath, waiting=None if console is None else functools.partial(console.print, WAITING,
                                                                                         highlight=False)):
            if signature(mpath) != seen:  # another ingest finished while we planned or waited
                manifest = read_manifest(mpath)
                plan = plan_ingest(paths, manifest, settings, prune)
            if plan.needs_index(manifest):
                if plan.work and before_embedding is not None and not ready:  # work found since
                    before_embedding()
                if plan.refreshed and console is not None:
                    console.print(refreshing(plan.refreshed), highlight=False, markup=False)
                result = write_plan(plan, manifest, mpath, settings, console)
    report = IngestReport(
        added=tuple(result.added if result else ()),
        replaced=tuple(result.replaced if result else ()),
        unchanged=tuple(plan.unchanged),
        pruned=tuple(plan.pruned),
        failed=tuple(plan.failed + (result.failed if result else [])),
        skipped=tuple(plan.skipped),
        notes=tuple(result.notes if result else ()),
        chunks=result.chunks if result else 0,
        seconds=time.perf_counter() - t0,
    )
    if console is not None:
        print_report(report, console)
    return report


def remove_documents(paths: Sequence[str | Path], settings: Settings,
                     waiting: Callable[[], None] | None = None) -> IngestReport:
    """Drop documents from the index: each path is a document as the index names it, or a folder whose documents
    all go (``report.pruned``). Their files are left alone, and so is identical content indexed under another path.
    A path matching no indexed document is in ``report.failed``. ``waiting`` is called when another ingest holds
    the index, before waiting for it."""
    t0 = time.perf_counter()
    wanted = list(dict.fromkeys(os.path.abspath(p) for p in paths))
    mpath = manifest_path(settings)
    with ingest_lock(mpath, waiting):
        manifest = read_manifest(mpath)

        def under(path: str) -> list[str]:
            return [s for s in manifest.documents if s == path or Path(s).is_relative_to(path)]

        # The path as given first (the index names documents by the real paths they had when indexed; a link
        # made since must not redirect the removal), then the path it leads to now.
        found = {w: under(w) or under(_real(w)) for w in wanted}
        gone = list(dict.fromkeys(s for sources in found.values() for s in sources))
        if gone:
            from assistant.indexer import write_plan

            write_plan(Plan(pruned=gone), manifest, mpath, settings, console=None)
    return IngestReport(pruned=tuple(gone), seconds=time.perf_counter() - t0,
                        failed=tuple(FileIssue(w, "not in the index") for w, s in found.items() if not s))


def _real(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError):  # RuntimeError: a loop of links
        return path


def document_passages(path: Path, settings: Settings) -> list[Passage]:
    """The passages ingest stores for the file at ``path`` — same ids, offsets, title and hash — computed offline.

    Raises IngestError when the file cannot be indexed.
    """
    from assistant.indexer import load, read
    from assistant.results import Passage
    from assistant.tokens import token_counter

    source = str(Path(os.path.abspath(path)).resolve())
    item = WorkItem(Path(source), source, replaces=False)
    entry, chunks, _ = load(item, *read(item), settings, index_fingerprint(settings, CHUNKER_VERSION),
                            token_counter(settings))
    return [
        Passage(id=f"{entry.generation}:{c.index}", text=c.text, source=source, title=entry.title, start=c.start,
                end=c.end, chunk_index=c.index, doc_hash=entry.hash, page=c.page,
                page_label=c.page_label, score=0.0)
        for c in chunks
    ]


def print_report(report: IngestReport, console: Console) -> None:
    from rich.markup import escape

    for issue in report.failed:
        console.print(f"[red]failed[/red]  {escape(issue.path)}: {escape(issue.reason)}")
    for issue in report.notes:
        console.print(f"[yellow]warning[/yellow] {escape(issue.path)}: {escape(issue.reason)}")
    if report.skipped:
        names = ", ".join(escape(Path(i.path).name) for i in report.skipped[:SKIPPED_NAMED])
        more = f" and {len(report.skipped) - SKIPPED_NAMED} more" if len(report.skipped) > SKIPPED_NAMED else ""
        console.print(f"[dim]skipped {len(report.skipped)} unsupported file(s): {names}{more} (supported: "
                      f"{SUPPORTED})[/dim]")
    style = "green" if report.ok else "red"
    console.print(f"[{style}]Ingest:[/{style}] {report.summary()}")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m assistant.ingest PATH... [--prune]``: exit 0 when all files are indexed, 1 when some failed,
    2 when Chroma or Ollama is unavailable."""
    import argparse

    from rich.console import Console

    from assistant.config import load_settings
    from assistant.errors import AssistantError

    parser = argparse.ArgumentParser(prog="python -m assistant.ingest", description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+", type=Path, help="files and folders to index")
    parser.add_argument("--prune", action="store_true", help="remove documents whose files are gone")
    args = parser.parse_args(argv)
    console = Console(stderr=True, soft_wrap=True)  # long paths stay on one line in logs
    try:
        return run_ingest(args.paths, load_settings(), args.prune, console).exit_code
    except AssistantError as e:
        console.print(f"[red]error:[/red] {e}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
