"""`assistant chat` in a real pseudo-terminal: readline editing, follow-ups, footnotes, /sources, /new, Ctrl-C stops
the answer and not the program, /quit."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import shutil
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.config import Settings

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-B]|\r")
PROMPT = "you> "


@dataclass
class Terminal:
    pid: int
    fd: int
    seen: str = ""

    def read_until(self, marker: str, limit_s: float = 600.0) -> str:
        """Output up to and including the next ``marker`` (ANSI codes and carriage returns removed)."""
        while marker not in self.seen:
            ready, _, _ = select.select([self.fd], [], [], limit_s)
            assert ready, f"no {marker!r} from the chat; output so far:\n{self.seen[-2000:]}"
            try:
                data = os.read(self.fd, 4096)
            except OSError:  # the child closed the terminal
                data = b""
            assert data, f"the chat ended before {marker!r}; output:\n{self.seen[-2000:]}"
            self.seen += ANSI.sub("", data.decode("utf-8", "replace"))
        before, _, self.seen = self.seen.partition(marker)
        return before + marker

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def ask(self, line: str) -> str:
        self.send(line + "\r")
        return self.read_until(PROMPT)


@pytest.fixture
def terminal(settings: Settings) -> Iterator[Terminal]:
    exe = shutil.which("assistant", path=str(Path(sys.executable).parent))
    assert exe, "the assistant console script is not installed in this venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_DATA_DIR": str(settings.data_dir), "ASSISTANT_OLLAMA__HOST": settings.ollama.host,
            "ASSISTANT_CACHE_DIR": str(settings.cache_dir), "TERM": "xterm", "COLUMNS": "200", "LINES": "50",
            # the model runs to its token cap, so a Ctrl-C sent right after a question lands mid-answer
            "ASSISTANT_ANSWER__STOP_WHEN_DONE": "false"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: a session of its own with the pty as controlling terminal
        os.execve(exe, [exe, "chat"], env)
    yield Terminal(pid, fd)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):  # the test reaped it already
        os.waitpid(pid, 0)
    os.close(fd)


def test_terminal_chat_with_history_footnotes_commands_and_ctrl_c(terminal: Terminal, seed_path: Path) -> None:
    terminal.read_until(PROMPT)
    # readline editing: type the end first, Ctrl-A jumps to the start of the line, then type the start
    terminal.send("visit the U.S.?\x01When will Kishida ")
    first = terminal.ask("")
    assert "April 10" in first
    assert re.search(rf"\[1\] {re.escape(str(seed_path))}, chars \d+-\d+: “[^”]+”", first)

    sources = terminal.ask("/sources")
    assert "searched: When will Kishida visit the U.S.?" in sources
    assert f"1. {seed_path}, chars" in sources

    follow_up = terminal.ask("And which companies are involved?")
    assert "Nvidia" in follow_up
    searched = terminal.ask("/sources").split("searched: ", 1)[1].splitlines()[0]
    assert "Kishida" in searched

    # Ctrl-C once the question is in (readline echoed the Enter): the answer stops, the chat goes on. The model runs
    # to its cap, so the answer is never complete by then; the signal lands mid-answer ("(stopped)") or, when it
    # comes while input() is still returning the line, the line is dropped and only the prompt comes back.
    terminal.send("Which companies are expected to take part in the joint AI research?\r")
    terminal.read_until("research?\n")
    terminal.send("\x03")
    after = terminal.read_until(PROMPT)
    assert "(stopped)" in after or after.replace("^C", "").strip() == PROMPT.strip(), after
    assert f"searched: {searched}\n" in terminal.ask("/sources")  # nothing of the stopped turn was kept

    assert "(new conversation)" in terminal.ask("/new")
    terminal.send("/quit\r")
    _, status = os.waitpid(terminal.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
