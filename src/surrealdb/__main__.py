"""`python -m surrealdb demo [URL]`: a short tour of the client, embedded or on a server."""

from __future__ import annotations

import argparse
import sys

from surrealdb.demo import run_demo


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    parser = argparse.ArgumentParser(prog="python -m surrealdb")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="connect, write, read and query, printing each step")
    demo.add_argument("url", nargs="?", default="mem://", help="where to connect (default mem://)")
    demo.add_argument("--username", default="root", help="root user for a server (default root)")
    demo.add_argument("--password", default="root", help="its password (default root)")
    args = parser.parse_args(argv)
    return run_demo(args.url, args.username, args.password)


if __name__ == "__main__":
    sys.exit(main())
