"""One client, one case, in this interpreter: `python -m bench.worker --client ours --case ...`.

Prints one JSON line: {"client", "case", "n", "cpu_s", "wall_s", "python", ...}.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
from collections.abc import Sequence

from bench.clients.common import Measurement, WorkerArgs


def parse_args(argv: Sequence[str] | None = None) -> WorkerArgs:
    parser = argparse.ArgumentParser(prog="python -m bench.worker", description=__doc__)
    parser.add_argument("--client", required=True, choices=["raw", "ours", "official"])
    parser.add_argument("--case", required=True, help="e.g. ws-sync-query (see bench/cases.py)")
    parser.add_argument("--n", type=int, required=True, help="timed operations")
    parser.add_argument("--warmup", type=int, default=10, help="untimed operations first")
    parser.add_argument("--url", required=True, help="ws://.../rpc, http://..., or mem://")
    parser.add_argument("--user", default="root")
    parser.add_argument("--password", default="root")
    parser.add_argument("--ns", default="bench")
    parser.add_argument("--db", default="bench")
    options = parser.parse_args(argv)
    return WorkerArgs(
        client=options.client,
        case=options.case,
        n=options.n,
        warmup=options.warmup,
        url=options.url,
        user=options.user,
        password=options.password,
        namespace=options.ns,
        database=options.db,
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    module = importlib.import_module(f"bench.clients.{args.client}")
    measurement: Measurement = module.run(args)
    print(
        json.dumps(
            {
                "client": args.client,
                "case": args.case,
                "n": measurement.n,
                "cpu_s": measurement.cpu_s,
                "wall_s": measurement.wall_s,
                "python": platform.python_version(),
                "extra": measurement.extra or {},
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
