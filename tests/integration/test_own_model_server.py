"""Commands that embed or answer on a machine where no Ollama runs: each starts one (on the configured host, with
the bundled models) and stops it when it ends; the one an `ask` starts for its background answer server stays,
as other commands may have come to use it. `make test` once failed on a fresh machine because `ingest` needed a
server `serve-model --setup-only` had stopped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from assistant.serving import probe
from tests.background import started_pid, stop
from tests.net import free_port

EXE = str(Path(sys.executable).parent / "assistant")
NOTE = ("The harbour bell of Port Ellis rings at nine o'clock every morning. "
        "It was cast in 1888 and weighs four hundred kilograms.\n")


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, *args], capture_output=True, text=True, env=env, timeout=600)


def test_ingest_and_ask_start_the_model_server_none_answers_and_stop_it(tmp_path: Path) -> None:
    host = f"http://127.0.0.1:{free_port()}"
    env = os.environ | {"ASSISTANT_DATA_DIR": str(tmp_path / "data"), "ASSISTANT_OLLAMA__HOST": host,
                        "ASSISTANT_API__PORT": str(free_port()), "ASSISTANT_ASK__BACKGROUND_SERVER": "false"}
    doc = tmp_path / "harbour.txt"
    doc.write_text(NOTE)
    assert probe(host) is None

    ingest = _run(env, "ingest", str(doc))
    assert ingest.returncode == 0, ingest.stderr
    assert "(started by us)" in ingest.stderr and "1 added" in ingest.stderr
    assert probe(host) is None  # stopped as the command ended

    local = _run(env, "ask", "--local", "When does the harbour bell ring?")
    assert local.returncode == 0, local.stderr
    assert "(started by us)" in local.stderr and "nine o'clock" in local.stdout and "[1]" in local.stdout
    assert probe(host) is None

    background = _run(env | {"ASSISTANT_ASK__BACKGROUND_SERVER": "true"}, "ask", "When was the bell cast?")
    pid = started_pid(background.stderr)
    try:
        assert background.returncode == 0, background.stderr
        assert pid is not None and "1888" in background.stdout and "(started by us)" in background.stderr
        assert stop(pid)
        # left running: a `ui` or `ingest` started meanwhile may be using it
        assert probe(host) is not None
    finally:
        stop(pid)
        _stop_ollama_on(host)
    assert probe(host) is None


def _stop_ollama_on(host: str) -> None:
    """Stop the `ollama serve` of ``host`` (it is no child of the test: the command that started it has ended)."""
    wanted = f"OLLAMA_HOST={host.removeprefix('http://')}".encode()
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and wanted in (proc / "environ").read_bytes().split(b"\0"):
                stop(int(proc.name))
        except OSError:
            continue
