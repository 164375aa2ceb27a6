"""`python -m surrealdb demo [URL]`: a short tour of the client, embedded or on a server.

`python -m surrealdb models --url URL --ns NS --db DB [-o FILE [--check]]`: msgspec models of
the database's SCHEMAFULL tables (needs `pip install 'surrealdb-typed[models]'`); `--check`
fails with the diff when the file no longer matches the schema.

`python -m surrealdb sql URL`: an interactive SurrealQL shell (or a script piped in).
"""

from __future__ import annotations

import argparse
import os
import sys

from surrealdb.demo import run_demo
from surrealdb.models import run_models_command
from surrealdb.shell import run_sql_shell

DESCRIPTION = """\
The command line of surrealdb-typed, a typed Python client for SurrealDB 3.x
(WebSocket, HTTP or the embedded engine): a tour of the client, a SurrealQL
shell, and msgspec models generated from a database's schema."""

EXAMPLES = """\
examples:
  python -m surrealdb demo                           in memory, no server needed
  python -m surrealdb demo ws://localhost:8000/rpc   against a server, as root
  python -m surrealdb sql surrealkv://data --ns app --db app   a shell on a database file
  echo "INFO FOR DB;" | python -m surrealdb sql mem://   a script, exit 1 if a statement fails
  python -m surrealdb models --url ws://localhost:8000/rpc --ns app --db app -o models.py

`python -m surrealdb COMMAND --help` describes a command."""


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    parser = argparse.ArgumentParser(
        prog="python -m surrealdb",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=DESCRIPTION,
        epilog=EXAMPLES,
    )
    commands = parser.add_subparsers(dest="command", required=True, title="commands")
    demo = commands.add_parser(
        "demo",
        help="connect, write, read and query, printing each step",
        description="A short tour of the client: connect, sign in (servers only), create, "
        "select, merge and query records in the `demo` namespace, printing each step. It empties "
        "its `person` table first, so it can be run again.",
    )
    demo.add_argument("url", nargs="?", default="mem://", help="where to connect (default mem://)")
    demo.add_argument("--username", default="root", help="root user for a server (default root)")
    demo.add_argument("--password", default="root", help="its password (default root)")
    sql = commands.add_parser(
        "sql",
        help="an interactive SurrealQL shell on any URL (or run a script from a pipe)",
        description="A SurrealQL shell like `surreal sql`, over ws://, http:// or an embedded "
        "URL (mem://, surrealkv://PATH). A statement runs once it ends with ';'; :help lists the "
        "shell's commands. Piped input runs as one script and exits 1 if a statement failed.",
    )
    sql.add_argument("url", nargs="?", default="mem://", help="where to connect (default mem://)")
    sql.add_argument(
        "--ns", default=os.environ.get("SURREALDB_NS"), help="namespace ($SURREALDB_NS)"
    )
    sql.add_argument(
        "--db", default=os.environ.get("SURREALDB_DB"), help="database ($SURREALDB_DB)"
    )
    sql.add_argument(
        "--user", default=os.environ.get("SURREALDB_USER"), help="root user ($SURREALDB_USER)"
    )
    sql.add_argument(
        "--pass",
        dest="password",
        default=os.environ.get("SURREALDB_PASS"),
        help="its password ($SURREALDB_PASS; prefer it to the command line)",
    )
    output = sql.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print results as JSON")
    output.add_argument("--table", action="store_true", help="print rows as tables (needs rich)")
    models = commands.add_parser(
        "models",
        help="generate msgspec models from a database's schema",
        description="Read the SCHEMAFULL tables of a database (INFO FOR DB / TABLE STRUCTURE) "
        "and write msgspec.Struct models for them, generated with datamodel-code-generator. "
        "Rerun it after a schema change: the file only changes when the schema did.",
    )
    models.add_argument("--url", required=True, help="ws://, http:// or an embedded URL")
    models.add_argument("--ns", required=True, help="the namespace")
    models.add_argument("--db", required=True, help="the database")
    models.add_argument("-o", "--output", help="the file to write (default: standard output)")
    models.add_argument(
        "--check",
        action="store_true",
        help="write nothing: exit 1 and print the diff when the file given with -o is not what "
        "the schema gives now (for CI)",
    )
    models.add_argument(
        "--username",
        default=os.environ.get("SURREALDB_USER"),
        help="a root, namespace or database user (default: $SURREALDB_USER, else no sign-in)",
    )
    models.add_argument(
        "--password",
        default=os.environ.get("SURREALDB_PASS"),
        help="its password (default: $SURREALDB_PASS)",
    )
    models.add_argument(
        "--table",
        action="append",
        dest="tables",
        metavar="NAME",
        help="only this table (repeat for more; SCHEMALESS tables allowed)",
    )
    args = parser.parse_args(argv)
    if args.command == "models":
        return run_models_command(
            url=args.url,
            namespace=args.ns,
            database=args.db,
            output=args.output,
            check=args.check,
            username=args.username,
            password=args.password,
            tables=args.tables,
        )
    if args.command == "sql":
        return run_sql_shell(
            args.url,
            namespace=args.ns,
            database=args.db,
            username=args.user,
            password=args.password,
            as_json=args.json,
            as_table=args.table,
        )
    return run_demo(args.url, args.username, args.password)


if __name__ == "__main__":
    sys.exit(main())
