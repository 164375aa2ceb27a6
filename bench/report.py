"""From the workers' samples to the report: statistics, ratios, targets, markdown, JSON, PNG."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bench.cases import GATHER_CALLS, Case

Log = Callable[[str], None]

_OP_UNITS = {
    "query": ("µs/call", 1.0),
    "create": ("µs/call", 1.0),
    "select": ("ms/select", 1e-3),
    "decode": ("ms/decode", 1e-3),
    "gather": (f"ms/{GATHER_CALLS:,} calls", 1e-3),
    "live": ("µs/notification", 1.0),
}


def _stats(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def _ratio(
    top: dict[str, float] | None, bottom: dict[str, float] | None
) -> dict[str, float] | None:
    if top is None or bottom is None or bottom["median"] <= 0 or bottom["min"] <= 0:
        return None
    return {"median": top["median"] / bottom["median"], "min": top["min"] / bottom["min"]}


def summarize_case(
    case: Case,
    samples: Mapping[str, list[dict[str, Any]]],
    errors: Mapping[str, str],
    notes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One case's statistics (per operation, in µs), ratios and target verdicts."""
    clients: dict[str, Any] = {}
    for client, runs in samples.items():
        cpu = [run["cpu_s"] / run["n"] * 1e6 for run in runs]
        wall = [run["wall_s"] / run["n"] * 1e6 for run in runs]
        user = [run.get("extra", {}).get("user_s", 0.0) / run["n"] * 1e6 for run in runs]
        system = [run.get("extra", {}).get("system_s", 0.0) / run["n"] * 1e6 for run in runs]
        clients[client] = {
            "rounds": len(runs),
            "cpu_us": _stats(cpu),
            "wall_us": _stats(wall),
            "user_us_median": statistics.median(user),  # os.times(): 10 ms ticks, coarse
            "system_us_median": statistics.median(system),
            "samples": [{"cpu_us": c, "wall_us": w} for c, w in zip(cpu, wall, strict=True)],
        }
    key = "cpu_us" if case.metric == "cpu" else "wall_us"

    def metric(client: str, which: str = key) -> dict[str, float] | None:
        entry = clients.get(client)
        return None if entry is None else dict(entry[which])

    ours_vs_raw = _ratio(metric("ours"), metric("raw"))
    official_vs_ours = _ratio(metric("official"), metric("ours"))
    ratios = {
        "ours_vs_raw": ours_vs_raw,
        "official_vs_ours": official_vs_ours,
        "official_vs_raw": _ratio(metric("official"), metric("raw")),
        "other_metric": {
            "metric": "wall" if case.metric == "cpu" else "cpu",
            "ours_vs_raw": _ratio(*(metric(c, _other(key)) for c in ("ours", "raw"))),
            "official_vs_ours": _ratio(*(metric(c, _other(key)) for c in ("official", "ours"))),
        },
    }
    met: dict[str, bool | None] = {"vs_raw": None, "vs_official": None}
    target = case.target
    if target is not None:
        if target.vs_raw is not None and ours_vs_raw is not None:
            met["vs_raw"] = ours_vs_raw["median"] <= target.vs_raw
        if target.vs_official is not None and official_vs_ours is not None:
            met["vs_official"] = official_vs_ours["median"] >= target.vs_official
    unit, scale = _OP_UNITS[case.op]
    return {
        "id": case.id,
        "transport": case.transport,
        "flavour": case.flavour,
        "op": case.op,
        "n": case.n,
        "warmup": case.warmup,
        "metric": case.metric,
        "unit": unit,
        "unit_scale": scale,
        "target": None
        if target is None
        else {"label": target.label, "vs_raw": target.vs_raw, "vs_official": target.vs_official},
        "clients": clients,
        "errors": dict(errors),
        "notes": dict(notes or {}),
        "ratios": ratios,
        "met": met,
    }


def _other(key: str) -> str:
    return "wall_us" if key == "cpu_us" else "cpu_us"


