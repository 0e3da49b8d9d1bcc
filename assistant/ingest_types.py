"""The plan an ingest works out (files to index, unchanged, pruned, failed) and hands to :mod:`assistant.indexer`.

Kept apart from both so that ``ingest`` (planning, the command) and ``indexer`` (writing) depend on it and not on
each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assistant.manifest import Manifest


@dataclass(frozen=True)
class FileIssue:
    path: str
    reason: str


@dataclass(frozen=True)
class WorkItem:
    path: Path
    source: str
    replaces: bool  # the source is in the index already (changed file, or indexing settings changed)


@dataclass
class Plan:
    """What an ingest has to do, worked out from the files and the manifest without touching the index."""

    work: list[WorkItem] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    failed: list[FileIssue] = field(default_factory=list)
    skipped: list[FileIssue] = field(default_factory=list)
    refreshed: int = 0  # documents not asked for, read again because the indexing settings or code changed

    def needs_index(self, manifest: Manifest) -> bool:
        return bool(self.work or self.pruned or manifest.dirty)
