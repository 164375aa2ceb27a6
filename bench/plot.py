"""Draw bench/results/ratios.png from report.json: `python -m bench.plot REPORT.json OUT.png`.

Runs in whichever interpreter has matplotlib (the runner finds or installs one); it imports
nothing else from the bench.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any


def plot(report: dict[str, Any], png: Path) -> None:
    matplotlib: Any = importlib.import_module("matplotlib")
    matplotlib.use("Agg")
    plt: Any = importlib.import_module("matplotlib.pyplot")

    cases = [c for c in report["cases"] if c["ratios"]["ours_vs_raw"] is not None]
    labels = [f"{c['id']} ({c['metric']})" for c in cases]
    ours = [c["ratios"]["ours_vs_raw"]["median"] for c in cases]
    official = [
        None if c["ratios"]["official_vs_raw"] is None else c["ratios"]["official_vs_raw"]["median"]
        for c in cases
    ]
    height = 0.38
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(cases) + 1.6))
    positions = list(range(len(cases)))
    ax.barh([p - height / 2 for p in positions], ours, height, label="ours / raw", color="#2b7bba")
    ax.barh(
        [p + height / 2 for p in positions],
        [value or 0 for value in official],
        height,
        label="official SDK / raw",
        color="#f0a030",
    )
    for position, case in zip(positions, cases, strict=True):
        target = case["target"]
        if target and target["vs_raw"] is not None:
            ax.plot(
                [target["vs_raw"]] * 2,
                [position - height, position],
                color="#c0392b",
                linewidth=2,
                label="target for ours" if position == 0 else None,
            )
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_yticks(positions)
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("time / raw floor's time (median of rounds; log scale; lower is better)")
    ax.set_title(f"Client cost relative to the raw floor ({report['rounds']} rounds)")
    handles, names = ax.get_legend_handles_labels()
    ax.legend(handles, names, loc="lower right", fontsize=8)
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def main() -> None:
    report_path, png = Path(sys.argv[1]), Path(sys.argv[2])
    plot(json.loads(report_path.read_text(encoding="utf-8")), png)


if __name__ == "__main__":
    main()
