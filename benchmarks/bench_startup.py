"""Start-up of the `assistant` command, a baseline commit against the working tree, side by side in one run.

    .venv/bin/python benchmarks/bench_startup.py [--base REF] [--runs 5]

Both trees run on this venv's packages (``PYTHONPATH`` puts the tree's ``assistant`` first). Two bytecode states:
``source`` compiles every module on every start (``PYTHONDONTWRITEBYTECODE=1`` with an empty pycache prefix: an
install made without compiling bytecode, as uv does by default), ``compiled`` reads bytecode written once (an install
made with ``--compile-bytecode``). Commands: ``assistant --help``, and an unchanged re-ingest of the seed (needs the
model server for the one ingest that precedes the timed runs; left out when it does not answer). Prints the median
wall time of each and the ratio new / base. Then ``assistant ask`` on the working tree as a whole command beside its
parts: the answer's own time (``--json`` timings) and the start-up (``--help``): each run's wall time over
(start-up + that run's answer time), median; answered in-process, by a running ``assistant serve-api``, and by the
background answer server (with the first ``ask``, which starts it, beside an in-process one).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.background import started_pid, stop
from tests.net import free_port

ROOT = Path(__file__).resolve().parent.parent
CLI = "import sys; from assistant.cli import app; sys.argv[0] = 'assistant'; app()"


def _extract(ref: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _seed(tree: Path) -> Path:
    folders = (tree / "assistant" / "seeds", tree / "seeds")  # where the seed is now, where it was
    return next(p for d in folders if d.is_dir() for p in sorted(d.glob("*.txt")))


def _runs(tree: Path, args: list[str], env: dict[str, str], runs: int) -> list[tuple[float, bytes]]:
    """Wall time and standard output of each run of ``assistant ARGS`` in ``tree``."""
    env = env | {"PYTHONPATH": str(tree)}
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", CLI, *args], env=env, capture_output=True, cwd=tree)
        out.append((time.perf_counter() - started, done.stdout))
        if done.returncode != 0:
            raise SystemExit(f"`assistant {' '.join(args)}` failed in {tree}:\n{done.stderr.decode()[-2000:]}")
    return out


def _time(tree: Path, args: list[str], env: dict[str, str], runs: int) -> float:
    return statistics.median(wall for wall, _ in _runs(tree, args, env, runs))


def _ask(tree: Path, question: str, env: dict[str, str], runs: int) -> list[tuple[float, float]]:
    """(wall time, the answer's own total) of each run of ``assistant ask --json``."""
    return [(wall, json.loads(out)["timings"]["total"]) for wall, out in _runs(tree, ["ask", "--json", question],
                                                                                env, runs)]


def _ask_row(state: str, env: dict[str, str], args: argparse.Namespace, with_overhead: bool = False) -> str:
    """One bytecode state's `ask` row: start-up (`--help`), the answer's own time, the whole command, their ratio
    (medians), and with ``with_overhead`` what the command spends outside the answer."""
    startup = _time(ROOT, ["--help"], env, args.runs)
    runs = _ask(ROOT, args.question, env, args.runs)
    ratio = statistics.median(wall / (startup + answer) for wall, answer in runs)
    row = (f"{state:9} {startup:9.2f} {statistics.median(a for _, a in runs):7.2f} "
           f"{statistics.median(w for w, _ in runs):7.2f} {ratio:24.2f}")
    return row + (f" {statistics.median(w - a for w, a in runs):13.2f}" if with_overhead else "")


def _served_table(by: str, states: dict[str, dict[str, str]], extra: dict[str, str], args: argparse.Namespace
                  ) -> None:
    """The `ask` rows of each bytecode state, answered by ``by`` (its environment in ``extra``)."""
    print(f"\nthe same, answered by {by} (median of {args.runs} runs, seconds)")
    print(f"{'bytecode':9} {'start-up':>9} {'answer':>7} {'whole':>7} {'whole/(start-up+answer)':>24} "
          f"{'whole-answer':>13}")
    for state, senv in states.items():
        print(_ask_row(state, senv | extra, args, with_overhead=True))


def _through_server(work: Path, states: dict[str, dict[str, str]], args: argparse.Namespace) -> None:
    """The same `ask` rows with an `assistant serve-api` of the same settings running: the server answers (its own
    time is the answer's), the command's start-up is what is left of its wall time."""
    port = str(free_port())
    data = {"ASSISTANT_DATA_DIR": str(work / "data-new"), "ASSISTANT_API__PORT": port}
    serve_env = states["compiled"] | data | {"PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-c", CLI, "serve-api"], env=serve_env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("`assistant serve-api` did not start:\n"
                                     + (server.stderr.read().decode()[-2000:] if server.stderr else "")) from None
                time.sleep(0.2)
        _ask(ROOT, args.question, serve_env, 1)  # the server's first answer loads the chat model
        _served_table("a running `assistant serve-api`", states, data, args)
    finally:
        server.terminate()
        server.wait(timeout=60)


def _through_background(work: Path, states: dict[str, dict[str, str]], args: argparse.Namespace) -> None:
    """The same `ask` rows answered by the background answer server, after a first `ask` that starts it (timed
    beside one answered in-process, both with the chat model warm)."""
    data = {"ASSISTANT_DATA_DIR": str(work / "data-new"), "ASSISTANT_API__PORT": str(free_port())}
    local = states["compiled"] | data | {"ASSISTANT_ASK__BACKGROUND_SERVER": "false"}
    env = states["compiled"] | data | {"ASSISTANT_ASK__BACKGROUND_SERVER": "true", "PYTHONPATH": str(ROOT)}
    in_process = _time(ROOT, ["ask", "--json", args.question], local, 1)
    started = time.perf_counter()
    first = subprocess.run([sys.executable, "-c", CLI, "ask", "--json", args.question], env=env, cwd=ROOT,
                           capture_output=True, text=True)
    whole = time.perf_counter() - started
    pid = started_pid(first.stderr)
    try:
        if first.returncode != 0 or pid is None:
            raise SystemExit(f"the background answer server did not start:\n{first.stderr[-2000:]}")
        _served_table(f"the background answer server (the first ask, which starts it, took {whole:.2f} s, one "
                      f"answered in-process {in_process:.2f} s: × {whole / in_process:.2f})", states,
                      data | {"ASSISTANT_ASK__BACKGROUND_SERVER": "true"}, args)
    finally:
        stop(pid, signal.SIGTERM)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default=None, help="baseline commit (default: where this branch left main)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--question", default="When will Kishida visit the U.S.?", help="asked by the `ask` rows")
    args = parser.parse_args()
    base_ref = args.base or subprocess.run(["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], check=True,
                                           capture_output=True, text=True).stdout.strip()
    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    try:
        (work / "base").mkdir()
        trees = {"base": _extract(base_ref, work / "base"), "new": ROOT}
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_") or k == "ASSISTANT_OLLAMA__HOST"}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["ASSISTANT_ASK__BACKGROUND_SERVER"] = "false"  # in-process, unless a row says otherwise
        states = {"source": env | {"PYTHONPYCACHEPREFIX": str(work / "empty-pycache")}}
        compiled = env | {"PYTHONPYCACHEPREFIX": str(work / "pycache")}
        states["compiled"] = compiled
        seed = work / "seed" / "seed.txt"
        seed.parent.mkdir()
        shutil.copyfile(_seed(ROOT), seed)
        commands: dict[str, list[str]] = {"--help": ["--help"]}
        ingest_ok = True
        for name, tree in trees.items():
            data = {"ASSISTANT_DATA_DIR": str(work / f"data-{name}")}
            # warm the compiled state (bytecode written once into the prefix), and index the seed once
            warm = compiled | data
            warm.pop("PYTHONDONTWRITEBYTECODE")
            subprocess.run([sys.executable, "-c", CLI, "--help"], env=warm | {"PYTHONPATH": str(tree)},
                           capture_output=True, cwd=tree)
            first = subprocess.run([sys.executable, "-c", CLI, "ingest", str(seed)], capture_output=True,
                                   env=warm | {"PYTHONPATH": str(tree)}, cwd=tree)
            ingest_ok = ingest_ok and first.returncode == 0
        if ingest_ok:
            commands["ingest (unchanged)"] = ["ingest", str(seed)]
        else:
            print("model server not reachable: the re-ingest is left out\n")
        print(f"base {base_ref[:12]} vs working tree; median of {args.runs} runs, seconds")
        print(f"{'command':22} {'bytecode':9} {'base':>7} {'new':>7} {'new/base':>9}")
        for label, cmd in commands.items():
            for state, senv in states.items():
                result = {}
                for name, tree in trees.items():
                    result[name] = _time(tree, cmd, senv | {"ASSISTANT_DATA_DIR": str(work / f"data-{name}")},
                                         args.runs)
                print(f"{label:22} {state:9} {result['base']:7.2f} {result['new']:7.2f} "
                      f"{result['new'] / result['base']:9.2f}")
        if ingest_ok:
            print(f"\nassistant ask {args.question!r} (working tree), median of {args.runs} runs, seconds")
            print(f"{'bytecode':9} {'start-up':>9} {'answer':>7} {'whole':>7} {'whole/(start-up+answer)':>24}")
            # one untimed ask: bytecode for the modules only `ask` imports, and the chat model loaded
            warm = compiled | {"ASSISTANT_DATA_DIR": str(work / "data-new")}
            warm.pop("PYTHONDONTWRITEBYTECODE")
            _ask(ROOT, args.question, warm, 1)
            for state, senv in states.items():
                print(_ask_row(state, senv | {"ASSISTANT_DATA_DIR": str(work / "data-new")}, args))
            _through_server(work, states, args)
            _through_background(work, states, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
