"""The background answer server of `assistant ask`, as a user meets it: the first `ask` starts it and waits for it,
later ones reuse it, errors come through it, a killed one is replaced, an idle one stops and takes its socket along,
one gone before answering leaves the answer to the command, the working folder's code never runs in it, and a
running `assistant ui` takes its place."""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
from pathlib import Path

from assistant.client import fingerprint, socket_path
from assistant.config import Settings, load_settings
from tests.background import SERVED, gone, running, started_pid, stop
from tests.integration.test_shutdown import start_ui
from tests.net import free_port

QUESTION = "When will Kishida visit the U.S.?"
EXE = str(Path(sys.executable).parent / "assistant")


def _ask(settings: Settings, *args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    # No serve-api on the API port it would try first: the background server is the one asked.
    env = os.environ | {"ASSISTANT_DATA_DIR": str(settings.data_dir), "ASSISTANT_OLLAMA__HOST": settings.ollama.host,
                        "ASSISTANT_API__PORT": str(free_port()), "ASSISTANT_ASK__BACKGROUND_SERVER": "true", **env}
    return subprocess.run([EXE, "ask", *args], capture_output=True, text=True, env=env, timeout=300, cwd=cwd)


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
        assert sock.exists()
        assert stop(pid, signal.SIGKILL)
        assert sock.exists()
        replaced = _ask(settings, QUESTION)
        pid = started_pid(replaced.stderr)
        assert replaced.returncode == 0 and pid is not None and SERVED in replaced.stderr
        assert replaced.stdout == local.stdout
        assert stop(pid) and not sock.exists()  # SIGTERM: it stops and removes its socket
    finally:
        stop(pid) or stop(pid, signal.SIGKILL)


def test_an_idle_background_server_stops_and_removes_its_socket(settings: Settings) -> None:
    # top_k 3: other settings than the other test's server, so this ask starts its own
    first = _ask(settings, QUESTION, ASSISTANT_ASK__IDLE_EXIT_S="2", ASSISTANT_RETRIEVAL__TOP_K="3")
    pid = started_pid(first.stderr)
    try:
        assert first.returncode == 0 and pid is not None and SERVED in first.stderr, first.stderr
        sock = socket_path(fingerprint(load_settings(data_dir=settings.data_dir, ollama={"host": settings.ollama.host},
                                                     retrieval={"top_k": 3})))
        assert sock.exists()
        assert gone(pid, within_s=60)
        assert not sock.exists()
    finally:
        stop(pid) or stop(pid, signal.SIGKILL)


def test_a_running_chat_ui_takes_ask_over_and_takes_its_socket_along_when_it_stops(settings: Settings,
                                                                                   tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")} | {
        "ASSISTANT_OLLAMA__HOST": settings.ollama.host, "ASSISTANT_DATA_DIR": str(tmp_path / "data")}

    def ask(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([EXE, "ask", *args], capture_output=True, text=True, timeout=300,
                              env=env | {"ASSISTANT_API__PORT": str(free_port())})

    subprocess.run([EXE, "ingest"], env=env, check=True, capture_output=True, timeout=300)
    before = ask(QUESTION)  # a background server first: the UI takes the socket over from it
    daemon = started_pid(before.stderr)
    ui, _, log = start_ui(settings, tmp_path, settings.ollama.host)
    try:
        assert daemon is not None and gone(daemon, within_s=30)  # it saw its socket taken and stopped
        asked = ask(QUESTION)
        assert asked.returncode == 0, asked.stderr
        assert SERVED in asked.stderr and started_pid(asked.stderr) is None, log.read_text()[-2000:]
        local = ask("--local", QUESTION)
        assert asked.stdout == local.stdout == before.stdout and "April 10" in asked.stdout
        sock = socket_path(fingerprint(load_settings(data_dir=tmp_path / "data",
                                                     ollama={"host": settings.ollama.host})))
        assert sock.exists()
        ui.send_signal(signal.SIGTERM)
        assert ui.wait(timeout=60) == 128 + signal.SIGTERM
        assert not sock.exists()
    finally:
        if ui.poll() is None:
            ui.kill()
        stop(daemon) or stop(daemon, signal.SIGKILL)


class _DropsTheAnswer(http.server.BaseHTTPRequestHandler):
    """Says it runs the client's fingerprint, then goes away without answering, as a server killed mid-answer."""

    serves = ""

    def do_GET(self) -> None:
        body = json.dumps({"fingerprint": self.serves}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, *_: object) -> None:
        pass


def test_a_background_server_gone_before_answering_leaves_the_answer_to_the_command(settings: Settings) -> None:
    mine = fingerprint(load_settings(data_dir=settings.data_dir, ollama={"host": settings.ollama.host}))
    sock = socket_path(mine)
    sock.unlink(missing_ok=True)
    handler = type("Handler", (_DropsTheAnswer,), {"serves": mine})
    server = socketserver.ThreadingUnixStreamServer(str(sock), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        done = _ask(settings, QUESTION)
        assert done.returncode == 0, done.stderr
        assert "the background answer server stopped before answering; answering here" in done.stderr
        assert "answered by" not in done.stderr and "April 10" in done.stdout
    finally:
        server.shutdown()
        server.server_close()
        sock.unlink(missing_ok=True)


def test_the_background_server_runs_the_installed_code_not_the_working_folders(settings: Settings,
                                                                               tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "assistant").mkdir()  # a folder with a package of the same name, as another checkout would be
    (tmp_path / "assistant" / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    first = _ask(settings, QUESTION, cwd=tmp_path, ASSISTANT_RETRIEVAL__TOP_K="5")
    pid = started_pid(first.stderr)
    try:
        assert first.returncode == 0 and pid is not None and SERVED in first.stderr, first.stderr
        assert not marker.exists()
    finally:
        stop(pid) or stop(pid, signal.SIGKILL)
