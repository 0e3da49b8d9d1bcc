"""The Ollama build runs once: a second builder waits for the first and uses its binary."""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path

import pytest

from assistant import ollama_build


def test_second_builder_waits_for_the_first_and_uses_its_binary(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    target = ollama_build.build_dir(tmp_path)
    target.mkdir(parents=True)
    monkeypatch.setattr(ollama_build, "LOCK_POLL_S", 0.01)

    def second_build(*_: object) -> Path:
        raise AssertionError("built twice")

    monkeypatch.setattr(ollama_build, "_build", second_build)
    waiting = threading.Event()
    messages: list[str] = []

    def report(msg: str) -> None:
        messages.append(msg)
        waiting.set()

    with (target / "build.lock").open("w") as held:  # the first build, still running
        fcntl.flock(held, fcntl.LOCK_EX)
        result: list[Path] = []
        second = threading.Thread(target=lambda: result.append(ollama_build.build(tmp_path, report)))
        second.start()
        assert waiting.wait(timeout=30)
        (target / "bin").mkdir()
        (target / "bin" / "ollama").write_text("binary")
        fcntl.flock(held, fcntl.LOCK_UN)
    second.join(timeout=30)
    assert result == [target / "bin" / "ollama"]
    assert "waiting for the Ollama build already running" in messages[0]


def test_nothing_is_built_when_a_binary_is_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_OLLAMA__BINARY", "/opt/ollama")
    assert ollama_build.main(["--cache-dir", str(tmp_path), "--background"]) == 0
    assert not (tmp_path / "ollama").exists()


def test_the_compiler_wrappers_add_the_kernel_flags_only_in_the_kernels_folders(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    echo = tmp_path / "echo-compiler"
    echo.write_text('#!/bin/sh\necho "$@"\n')
    echo.chmod(0o755)
    monkeypatch.setenv("CC", str(echo))
    monkeypatch.setenv("CXX", str(echo))
    env = ollama_build._compiler_wrappers(tmp_path, "-O3 -march=native")
    kernels = tmp_path / "ollama@v1" / "ml" / "backend" / "ggml" / "ggml" / "src"
    other = tmp_path / "ollama@v1" / "llama" / "llama.cpp" / "src"
    for folder in (kernels, other):
        folder.mkdir(parents=True)
    for var in ("CC", "CXX"):
        def run(folder: Path, wrapper: str = env[var]) -> str:
            return subprocess.run([wrapper, "-O1", "-c", "a file.c"], cwd=folder, capture_output=True, text=True,
                                  check=True).stdout.strip()

        assert run(kernels) == "-O1 -c a file.c -O3 -march=native"
        assert run(other) == "-O1 -c a file.c"
