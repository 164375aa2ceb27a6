"""Profile one case of one client with py-spy: `python -m bench.profiling ws-sync-query`.

Starts the test gateway and seeds it (or uses `--ws-url`/`--http-url`), runs the worker under
`py-spy record` (installed into bench/.venv-official on first use; it samples any interpreter),
and prints where the samples fall: the functions with the most samples on the stack (inclusive)
and at the top of it (self), by file. `--out` keeps the raw collapsed stacks (py-spy's `raw`
format, for flamegraph.pl or speedscope).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.cases import case_by_id
from bench.runner import (
    OFFICIAL_VENV,
    ROOT,
    Endpoint,
    RunConfig,
    ensure_official_venv,
    log_to_stderr,
    pip_install,
    seed,
    url_for,
    venv_python,
)


def py_spy() -> Path:
    """The py-spy binary, installed into the bench's virtualenv on first use."""
    binary = OFFICIAL_VENV / "bin" / "py-spy"
    if not binary.exists():
        if not venv_python(OFFICIAL_VENV).exists():
            subprocess.run([sys.executable, "-m", "venv", str(OFFICIAL_VENV)], check=True)
        installed = pip_install(OFFICIAL_VENV, "py-spy")
        if installed.returncode != 0:
            raise SystemExit(f"could not install py-spy: {installed.stderr.strip()[-300:]}")
    return binary


def summarize(collapsed: str, top: int = 25) -> str:
    """The inclusive and self sample counts per function of py-spy's collapsed stacks."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(frame) for frame in stack.split(";")]
        if _is_startup(frames):
            continue
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    if total == 0:
        return "no samples"
    lines = [f"{total} samples (imports left out)", "", "inclusive (on the stack):"]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in inclusive.most_common(top)]
    lines += ["", "self (top of the stack):"]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in own.most_common(top)]
    return "\n".join(lines)


def _is_startup(frames: list[str]) -> bool:
    """Importing modules, outside the timed loop (a failed import inside it still counts)."""
    if any(frame.startswith(("measure ", "measure_async ")) for frame in frames):
        return False
    return any(frame.startswith(("_find_and_load ", "import_module (")) for frame in frames)


def _short(frame: str) -> str:
    """`func (/long/path/site-packages/pkg/mod.py:12)` -> `func (pkg/mod.py)`."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/src/", "/work/main/", "/lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})" if path else name


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profiling", description=__doc__)
    parser.add_argument("case", help="a case id, e.g. ws-sync-query")
    parser.add_argument("--client", default="ours", choices=["ours", "raw", "official"])
    parser.add_argument("--n", type=int, help="timed operations (default: 3x the case's)")
    parser.add_argument("--rate", type=int, default=1000, help="samples per second")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", type=Path, help="also write the collapsed stacks here")
    parser.add_argument("--ws-url")
    parser.add_argument("--http-url")
    options = parser.parse_args(argv)
    case = case_by_id(options.case)
    case = dataclasses.replace(case, n=options.n or case.n * 3)
    python: Path | str | None = sys.executable
    if options.client == "official":
        python, note = ensure_official_venv(log_to_stderr)
        if python is None:
            raise SystemExit(note)
    server = None
    if options.ws_url and options.http_url:
        endpoint = Endpoint(options.ws_url, options.http_url)
    else:
        sys.path.insert(0, str(ROOT))
        from tests.server import start_gateway

        server = start_gateway()
        endpoint = Endpoint(server.info.ws_url, server.info.http_url)
    config = RunConfig(cases=[case])
    try:
        seed(endpoint, config.namespace, config.database)
        with tempfile.TemporaryDirectory() as scratch:
            collapsed_path = options.out or Path(scratch) / "stacks.txt"
            command = [
                str(py_spy()), "record", "--gil", "--nonblocking", "--format", "raw",
                "--rate", str(options.rate),
                "--output", str(collapsed_path), "--",
                str(python), "-m", "bench.worker", "--client", options.client,
                "--case", case.id, "--n", str(case.n), "--warmup", str(case.warmup),
                "--url", url_for(case, endpoint),
            ]  # fmt: skip
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"py-spy failed: {done.stderr.strip()[-500:]}")
            print(done.stdout.strip().splitlines()[-1])
            print(summarize(collapsed_path.read_text(encoding="utf-8"), options.top))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
