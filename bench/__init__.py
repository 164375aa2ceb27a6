"""The benchmark suite: our client against a raw floor and the official SDK, in one run.

`python -m bench` (or `make bench`) starts the test gateway, seeds it, runs every case with each
client in its own interpreter (`python -m bench.worker ...`), round-robin over several rounds,
and writes `bench/results/report.{md,json}` and `ratios.png`. See docs/performance.md.

This package must stay importable by the official SDK's interpreter too (which has its own
`surrealdb`), so nothing here imports our client at module level except `bench.clients.ours`.
"""
