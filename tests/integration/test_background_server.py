"""The background answer server of `assistant ask`, as a user meets it: the first `ask` starts it and waits for it,
later ones reuse it, errors come through it, a killed one is replaced, an idle one stops and takes its socket along;
a running `assistant ui` answers in its place."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from assistant.client import fingerprint, socket_path
from assistant.config import Settings, load_settings
from tests.background import SERVED, gone, running, started_pid, stop
from tests.integration.test_shutdown import start_ui
from tests.net import free_port

QUESTION = "When will Kishida visit the U.S.?"
def _ask(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # No serve-api on the API port it would try first: the background server is the one asked.
    env = os.environ | {"ASSISTANT_DATA_DIR": str(settings.data_dir), "ASSISTANT_OLLAMA__HOST": settings.ollama.host,
                        "ASSISTANT_API__PORT": str(free_port()), "ASSISTANT_ASK__BACKGROUND_SERVER": "true", **env}
    return subprocess.run([sys.executable, "-m", "assistant.cli", "ask", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_the_first_ask_starts_the_background_server_and_the_next_ones_reuse_it(settings: Settings) -> None:
    first = _ask(settings, QUESTION)
    pid = started_pid(first.stderr)
    try:
        assert first.returncode == 0, first.stderr
        assert pid is not None and running(pid) and SERVED in first.stderr
        assert "April 10" in first.stdout and "[1]" in first.stdout
        again = _ask(settings, QUESTION)
        assert again.returncode == 0, again.stderr
        assert SERVED in again.stderr and started_pid(again.stderr) is None
        local = _ask(settings, "--local", QUESTION)
        assert local.returncode == 0 and "answered by" not in local.stderr
        assert again.stdout == local.stdout == first.stdout
        empty = _ask(settings, "  ")  # rejected by the server: the command's own error, exit 2
        assert empty.returncode == 2 and "empty" in empty.stderr and "Traceback" not in empty.stderr
        off = _ask(settings, QUESTION, ASSISTANT_ASK__BACKGROUND_SERVER="false")
        assert off.returncode == 0 and "answered by" not in off.stderr and off.stdout == local.stdout

        # killed without a chance to clean up: its socket file stays, and the next ask starts another
        sock = socket_path(fingerprint(settings))
        assert sock is not None and sock.exists()
        assert stop(pid, signal.SIGKILL)
        assert sock.exists()
        replaced = _ask(settings, QUESTION)
        pid = started_pid(replaced.stderr)
        assert replaced.returncode == 0 and pid is not None and SERVED in replaced.stderr
        assert replaced.stdout == local.stdout
        assert stop(pid) and not sock.exists()  # SIGTERM: it stops and removes its socket
    finally:
        stop(pid, signal.SIGKILL)


def test_an_idle_background_server_stops_and_removes_its_socket(settings: Settings) -> None:
    # top_k 3: other settings than the other test's server, so this ask starts its own
    first = _ask(settings, QUESTION, ASSISTANT_ASK__IDLE_EXIT_S="2", ASSISTANT_RETRIEVAL__TOP_K="3")
    pid = started_pid(first.stderr)
    try:
        assert first.returncode == 0 and pid is not None and SERVED in first.stderr, first.stderr
        sock = socket_path(fingerprint(load_settings(data_dir=settings.data_dir, ollama={"host": settings.ollama.host},
                                                     retrieval={"top_k": 3})))
        assert sock is not None and sock.exists()
        assert gone(pid, within_s=60)
        assert not sock.exists()
    finally:
        stop(pid, signal.SIGKILL)


def test_a_running_chat_ui_answers_ask_and_takes_its_socket_along_when_it_stops(settings: Settings,
                                                                                tmp_path: Path) -> None:
    ui, _, log = start_ui(settings, tmp_path, settings.ollama.host)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")} | {
            "ASSISTANT_OLLAMA__HOST": settings.ollama.host, "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
            "ASSISTANT_API__PORT": str(free_port())}
        asked = subprocess.run([sys.executable, "-m", "assistant.cli", "ask", QUESTION], capture_output=True,
                               text=True, env=env, timeout=300)
        assert asked.returncode == 0, asked.stderr
        assert SERVED in asked.stderr and started_pid(asked.stderr) is None, log.read_text()[-2000:]
        assert "April 10" in asked.stdout and "[1]" in asked.stdout
        sock = socket_path(fingerprint(load_settings(data_dir=tmp_path / "data",
                                                     ollama={"host": settings.ollama.host})))
        assert sock is not None and sock.exists()
        ui.send_signal(signal.SIGTERM)
        assert ui.wait(timeout=60) == 128 + signal.SIGTERM
        assert not sock.exists()
    finally:
        if ui.poll() is None:
            ui.kill()
