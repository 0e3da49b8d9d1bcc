"""SIGTERM and SIGINT stop `assistant ui` cleanly: the UI's port closes and the Ollama server it started is gone;
a server it found running is left alone."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from tests.background import running
from tests.net import free_port


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def start_ui(settings: Settings, tmp_path: Path, ollama_host: str,
             extra: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], int, Path]:
    exe = shutil.which("assistant", path=str(Path(sys.executable).parent))
    assert exe
    ui_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")} | {
        "ASSISTANT_OLLAMA__HOST": ollama_host, "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ASSISTANT_CACHE_DIR": str(settings.cache_dir), "ASSISTANT_UI__PORT": str(ui_port),
        "ASSISTANT_OLLAMA__CREATE_BUNDLED": "false",  # the models are in the shared models dir already
    } | (extra or {})
    log = tmp_path / "ui.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([exe, "ui"], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    deadline = time.monotonic() + 900  # a generous bound on start-up, not a measurement
    while True:
        assert proc.poll() is None, f"`assistant ui` exited early:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"the UI never answered:\n{log.read_text()[-3000:]}"
        try:
            if httpx.get(f"http://127.0.0.1:{ui_port}/", timeout=2).status_code == 200:
                return proc, ui_port, log
        except httpx.HTTPError:
            pass
        time.sleep(0.5)


@pytest.mark.parametrize(("signum", "exit_code"), [(signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGINT, 0)])
def test_signal_stops_the_ui_and_the_ollama_it_started(settings: Settings, tmp_path: Path, signum: int,
                                                       exit_code: int) -> None:
    ollama_port = free_port()
    proc, ui_port, log = start_ui(settings, tmp_path, f"http://127.0.0.1:{ollama_port}",
                                  {"ASSISTANT_OLLAMA__NUM_PARALLEL": "2"})
    started = [pid for pid in children(proc.pid) if Path(f"/proc/{pid}/comm").read_text().strip() == "ollama"]
    assert len(started) == 1 and listening(ollama_port), log.read_text()[-3000:]
    # the request-slot setting reaches the server it started
    assert b"OLLAMA_NUM_PARALLEL=2" in Path(f"/proc/{started[0]}/environ").read_bytes().split(b"\0")
    proc.send_signal(signum)
    assert proc.wait(timeout=120) == exit_code, log.read_text()[-3000:]
    assert not running(started[0])
    assert not listening(ollama_port) and not listening(ui_port)


def test_sigterm_leaves_a_server_it_found_running_alone(settings: Settings, tmp_path: Path) -> None:
    proc, ui_port, log = start_ui(settings, tmp_path, settings.ollama.host)
    assert not [pid for pid in children(proc.pid) if Path(f"/proc/{pid}/comm").read_text().strip() == "ollama"]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 128 + signal.SIGTERM, log.read_text()[-3000:]
    assert not listening(ui_port)
    assert httpx.get(f"{settings.ollama.host}/api/version", timeout=5).status_code == 200
