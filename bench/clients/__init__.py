"""The three clients a case runs with: `raw` (the floor), `ours` and `official`.

Each module has `run(args) -> Measurement` and is imported only by the worker that runs it.
"""
