"""Building the pinned Ollama release from the Go module proxy into the cache, once.

Standard library only (and :mod:`assistant.errors`), so that ``make install`` can start the build with the system
Python while the venv is still being made::

    python3 -m assistant.ollama_build --background   # returns at once; the log is <cache>/ollama/<tag>/build.log

The cache is ``$ASSISTANT_CACHE_DIR``, else ``$XDG_CACHE_HOME/assistant``, else ``~/.cache/assistant`` (the
defaults of :mod:`assistant.config`). Nothing is built when a server answers or an ``ollama`` binary is at hand.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant.errors import ServerStartError

# The one place the Ollama release is pinned. v0.24.0 is the last tag whose plain `go install` compiles the CPU
# backend through cgo; binaries built that way report version 0.0.0, so we show this tag instead.
PINNED_OLLAMA_TAG = "v0.24.0"
OLLAMA_MODULE = "github.com/ollama/ollama"
# Go module zips leave out vendor/, so llama.cpp's vendored headers come from Debian and from miniaudio's sdist.
DEBIAN_HEADERS = {"nlohmann-json3-dev": "/usr/include/nlohmann/json.hpp", "libstb-dev": "/usr/include/stb/stb_image.h"}
MINIAUDIO_SDIST = "miniaudio==1.71"
# Compiler flags, measured by benchmarks/bench_build_flags.py. The CPU kernels (ggml, where Ollama spends its time)
# get -O3 for this machine's instruction set (the binary stays in this machine's cache); everything else compiled
# through cgo (llama.cpp's model code, which only models outside Ollama's Go engine use, such as the bundled
# embedding model, and there around the kernels; the multimodal helpers; SQLite) gets -O1, which compiles faster.
KERNEL_CFLAGS = "-O3 -march=native"
OTHER_CFLAGS = "-O1"
KERNEL_DIR = "/ml/backend/ggml/"  # Go runs the C compiler in the package's folder
LOCK_POLL_S = 15.0  # how often a second builder looks whether the first is done (and says it is waiting)

Report = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def build_dir(cache_dir: Path) -> Path:
    return cache_dir / "ollama" / PINNED_OLLAMA_TAG


def _miniaudio_include(workdir: Path, report: Report) -> Path:
    include = workdir / "include"
    if (include / "miniaudio" / "miniaudio.h").is_file():
        return include
    report(f"fetching {MINIAUDIO_SDIST} sdist for miniaudio.h")
    with tempfile.TemporaryDirectory() as tmp:
        # Any pip will do: a uv-made venv has none of its own, so fall back to the system's.
        pips = [[sys.executable, "-m", "pip"], ["python3", "-m", "pip"], ["pip3"]]
        pip = next((c for c in pips if shutil.which(c[0]) and subprocess.run(
            [*c, "--version"], capture_output=True).returncode == 0), None)
        if pip is None:
            raise ServerStartError(f"Building Ollama needs pip to fetch the {MINIAUDIO_SDIST} sdist; install pip.")
        cmd = [*pip, "download", "--no-deps", "--no-binary", ":all:", MINIAUDIO_SDIST, "-d", tmp]
        done = subprocess.run(cmd, capture_output=True, text=True)
        sdists = list(Path(tmp).glob("miniaudio-*.tar.gz"))
        if done.returncode != 0 or not sdists:
            raise ServerStartError(f"Could not download the {MINIAUDIO_SDIST} sdist: {done.stderr[-500:]}")
        with tarfile.open(sdists[0]) as tar:
            member = next(m for m in tar.getmembers() if m.name.endswith("miniaudio/miniaudio.h"))
            data = tar.extractfile(member)
            assert data is not None
            (include / "miniaudio").mkdir(parents=True, exist_ok=True)
            (include / "miniaudio" / "miniaudio.h").write_bytes(data.read())
    return include


def build(cache_dir: Path, report: Report = _quiet) -> Path:
    """Build the pinned Ollama release with cgo into ``<cache_dir>/ollama/<tag>``, once: 5-7 minutes on 2 cores.

    One build at a time: a second caller (``make run`` while the background build of ``make install`` goes on)
    waits for the first and uses its binary.
    """
    target = build_dir(cache_dir)
    binary = target / "bin" / "ollama"
    if binary.is_file():
        return binary
    target.mkdir(parents=True, exist_ok=True)
    with _build_lock(target, report):
        if binary.is_file():  # built by whoever held the lock
            return binary
        return _build(target, binary, report)


@contextlib.contextmanager
def _build_lock(target: Path, report: Report) -> Iterator[None]:
    started = time.monotonic()
    with (target / "build.lock").open("w") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                report(f"waiting for the Ollama build already running ({int(time.monotonic() - started)} s; log: "
                       f"{target / 'build.log'})")
                time.sleep(LOCK_POLL_S)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _compiler_wrappers(target: Path, kernel_cflags: str) -> dict[str, str]:
    """CC and CXX scripts that add ``kernel_cflags`` when compiling the kernels' packages; elsewhere the compiler
    sees only CGO_CFLAGS / CGO_CXXFLAGS."""
    env = {}
    for var, default in (("CC", "gcc"), ("CXX", "g++")):
        real = os.environ.get(var) or default
        script = target / f"{var.lower()}-wrapper"
        script.write_text(f'#!/bin/sh\n# written by assistant.ollama_build\ncase "$PWD" in\n'
                          f'  *{KERNEL_DIR}*) exec {real} "$@" {kernel_cflags} ;;\nesac\nexec {real} "$@"\n')
        script.chmod(0o755)
        env[var] = str(script)
    return env


def _build(target: Path, binary: Path, report: Report, cflags: str = OTHER_CFLAGS,
           kernel_cflags: str | None = KERNEL_CFLAGS, extra_env: dict[str, str] | None = None) -> Path:
    """``cflags`` for every C/C++ file, then ``kernel_cflags`` (when given) for the kernels' files."""
    if not shutil.which("go"):
        raise ServerStartError(
            "No Ollama server answers, no `ollama` binary is on PATH, and Go is not installed to build one. "
            "Install Ollama (https://ollama.com/download) and run `ollama serve`, or install Go >= 1.24 "
            "and run `assistant serve-model` again, or set ASSISTANT_OLLAMA__HOST to a running server."
        )
    missing = [pkg for pkg, header in DEBIAN_HEADERS.items() if not Path(header).is_file()]
    if missing:
        raise ServerStartError(
            f"Building Ollama needs C/C++ headers that are missing: run `apt-get install -y {' '.join(missing)}`."
        )
    include = _miniaudio_include(target, report)
    log_path = target / "build.log"
    staging = target / "bin.partial"
    shutil.rmtree(staging, ignore_errors=True)
    env = os.environ | {
        "CGO_ENABLED": "1",
        "CGO_CPPFLAGS": f"-I{include}",
        "CGO_CFLAGS": cflags,
        "CGO_CXXFLAGS": cflags,
        "GOBIN": str(staging),
    } | (_compiler_wrappers(target, kernel_cflags) if kernel_cflags else {}) | (extra_env or {})
    report(f"building Ollama {PINNED_OLLAMA_TAG} from source (no server or binary found; once, ~5-7 min on 2 cores)"
           f"; log: {log_path}")
    started = time.monotonic()
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            ["go", "install", f"{OLLAMA_MODULE}@{PINNED_OLLAMA_TAG}"],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=target,
        )
        try:
            while proc.poll() is None:
                time.sleep(15)
                report(f"building Ollama {PINNED_OLLAMA_TAG}: {int(time.monotonic() - started)} s elapsed")
        except BaseException:  # Ctrl-C or SIGTERM: do not leave the compiler running; the next start builds again
            proc.terminate()
            proc.wait()
            raise
    if proc.returncode != 0 or not (staging / "ollama").is_file():
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])
        raise ServerStartError(f"Building Ollama failed (exit {proc.returncode}). Last lines:\n{tail}\n"
                               f"Full log: {log_path}")
    (target / "bin").mkdir(exist_ok=True)
    os.replace(staging / "ollama", binary)  # atomic: an interrupted build never leaves a half binary in place
    shutil.rmtree(staging, ignore_errors=True)
    report(f"built Ollama {PINNED_OLLAMA_TAG} in {int(time.monotonic() - started)} s")
    return binary