def build_report(
    cases: list[Case],
    samples: Mapping[str, Mapping[str, list[dict[str, Any]]]],
    errors: Mapping[str, Mapping[str, str]],
    *,
    notes: Mapping[str, Mapping[str, str]] | None = None,
    rounds: int,
    machine: dict[str, Any],
    server_version: str,
    official: str,
    duration_s: float,
) -> dict[str, Any]:
    """The whole report as JSON-able data, with its markdown under "markdown"."""
    notes = notes or {}
    summaries = [
        summarize_case(c, samples.get(c.id, {}), errors.get(c.id, {}), notes.get(c.id, {}))
        for c in cases
    ]
    report: dict[str, Any] = {
        "rounds": rounds,
        "duration_s": round(duration_s, 1),
        "server": server_version,
        "official_sdk": official,
        "machine": machine,
        "cases": summaries,
    }
    report["markdown"] = render_markdown(report)
    return report


# -- markdown ------------------------------------------------------------------------------------


def _fmt(stats: dict[str, float] | None, scale: float) -> str:
    if stats is None:
        return "—"
    median, low = stats["median"] * scale, stats["min"] * scale
    digits = 0 if median >= 100 else 1 if median >= 10 else 2
    return f"{median:,.{digits}f} ({low:,.{digits}f})"


def _fmt_ratio(ratio: dict[str, float] | None) -> str:
    return "—" if ratio is None else f"{ratio['median']:.2f}x ({ratio['min']:.2f}x)"


def _verdict(value: bool | None) -> str:
    return "—" if value is None else "yes" if value else "**no**"


def _target_text(target: dict[str, Any] | None) -> tuple[str, str]:
    if target is None:
        return "—", "—"
    vs_raw = "—" if target["vs_raw"] is None else f"≤ {target['vs_raw']:.2f}x"
    vs_official = "—" if target["vs_official"] is None else f"≥ {target['vs_official']:.1f}x"
    return vs_raw, vs_official


def render_markdown(report: dict[str, Any]) -> str:
    lines = [
        "| case | metric | raw | ours | official | ours / raw | target | met"
        " | official / ours | target | met |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |",
    ]
    for case in report["cases"]:
        stats = {
            client: None if client not in case["clients"] else case["clients"][client][key]
            for client in ("raw", "ours", "official")
            for key in ["cpu_us" if case["metric"] == "cpu" else "wall_us"]
        }
        official = _fmt(stats["official"], case["unit_scale"])
        if "official" in case["errors"]:
            official = "failed"
        target_raw, target_official = _target_text(case["target"])
        metric = f"{'CPU' if case['metric'] == 'cpu' else 'wall'} {case['unit']}"
        lines.append(
            f"| {case['id']} | {metric} | {_fmt(stats['raw'], case['unit_scale'])}"
            f" | {_fmt(stats['ours'], case['unit_scale'])} | {official}"
            f" | {_fmt_ratio(case['ratios']['ours_vs_raw'])} | {target_raw}"
            f" | {_verdict(case['met']['vs_raw'])}"
            f" | {_fmt_ratio(case['ratios']['official_vs_ours'])} | {target_official}"
            f" | {_verdict(case['met']['vs_official'])} |"
        )
    lines += ["", "Median (min) over the rounds; ratios of medians (of mins).", ""]
    lines += _throughput_lines(report)
    lines += _errors_lines(report)
    lines += _machine_lines(report)
    return "\n".join(lines) + "\n"


