"""The folder files added in the chat are kept in: each upload copied in under its browser name, the file it
replaces kept beside it until the index says which of the two it holds.

Used by :mod:`assistant.ui`; pure file handling, no index or model. A kept file is the document its citations point
to, so the folder must hold exactly the bytes the index was built from:

    placed = [place(source, folder / upload_name(source)) for source in uploads]
    ...index them...
    kept, problems = settle(placed, {d.source: d.hash for d in assistant.documents()})
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.documents import hash_file


@dataclass(frozen=True)
class Placed:
    """An upload copied into the folder; ``previous`` holds the file it replaced until it is settled."""

    path: Path
    previous: Path | None


def upload_name(upload: str | Path) -> str:
    """The browser's file name (Gradio keeps it, in a folder of its own), never hidden."""
    return Path(upload).name.lstrip(".") or "upload"


def place(source: Path, target: Path) -> Placed:
    """Copy ``source`` in under ``target``'s name, replacing the name (a link there too, never what it points to)
    in one step; the file it replaces stays beside it, hidden, until :func:`settle`."""
    incoming = target.with_name(f".{target.name}.uploading")
    previous = target.with_name(f".{target.name}.previous") if os.path.lexists(target) else None
    try:
        shutil.copyfile(source, incoming)
        if previous is not None:
            previous.unlink(missing_ok=True)  # one a crash left behind
            os.link(target, previous, follow_symlinks=False)
        os.replace(incoming, target)
    except OSError:
        incoming.unlink(missing_ok=True)
        if previous is not None and os.path.lexists(target):
            previous.unlink(missing_ok=True)
        raise
    return Placed(target, previous)


def restore(placed: Placed) -> None:
    """Undo :func:`place`: the replaced file back, or no file."""
    if placed.previous is not None:
        os.replace(placed.previous, placed.path)
    else:
        placed.path.unlink(missing_ok=True)


def settle(placed: Sequence[Placed], indexed: Mapping[str, str]) -> tuple[list[Placed], list[str]]:
    """Keep each placed file whose content the index holds under its path (``indexed``: path -> content hash),
    undo the others; returns (kept, problems). An ingest that failed part way keeps what it committed: so do we."""
    kept, problems = [], []
    for p in placed:
        try:
            if indexed.get(str(p.path.resolve())) == hash_file(p.path):
                if p.previous is not None:
                    p.previous.unlink(missing_ok=True)
                kept.append(p)
            else:
                restore(p)
        except OSError as e:
            problems.append(f"{p.path.name}: the uploads folder could not be tidied ({e.strerror or e}).")
    return kept, problems