def default_cache_dir() -> Path:
    env = os.environ.get("ASSISTANT_CACHE_DIR")
    if env:
        return Path(env).expanduser()  # as the settings take it
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "assistant"


def _needed(cache_dir: Path) -> bool:
    """False when a server answers, a binary is configured or on PATH, or the build is done."""
    if os.environ.get("ASSISTANT_OLLAMA__BINARY") or shutil.which("ollama"):
        return False
    if (build_dir(cache_dir) / "bin" / "ollama").is_file():
        return False
    host = os.environ.get("ASSISTANT_OLLAMA__HOST", "http://127.0.0.1:11434").rstrip("/")
    try:
        with urllib.request.urlopen(f"{host}/api/version", timeout=2):
            return False
    except (OSError, ValueError):
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.ollama_build", description=__doc__.split("\n")[0])
    parser.add_argument("--cache-dir", type=Path, default=None, help="default: the assistant's cache directory")
    parser.add_argument("--background", action="store_true", help="start the build detached and return at once")
    args = parser.parse_args(argv)
    cache_dir = args.cache_dir or default_cache_dir()
    if not _needed(cache_dir):
        return 0
    if args.background:
        target = build_dir(cache_dir)
        target.mkdir(parents=True, exist_ok=True)
        with (target / "background.log").open("ab") as log:
            subprocess.Popen([sys.executable, "-m", "assistant.ollama_build", "--cache-dir", str(cache_dir)],
                             stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        print(f"building Ollama {PINNED_OLLAMA_TAG} in the background (once, ~5-7 min on 2 cores); "
              f"log: {target / 'build.log'}")
        return 0
    try:
        build(cache_dir, lambda msg: print(msg, flush=True))
    except ServerStartError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
