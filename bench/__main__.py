"""`python -m bench`: run the whole benchmark (see bench/runner.py)."""

from bench.runner import main

main()
