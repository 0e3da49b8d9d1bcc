"""Ingest progress when the output is not a terminal (a log file, CI): plain lines, no progress bar."""

from __future__ import annotations

import io

from rich.console import Console

from assistant.indexer import LOG_EVERY_S, _Bar


def test_off_a_terminal_progress_is_a_plain_line_every_few_seconds() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=200)
    with _Bar(console, files=3) as bar:
        bar.chunks(10)
        assert out.getvalue().count("\n") == 1  # no progress line until LOG_EVERY_S have passed
        bar.logged -= LOG_EVERY_S  # as if the interval had passed
        bar.started -= LOG_EVERY_S
        bar.file_done()
        bar.chunks(5)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Indexing 3 files"  # at once, before anything is read
    assert len(lines) == 2
    assert lines[1].startswith("Indexing: 1/3 files, 10 passages, ") and "passages/s" in lines[1]
    assert "\x1b" not in out.getvalue()  # no cursor control in a log


def test_on_a_terminal_there_are_no_log_lines() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200)
    with _Bar(console, files=1) as bar:
        bar.logged -= LOG_EVERY_S
        bar.chunks(3)
    assert "Indexing: 0/1 files" not in out.getvalue()


def test_the_progress_line_names_the_file_being_embedded_what_is_left_of_it_and_for_how_long() -> None:
    out = io.StringIO()
    with _Bar(Console(file=out, force_terminal=False, width=80), files=3) as bar:
        bar.logged -= LOG_EVERY_S
        bar.chunks(32, "hugeline.txt", remaining=876)  # no rate yet: loading and reading come before the first
        assert bar.first is not None
        bar.first = (bar.first[0] - 16, bar.first[1])  # 64 passages in the 16 s since: 812 more take ~203 s
        bar.logged -= LOG_EVERY_S
        bar.chunks(64, "hugeline.txt", remaining=812)
        bar.logged -= LOG_EVERY_S
        bar.chunks(12)  # a file finished: nothing in flight to name
        bar.logged -= LOG_EVERY_S
        bar.chunks(4, "small.txt", remaining=10)
    _, zeroth, first, second, third = out.getvalue().splitlines()
    assert zeroth.endswith("; now hugeline.txt (876 passages to go)")
    assert first.endswith("; now hugeline.txt (812 passages to go, ~3 min left)")  # whole, not cut at 80 columns
    assert "now" not in second
    assert third.endswith("; now small.txt (10 passages to go, ~5 s left)")


def test_a_file_name_with_brackets_shows_as_it_is_on_a_terminal() -> None:
    out = io.StringIO()
    with _Bar(Console(file=out, force_terminal=True, width=200), files=1) as bar:
        bar.chunks(3, "weird[/].txt", remaining=2)
        bar.chunks(1, "notes [draft].txt", remaining=1)
    assert "notes [draft].txt" in out.getvalue()
