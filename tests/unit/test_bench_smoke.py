"""The bench machinery on a tiny configuration: workers, round-robin runner, report structure.

One round of a few operations with our client and the raw floor (the official SDK would need
its own virtualenv, made by `make bench`), against the test server.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from pathlib import Path

import pytest

from bench.cases import ALL_CASES, TARGET_WS_CALL, Case, case_by_id
from bench.report import summarize_case
from bench.runner import Endpoint, RunConfig, run
from tests.server import ServerInfo

SMOKE_CASES = {
    "ws-sync-query": 5,
    "http-async-query": 3,
    "ws-async-gather": 1,
    "embedded-async-create": 5,
}


def _tiny(case_id: str, n: int) -> Case:
    return dataclasses.replace(case_by_id(case_id), n=n, warmup=1)


def test_bench_runs_and_reports(server: ServerInfo, tmp_path: Path) -> None:
    config = RunConfig(
        cases=[_tiny(case_id, n) for case_id, n in SMOKE_CASES.items()],
        clients=("raw", "ours"),
        rounds=1,
        out_dir=tmp_path,
        plot=False,
        database=f"smoke_{uuid.uuid4().hex[:8]}",
        log=lambda message: None,
    )
    endpoint = Endpoint(server.ws_url, server.http_url, server.username, server.password)

    report = run(config, endpoint)

    assert [case["id"] for case in report["cases"]] == list(SMOKE_CASES)
    for case in report["cases"]:
        assert case["errors"] == {}, case["errors"]
        assert set(case["clients"]) == {"raw", "ours"}
        for client in case["clients"].values():
            assert client["rounds"] == 1
            assert client["cpu_us"]["median"] > 0
            assert client["wall_us"]["min"] > 0
        assert case["ratios"]["ours_vs_raw"]["median"] > 0
        assert case["ratios"]["official_vs_ours"] is None
        assert case["met"]["vs_raw"] in (True, False)
    assert report["machine"]["cores"]
    written = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert [case["id"] for case in written["cases"]] == list(SMOKE_CASES)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert markdown.startswith("| case | metric | raw | ours | official |")
    assert all(f"| {case_id} |" in markdown for case_id in SMOKE_CASES)
    assert "ws-async-gather (calls/s)" in markdown


def test_ratios_and_verdicts() -> None:
    case = Case("ws", "sync", "query", 100, 10, "cpu", TARGET_WS_CALL)
    samples = {
        client: [{"n": 100, "cpu_s": cpu, "wall_s": cpu * 3} for cpu in cpus]
        for client, cpus in {
            "raw": [0.010, 0.012, 0.011],
            "ours": [0.011, 0.013, 0.012],
            "official": [0.020, 0.018, 0.022],
        }.items()
    }

    summary = summarize_case(case, samples, {})

    raw = summary["clients"]["raw"]["cpu_us"]
    assert raw == pytest.approx({"median": 110.0, "min": 100.0, "max": 120.0})
    assert summary["ratios"]["ours_vs_raw"]["median"] == pytest.approx(120.0 / 110.0)
    assert summary["ratios"]["ours_vs_raw"]["min"] == pytest.approx(110.0 / 100.0)
    assert summary["ratios"]["official_vs_ours"]["median"] == pytest.approx(200.0 / 120.0)
    assert summary["met"] == {"vs_raw": True, "vs_official": True}


def test_every_case_id_is_unique_and_runnable_by_its_clients() -> None:
    ids = [case.id for case in ALL_CASES]
    assert len(ids) == len(set(ids))
    assert all(case.clients[:2] == ("raw", "ours") for case in ALL_CASES)
