"""`python -m surrealdb sql URL`: an interactive SurrealQL shell, like `surreal sql`, on any URL.

It works over WebSocket, HTTP and the embedded engine, so it also opens a `surrealkv://` file or
a `mem://` database that no `surreal` binary can reach. Interactive input has history and
multi-line statements (with `prompt-toolkit` when installed, else the `input()` line editor);
piped input runs as one script. Results print as SurrealQL values, as JSON (`--json`, for
scripts) or as tables (`--table`, with `rich`). A failed statement makes a piped run exit 1.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final, TextIO

import msgspec

from surrealdb.api_types import QueryResult
from surrealdb.connections import BlockingSurrealConnection
from surrealdb.errors import SurrealError
from surrealdb.factory import Surreal
from surrealdb.url import parse_url
from surrealdb.values import (
    Datetime,
    File,
    Geometry,
    OutOfRangeDatetime,
    Range,
    RecordID,
    SurrealNull,
    SurrealSet,
    Table,
    _format_literal,
    _format_object_key,
    _format_string,
)

__all__ = ["format_value", "is_complete", "run_sql_shell"]

HISTORY_FILE: Final = Path.home() / ".surrealdb_typed_history"
HELP: Final = """\
Type SurrealQL; a statement runs once it ends with ';' (it may span lines).
  :use NS [DB]     switch namespace (and database)
  :info            INFO FOR DB
  :timing on|off   show how long each query took
  :json on|off     print results as JSON
  :help            this text
  :quit            leave (also Ctrl-D); Ctrl-C drops the statement being typed or run"""


# --------------------------------------------------------------------------------------------
# Input: when a statement is complete
# --------------------------------------------------------------------------------------------


def is_complete(text: str) -> bool:
    """Whether the text ends a statement: a last ';' outside strings, comments and brackets.

    A heuristic for the prompt only; the server parses the statement and reports its errors.
    """
    depth = 0
    quote = ""
    last = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 2
                continue
            if char == quote:
                quote = ""
            index += 1
            continue
        if char in "'\"`⟨":
            quote = "⟩" if char == "⟨" else char
        elif (char == "-" and text.startswith("--", index)) or char == "#":
            end = text.find("\n", index)
            index = len(text) if end < 0 else end
            continue
        elif char == "/" and text.startswith("/*", index):
            end = text.find("*/", index + 2)
            index = len(text) if end < 0 else end + 2
            continue
        elif char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
        if not char.isspace():
            last = char
        index += 1
    return not quote and depth <= 0 and last == ";"


# --------------------------------------------------------------------------------------------
# Output: SurrealQL-style values, JSON, tables
# --------------------------------------------------------------------------------------------


def format_value(value: object, indent: int = 0) -> str:
    """A value as SurrealQL text (`person:ada`, `d'2024-...'`, `1h5m`), indented when large."""
    flat = _format_flat(value)
    if len(flat) + indent <= 100 or not isinstance(value, dict | list):
        return flat
    pad, inner = "\t" * indent, "\t" * (indent + 1)
    if isinstance(value, list):
        items = [inner + format_value(item, indent + 1) for item in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    fields = [
        f"{inner}{_format_object_key(key)}: {format_value(item, indent + 1)}"
        for key, item in value.items()
    ]
    return "{\n" + ",\n".join(fields) + "\n" + pad + "}"


def _format_flat(value: object) -> str:
    if value is None:
        return "NONE"
    if isinstance(value, SurrealNull):
        return "NULL"
    if isinstance(value, RecordID | Table):
        return str(value)
    if isinstance(value, str):
        return _format_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(_format_flat, value)) + "]"
    if isinstance(value, set | frozenset | SurrealSet):
        return "{" + ", ".join(map(_format_flat, value)) + "}"
    if isinstance(value, dict):
        if not value:
            return "{}"
        fields = (f"{_format_object_key(k)}: {_format_flat(v)}" for k, v in value.items())
        return "{ " + ", ".join(fields) + " }"
    if isinstance(value, bytes):
        return f'b"{value.hex().upper()}"'
    if isinstance(value, Range):
        return str(value)
    if isinstance(value, File | Geometry):
        return repr(value)
    return _format_literal(value)  # numbers, datetimes, durations, uuids, decimals


def _json_default(value: object) -> object:
    """msgspec's `enc_hook` for `--json`: SurrealDB values as their SurrealQL text."""
    if isinstance(value, SurrealNull):
        return None
    if isinstance(value, Datetime | OutOfRangeDatetime):
        return value.dt if isinstance(value, Datetime) else str(value)
    if isinstance(value, set | frozenset | SurrealSet):
        return list(value)
    return str(value)  # record ids, durations, decimals, uuids... as their text


def _to_json(value: object) -> str:
    return msgspec.json.encode(value, enc_hook=_json_default, order="sorted").decode()


def _print_table(value: object, out: TextIO) -> bool:
    """Rows (a list of objects) as a `rich` table; False when the value is not rows or
    rich is not installed."""
    if not (isinstance(value, list) and value and all(isinstance(row, dict) for row in value)):
        return False
    try:
        from rich.console import Console
        from rich.table import Table as RichTable
    except ImportError:
        return False
    columns: list[str] = []
    for row in value:
        columns.extend(key for key in row if key not in columns)
    table = RichTable(*columns)
    for row in value:
        table.add_row(*(format_value(row[c]) if c in row else "" for c in columns))
    Console(file=out, soft_wrap=True).print(table)
    return True


# --------------------------------------------------------------------------------------------
# The shell
# --------------------------------------------------------------------------------------------