def _throughput_lines(report: dict[str, Any]) -> list[str]:
    rows = [c for c in report["cases"] if c["op"] in ("gather", "live")]
    if not rows:
        return []
    lines = [
        "| throughput | raw | ours | official | ours / raw | client CPU per item: raw | ours"
        " | official |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for case in rows:
        per_op = GATHER_CALLS if case["op"] == "gather" else 1
        what = "calls/s" if case["op"] == "gather" else "notifications/s"
        rates: dict[str, float | None] = {}
        cpus: dict[str, str] = {}
        for client in ("raw", "ours", "official"):
            entry = case["clients"].get(client)
            rates[client] = None if entry is None else per_op * 1e6 / entry["wall_us"]["median"]
            cpus[client] = "—" if entry is None else f"{entry['cpu_us']['median'] / per_op:.1f} µs"
        raw_rate, ours_rate = rates["raw"], rates["ours"]
        ratio = "—" if raw_rate is None or ours_rate is None else f"{ours_rate / raw_rate:.2f}x"
        cells = ["—" if r is None else f"{r:,.0f}" for r in rates.values()]
        lines.append(
            f"| {case['id']} ({what}) | {' | '.join(cells)} | {ratio}"
            f" | {cpus['raw']} | {cpus['ours']} | {cpus['official']} |"
        )
    return [*lines, ""]


def _errors_lines(report: dict[str, Any]) -> list[str]:
    lines = [
        f"- {case['id']} / {client}: {message}"
        for case in report["cases"]
        for client, message in case["errors"].items()
    ]
    noted = [
        f"- {case['id']} / {client}: {message}"
        for case in report["cases"]
        for client, message in case.get("notes", {}).items()
    ]
    out = ["Failures (runs left out):", "", *lines, ""] if lines else []
    return [*out, "Notes (runs kept):", "", *noted, ""] if noted else out


def _machine_lines(report: dict[str, Any]) -> list[str]:
    machine = report["machine"]
    packages = ", ".join(f"{name} {version}" for name, version in machine["packages"].items())
    return [
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB;"
        f" {machine['os']}; Python {machine['python']}; Node {machine['node']}.",
        f"Server: test gateway ({report['server']}). Official SDK: {report['official_sdk']}."
        f" Our client: {machine.get('client_source', 'unknown')}.",
        f"Packages: {packages}.",
        f"{report['rounds']} rounds, {report['duration_s']} s; 1-minute load average"
        f" {_load(machine, 'start')} at the start, {_load(machine, 'end')} at the end"
        f" ({machine['cores']} cores).",
    ]


# -- files ---------------------------------------------------------------------------------------


def _load(machine: dict[str, Any], when: str) -> str:
    value = machine.get("load_average", {}).get(when)
    return "?" if value is None else f"{value:.2f}"


def write_outputs(report: dict[str, Any], out_dir: Path, *, plot: bool, log: Log) -> None:
    """report.md, report.json and (unless `plot` is False or matplotlib is missing) ratios.png."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.md").write_text(report["markdown"], encoding="utf-8")
    data = {key: value for key, value in report.items() if key != "markdown"}
    (out_dir / "report.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    if plot:
        message = make_plot(out_dir / "report.json", out_dir / "ratios.png", log)
        report["plot"] = message
        log(message)


def make_plot(report_json: Path, png: Path, log: Log) -> str:
    """Draw the ratios with matplotlib, from an interpreter that has it (installed on demand)."""
    from bench.runner import OFFICIAL_VENV, pip_install, venv_python

    candidates = [Path(sys.executable), venv_python(OFFICIAL_VENV)]
    python = next((p for p in candidates if p.exists() and _has_matplotlib(p)), None)
    if python is None:
        venv = OFFICIAL_VENV
        log(f"installing matplotlib into {venv.name} for the plot ...")
        try:
            if not venv_python(venv).exists():
                subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            installed = pip_install(venv, "matplotlib")
        except (OSError, subprocess.SubprocessError) as exc:
            return f"no plot: could not install matplotlib ({exc})"
        if installed.returncode != 0:
            return "no plot: could not install matplotlib: " + installed.stderr.strip()[-300:]
        python = venv_python(venv)
    done = subprocess.run(
        [str(python), "-m", "bench.plot", str(report_json), str(png)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return f"no plot: {done.stderr.strip()[-300:]}"
    return f"plot: {png}"


def _has_matplotlib(python: Path) -> bool:
    probe = subprocess.run([str(python), "-c", "import matplotlib"], capture_output=True)
    return probe.returncode == 0
