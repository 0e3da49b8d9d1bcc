"""The local model server: find, build or start Ollama, and create the bundled models in it.

Order of preference: a server already answering at ``settings.ollama.host``; else an ``ollama`` binary from settings
or PATH; else the pinned release built once from the Go module proxy into ``<cache_dir>/ollama/<tag>``.
Run ``assistant serve-model`` to do all of it in the foreground, ``assistant doctor`` to see the state.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx

from assistant import ollama_build
from assistant.config import Settings
from assistant.errors import ServerStartError, ServerUnavailableError
from assistant.ollama_build import PINNED_OLLAMA_TAG

__all__ = ["PINNED_OLLAMA_TAG", "OllamaServer", "ServerInfo", "build_ollama", "ensure_server", "find_binary", "probe",
           "start_server"]

Report = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class ServerInfo:
    host: str
    version: str
    started_by_us: bool = False

    @property
    def shown_version(self) -> str:
        # A source build says 0.0.0; what it really is, is the tag we pinned.
        return f"{PINNED_OLLAMA_TAG} (source build)" if self.version == "0.0.0" else self.version


def probe(host: str, timeout: float = 2.0) -> str | None:
    """Ollama's version at ``host``; None when nothing listens there.

    Raises ServerStartError when something that is not Ollama holds the port.
    """
    try:
        r = httpx.get(f"{host.rstrip('/')}/api/version", timeout=timeout)
    except httpx.HTTPError:
        return None
    try:
        version = r.json().get("version") if r.status_code == 200 else None
    except ValueError:
        version = None
    if not isinstance(version, str):
        raise ServerStartError(
            f"Something that is not Ollama answers at {host} (HTTP {r.status_code}). Stop it, or point "
            "ASSISTANT_OLLAMA__HOST at a free port (e.g. http://127.0.0.1:11435)."
        )
    return version


def build_dir(settings: Settings) -> Path:
    return ollama_build.build_dir(settings.cache_dir)


def find_binary(settings: Settings) -> Path | None:
    """An ollama binary: from settings, else on PATH, else our cached build."""
    if settings.ollama.binary:
        if not settings.ollama.binary.is_file():
            raise ServerStartError(f"ASSISTANT_OLLAMA__BINARY={settings.ollama.binary} does not exist.")
        return settings.ollama.binary
    on_path = shutil.which("ollama")
    if on_path:
        return Path(on_path)
    cached = build_dir(settings) / "bin" / "ollama"
    return cached if cached.is_file() else None


def build_ollama(settings: Settings, report: Report = _quiet) -> Path:
    """Build the pinned Ollama release into the cache once (see :mod:`assistant.ollama_build`)."""
    return ollama_build.build(settings.cache_dir, report)


class OllamaServer:
    """An ``ollama serve`` process we started; ``stop()`` ends it."""

    def __init__(self, process: subprocess.Popen[bytes], info: ServerInfo, log_path: Path) -> None:
        self.process = process
        self.info = info
        self.log_path = log_path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _is_local(host: str) -> bool:
    return (urlparse(host).hostname or "") in {"127.0.0.1", "localhost", "::1"}


def start_server(binary: Path, settings: Settings, report: Report = _quiet, wait_s: float = 60.0) -> OllamaServer:
    """Start ``ollama serve`` bound to the configured loopback address, models under our cache dir."""
    host = settings.ollama.host
    parsed = urlparse(host)
    models_dir = settings.ollama_models_dir
    models_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.cache_dir / "ollama-serve.log"
    env = os.environ | {
        "OLLAMA_HOST": f"{parsed.hostname}:{parsed.port or 11434}",
        "OLLAMA_MODELS": str(models_dir),
        "OLLAMA_NOPRUNE": "1",
        "OLLAMA_NUM_PARALLEL": str(settings.ollama.num_parallel),
    }
    report(f"starting `ollama serve` on {host} (models in {models_dir})")
    with log_path.open("ab") as log:
        proc = subprocess.Popen([str(binary), "serve"], stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    deadline = time.monotonic() + wait_s
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-10:])
                raise ServerStartError(f"`ollama serve` exited with code {proc.returncode}:\n{tail}\nLog: {log_path}")
            version = probe(host, timeout=1.0)
            if version is not None:
                return OllamaServer(proc, ServerInfo(host, version, started_by_us=True), log_path)
            time.sleep(0.3)
    except BaseException:  # Ctrl-C or SIGTERM while it starts: nobody holds a handle to stop it later
        OllamaServer(proc, ServerInfo(host, ""), log_path).stop()
        raise
    proc.kill()
    raise ServerStartError(f"`ollama serve` did not answer at {host} within {wait_s:.0f} s. Log: {log_path}")


def ensure_server(settings: Settings, report: Report = _quiet) -> tuple[ServerInfo, OllamaServer | None]:
    """A reachable server: the running one, or one we start (building Ollama first if needed).

    Returns the server's info and, when we started it, the handle to stop it with.
    """
    host = settings.ollama.host
    version = probe(host)
    if version is not None:
        return ServerInfo(host, version), None
    if not settings.ollama.manage:
        raise ServerUnavailableError(
            f"Ollama is not reachable at {host} — start it, run `assistant serve-model`, or set ASSISTANT_OLLAMA__HOST."
        )
    if not _is_local(host):
        raise ServerUnavailableError(f"Ollama is not reachable at {host}, and a remote host can't be started here.")
    binary = find_binary(settings) or build_ollama(settings, report)
    server = start_server(binary, settings, report)
    return server.info, server
