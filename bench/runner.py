"""The bench run: one server, seeded once, every case with every client, round-robin.

`python -m bench [--rounds 5] [--scale 1.0] [--cases ws-*,codec-*] [--no-official] [--no-plot]`

Each (round, case, client) is one `python -m bench.worker` subprocess: ours and the raw floor
in the project's interpreter, the official SDK in bench/.venv-official (made on first run).
The order of the clients rotates from round to round, so none always runs first or last.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.cases import ALL_CASES, DATABASE, NAMESPACE, SEED_SQL, Case
from bench.clients.common import WorkerArgs
from bench.report import build_report, write_outputs

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
OFFICIAL_VENV = BENCH_DIR / ".venv-official"
OFFICIAL_SPEC = "surrealdb==2.0.0"
DEFAULT_OUT = BENCH_DIR / "results"
WORKER_TIMEOUT = 180.0

Log = Callable[[str], None]


def log_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class RunConfig:
    """What to run: the cases (already scaled), the clients, the rounds, where to write."""

    cases: list[Case]
    clients: tuple[str, ...] = ("raw", "ours", "official")
    rounds: int = 5
    out_dir: Path = DEFAULT_OUT
    plot: bool = True
    namespace: str = NAMESPACE
    database: str = DATABASE
    log: Log = field(default=log_to_stderr)


@dataclass(frozen=True)
class Endpoint:
    """The server the network cases talk to."""

    ws_url: str
    http_url: str
    username: str = "root"
    password: str = "root"


# -- the official SDK's virtualenv -------------------------------------------------------------


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def pip_install(venv: Path, *packages: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(venv_python(venv)),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--retries",
            "2",
            "--timeout",
            "30",
            *packages,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )


def _installed_version(venv: Path, distribution: str) -> str | None:
    python = venv_python(venv)
    if not python.exists():
        return None
    probe = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({distribution!r}))"],
        capture_output=True,
        text=True,
    )
    return probe.stdout.strip() if probe.returncode == 0 else None


def ensure_official_venv(log: Log, venv: Path = OFFICIAL_VENV) -> tuple[Path | None, str]:
    """The official SDK's interpreter (made on first use), or None and why not."""
    wanted = OFFICIAL_SPEC.split("==")[1]
    if _installed_version(venv, "surrealdb") == wanted:
        return venv_python(venv), f"surrealdb {wanted} (in {venv.relative_to(ROOT)})"
    log(f"installing the official SDK ({OFFICIAL_SPEC}) into {venv.relative_to(ROOT)} ...")
    try:
        if not venv_python(venv).exists():
            subprocess.run(
                [sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True
            )
        result = pip_install(venv, OFFICIAL_SPEC)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"could not install {OFFICIAL_SPEC}: {exc}"
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip().splitlines()
        tail = [line for line in output if line.startswith("ERROR")][-2:] or output[-2:]
        return None, f"could not install {OFFICIAL_SPEC}: {' / '.join(tail)}"
    return venv_python(venv), f"surrealdb {wanted} (in {venv.relative_to(ROOT)})"


# -- the server ----------------------------------------------------------------------------------


def seed(endpoint: Endpoint, namespace: str, database: str) -> str:
    """Create the tables and the 2,000 rows; return the server's version string."""
    from bench.clients.raw import SyncWs

    args = WorkerArgs(
        "raw",
        "ws-sync-seed",
        0,
        0,
        endpoint.ws_url,
        endpoint.username,
        endpoint.password,
        namespace,
        database,
    )
    ws = SyncWs(args)
    try:
        statements = ws.call("query", [SEED_SQL])
        failed = [s for s in statements if s.get("status") != "OK"]
        if failed:
            raise RuntimeError(f"seeding failed: {failed[0].get('result')}")
        version: str = ws.call("version", [])
        return version
    finally:
        ws.close()


# -- running workers -------------------------------------------------------------------------------


def url_for(case: Case, endpoint: Endpoint) -> str:
    if case.transport == "ws":
        return endpoint.ws_url
    if case.transport == "embedded":
        return "mem://"
    return endpoint.http_url  # http, and the codec case fetches its input over HTTP


def run_worker(
    python: Path | str, client: str, case: Case, endpoint: Endpoint, config: RunConfig
) -> dict[str, Any]:
    """Run one worker; its JSON line, or {"error": ...}."""
    command = [
        str(python), "-m", "bench.worker",
        "--client", client,
        "--case", case.id,
        "--n", str(case.n),
        "--warmup", str(case.warmup),
        "--url", url_for(case, endpoint),
        "--user", endpoint.username,
        "--password", endpoint.password,
        "--ns", config.namespace,
        "--db", config.database,
    ]  # fmt: skip
    # The bench package, and our sources whether or not our client is installed; never our
    # sources for the official SDK, which is imported as `surrealdb` too.
    paths = [str(ROOT)] if client == "official" else [str(ROOT), str(ROOT / "src")]
    path = os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=WORKER_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {WORKER_TIMEOUT:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    stderr_lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    if not lines:
        return {"error": f"exit {done.returncode}: {' '.join(stderr_lines[-1:]) or 'no output'}"}
    result: dict[str, Any] = json.loads(lines[-1])
    if done.returncode != 0:  # it crashed after reporting: keep the measurement, say so
        result["exit_note"] = (
            f"exit {done.returncode} after reporting its measurement: {' '.join(stderr_lines[:3])}"
        )
    return result


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb: float | None = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    node = shutil.which("node")
    node_version = (
        subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
        if node
        else None
    )
    versions: dict[str, str | None] = {}
    for name in (
        "surrealdb-typed",
        "cbor2",
        "websockets",
        "h11",
        "msgspec",
        "surrealdb-embedded",
    ):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "client_source": _source_state(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "node": node_version,
        "packages": versions,
    }


def _load_average() -> float | None:
    """The 1-minute load average: other work on the machine skews the numbers."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _source_state() -> str:
    """The commit of the client measured, and whether src/ had uncommitted changes."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    head = subprocess.run(
        [git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        [git, "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return f"{head or 'unknown'}{' + uncommitted changes in src/' if dirty else ''}"


def run(config: RunConfig, endpoint: Endpoint | None = None) -> dict[str, Any]:
    """Run the bench (starting the test gateway unless `endpoint` is given); the report."""
    started = time.perf_counter()
    log = config.log
    interpreters: dict[str, Path | str | None] = {"raw": sys.executable, "ours": sys.executable}
    official_note = "not requested"
    if "official" in config.clients:
        interpreters["official"], official_note = ensure_official_venv(log)
        if interpreters["official"] is None:
            log(f"the official SDK is left out: {official_note}")
    server = None
    if endpoint is None:
        sys.path.insert(0, str(ROOT))
        from tests.server import start_gateway

        server = start_gateway()
        endpoint = Endpoint(server.info.ws_url, server.info.http_url)
    load_before = _load_average()
    samples: dict[str, dict[str, list[dict[str, Any]]]] = {}
    errors: dict[str, dict[str, str]] = {}
    notes: dict[str, dict[str, str]] = {}
    failures: dict[tuple[str, str], int] = {}
    try:
        server_version = seed(endpoint, config.namespace, config.database)
        log(
            f"server {server_version} at {endpoint.ws_url}; {len(config.cases)} cases,"
            f" {config.rounds} rounds"
        )
        for round_index in range(config.rounds):
            for case_index, case in enumerate(config.cases):
                clients = [c for c in config.clients if c in case.clients]
                shift = (round_index + case_index) % max(1, len(clients))
                clients = clients[shift:] + clients[:shift]
                parts = []
                for client in clients:
                    python = interpreters.get(client)
                    if python is None or failures.get((case.id, client), 0) >= 2:
                        continue  # a client that failed a case twice is left out of it
                    result = run_worker(python, client, case, endpoint, config)
                    if "error" in result:
                        errors.setdefault(case.id, {})[client] = result["error"]
                        failures[case.id, client] = failures.get((case.id, client), 0) + 1
                        parts.append(f"{client} FAILED")
                        continue
                    if "exit_note" in result:
                        notes.setdefault(case.id, {})[client] = result["exit_note"]
                    samples.setdefault(case.id, {}).setdefault(client, []).append(result)
                    value = result["cpu_s" if case.metric == "cpu" else "wall_s"] / result["n"]
                    parts.append(f"{client} {value * 1e6:,.1f}")
                log(
                    f"[{round_index + 1}/{config.rounds}] {case.id:<22} {case.metric} µs/op: "
                    + ", ".join(parts)
                )
    finally:
        if server is not None:
            server.stop()
    machine = machine_info()
    machine["load_average"] = {"start": load_before, "end": _load_average()}
    report = build_report(
        config.cases,
        samples,
        errors,
        notes=notes,
        rounds=config.rounds,
        machine=machine,
        server_version=server_version,
        official=official_note,
        duration_s=time.perf_counter() - started,
    )
    write_outputs(report, config.out_dir, plot=config.plot, log=log)
    return report


def select_cases(patterns: str | None, scale: float) -> list[Case]:
    """The cases whose ids match one of the comma-separated glob patterns, scaled."""
    cases = list(ALL_CASES)
    if patterns:
        wanted = [p.strip() for p in patterns.split(",") if p.strip()]
        cases = [c for c in cases if any(fnmatch.fnmatchcase(c.id, p) for p in wanted)]
        if not cases:
            raise SystemExit(f"no case matches {patterns!r}; known: {[c.id for c in ALL_CASES]}")
    return [c.scaled(scale) if scale != 1.0 else c for c in cases]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every case's n")
    parser.add_argument("--cases", help="comma-separated globs of case ids, e.g. 'ws-*,codec-*'")
    parser.add_argument("--clients", default="raw,ours,official", help="default: all three")
    parser.add_argument("--no-official", action="store_true", help="same as leaving it out")
    parser.add_argument("--no-plot", action="store_true", help="skip ratios.png")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default bench/results")
    options = parser.parse_args(argv)
    clients = tuple(c.strip() for c in options.clients.split(",") if c.strip())
    if options.no_official:
        clients = tuple(c for c in clients if c != "official")
    config = RunConfig(
        cases=select_cases(options.cases, options.scale),
        clients=clients,
        rounds=options.rounds,
        out_dir=options.out,
        plot=not options.no_plot,
    )
    report = run(config)
    print(report["markdown"])