class SqlShell:
    """One shell session on a connection: runs statements and `:commands`, prints results."""

    def __init__(
        self,
        db: BlockingSurrealConnection,
        out: TextIO,
        err: TextIO,
        *,
        as_json: bool,
        as_table: bool,
    ) -> None:
        self.db = db
        self.out = out
        self.err = err
        self.as_json = as_json
        self.as_table = as_table
        self.timing = False
        self.namespace: str | None = None
        self.database: str | None = None

    @property
    def prompt(self) -> str:
        where = "/".join(part for part in (self.namespace, self.database) if part)
        return f"{where}> " if where else "> "

    def use(self, namespace: str | None, database: str | None) -> None:
        self.db.use(namespace, database)
        self.namespace = namespace or self.namespace
        self.database = database or self.database

    def run(self, text: str) -> bool:
        """Run a line of input (statements or a `:command`); False when a statement failed."""
        stripped = text.strip()
        if not stripped:
            return True
        if stripped.startswith(":"):
            return self.command(stripped[1:].split())
        started = time.perf_counter()
        try:
            results = self.db.query_results(text)
        except SurrealError as exc:
            print(f"error: {exc}", file=self.err)
            return False
        elapsed = time.perf_counter() - started
        return self.show(results, elapsed)

    def show(self, results: list[QueryResult], elapsed: float) -> bool:
        ok = True
        for index, result in enumerate(results, 1):
            if len(results) > 1:
                print(
                    f"-- Query {index}" + (f" ({result.time})" if self.timing else ""),
                    file=self.out,
                )
            if result.status != "OK":
                ok = False
                print(f"error: {result.result}", file=self.err)
            elif self.as_json:
                print(_to_json(result.result), file=self.out)
            elif not (self.as_table and _print_table(result.result, self.out)):
                print(format_value(result.result), file=self.out)
        if self.timing:
            print(f"-- {elapsed * 1000:.1f} ms", file=self.out)
        self.out.flush()
        return ok

    def command(self, words: list[str]) -> bool:
        name, args = (words[0].lower(), words[1:]) if words else ("help", [])
        if name in ("help", "h", "?"):
            print(HELP, file=self.out)
        elif name == "use" and 1 <= len(args) <= 2:
            try:
                self.use(args[0], args[1] if len(args) > 1 else None)
            except SurrealError as exc:
                print(f"error: {exc}", file=self.err)
                return False
        elif name == "info":
            return self.run("INFO FOR DB;")
        elif name in ("timing", "json") and args and args[0].lower() in ("on", "off"):
            setattr(self, "timing" if name == "timing" else "as_json", args[0].lower() == "on")
        elif name in ("quit", "exit", "q"):
            raise EOFError
        else:
            print(f"unknown command :{' '.join(words)} (:help lists them)", file=self.err)
            return False
        return True


def _lines_interactive(shell: SqlShell) -> Iterator[str]:
    """Lines typed at a terminal, with prompt-toolkit's history and editing when installed."""
    try:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory, History, InMemoryHistory
    except ImportError:
        read: Callable[[str], str] = input
    else:
        history: History = InMemoryHistory()
        try:  # kept between sessions when the home directory can hold it
            HISTORY_FILE.touch(exist_ok=True)
            history = FileHistory(str(HISTORY_FILE))
        except OSError:
            pass
        session: PromptSession[str] = PromptSession(history=history)
        read = session.prompt
    buffer = ""
    while True:
        try:
            line = read(shell.prompt if not buffer else "... ")
        except KeyboardInterrupt:
            buffer = ""  # Ctrl-C drops what was typed, and keeps the shell
            continue
        text = f"{buffer}\n{line}" if buffer else line
        if text.strip().startswith(":") or not text.strip() or is_complete(text):
            buffer = ""
            yield text
        else:
            buffer = text


def run_sql_shell(
    url: str,
    *,
    namespace: str | None = None,
    database: str | None = None,
    username: str | None = None,
    password: str | None = None,
    as_json: bool = False,
    as_table: bool = False,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The `sql` command. Piped input runs as one script: exit 1 if a statement failed."""
    source = stdin if stdin is not None else sys.stdin
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    if (username is None) != (password is None):
        print("give both --user and --pass (or SURREALDB_USER and SURREALDB_PASS)", file=err)
        return 2
    try:
        embedded = parse_url(url).kind == "embedded"
        db = Surreal(url)
    except SurrealError as exc:
        print(f"error: {exc}", file=err)
        return 2
    try:
        db.connect()
    except SurrealError as exc:
        print(f"error: {exc}", file=err)
        return 1
    try:
        return _session(
            db,
            url,
            embedded,
            namespace,
            database,
            username,
            password,
            source,
            out,
            err,
            as_json=as_json,
            as_table=as_table,
        )
    finally:
        db.close()


def _session(
    db: BlockingSurrealConnection,
    url: str,
    embedded: bool,
    namespace: str | None,
    database: str | None,
    username: str | None,
    password: str | None,
    source: TextIO,
    out: TextIO,
    err: TextIO,
    *,
    as_json: bool,
    as_table: bool,
) -> int:
    """Sign in, choose the database, then run the piped script or the interactive loop."""
    shell = SqlShell(db, out, err, as_json=as_json, as_table=as_table)
    try:
        if username is not None and password is not None and not embedded:
            db.signin({"username": username, "password": password})
        if namespace or database:
            shell.use(namespace, database)
    except SurrealError as exc:
        print(f"error: {exc}", file=err)
        return 1
    if not source.isatty():
        return 0 if shell.run(source.read()) else 1
    print(f"Connected to {url}. :help for help, Ctrl-D to leave.", file=out)
    try:
        for text in _lines_interactive(shell):
            try:
                shell.run(text)
            except KeyboardInterrupt:
                print("cancelled (the server may still finish the statement)", file=err)
    except EOFError:
        pass
    return 0
