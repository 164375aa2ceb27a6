"""The small types of the public API: records, resources, tokens and raw query results."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, Generic, TypeAlias, TypedDict
from uuid import UUID

import msgspec
from typing_extensions import TypeVar

from surrealdb.errors import InvalidArgumentTypeError
from surrealdb.values import RecordID, Table

Record: TypeAlias = dict[str, Any]
"""One record as the server returns it: field names to values, with `id` a `RecordID`."""

Resource: TypeAlias = Table | RecordID | str
"""What record methods work on: a table (a `Table` or a table-name string) or one `RecordID`."""

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

RecordContent: TypeAlias = "Mapping[str, Any] | msgspec.Struct | DataclassInstance"
"""A record's content: a mapping (dict, TypedDict), or a msgspec Struct or dataclass instance."""

DumpFile: TypeAlias = "str | os.PathLike[str] | BinaryIO"
"""Where `export()` writes a dump and `import_()` reads one: a file path, or a binary stream."""

Progress: TypeAlias = Callable[[int], None]
"""Told the number of bytes transferred so far, after each chunk of an export or import."""


class ExportOptions(TypedDict, total=False):
    """The SurrealDB 3.x server's export options (`POST /export`); a key left out keeps the
    server's default (everything but `versions`)."""

    users: bool
    accesses: bool
    params: bool
    functions: bool
    analyzers: bool
    tables: bool | Sequence[str] | Mapping[str, Sequence[str]]
    """True: every table; False: none; a list of table names; `{"exclude": [names]}`."""
    versions: bool
    records: bool
    sequences: bool


class Tokens(str):
    """What `signin` and `signup` return: the access token (a JWT) and, when the access method
    issues one (`WITH REFRESH`), a refresh token.

    A `Tokens` is the access token's string itself, so code that uses the token as a `str`
    keeps working (`authenticate(tokens)`, `f"Bearer {tokens}"`), and it has the official
    SDK's `access` and `refresh` (either may be None, as there; the string is then empty
    without an access token). Read-only; equal `Tokens` have the same two tokens, and a
    `Tokens` equals the string of its access token. The repr hides both: they are
    credentials (`str()` is the access token, as with any string).
    """

    _access: str | None
    _refresh: str | None

    def __new__(cls, access: str | None = None, refresh: str | None = None) -> Tokens:
        for name, value in (("access", access), ("refresh", refresh)):
            if value is not None and not isinstance(value, str):
                raise InvalidArgumentTypeError(
                    f"Tokens({name}=...) must be a token string or None, got {type(value).__name__}"
                )
        tokens = super().__new__(cls, "" if access is None else access)
        object.__setattr__(tokens, "_access", None if access is None else str(access))
        object.__setattr__(tokens, "_refresh", None if refresh is None else str(refresh))
        return tokens

    @property
    def access(self) -> str | None:
        """The access token (a JWT), to `authenticate` with."""
        return self._access

    @property
    def refresh(self) -> str | None:
        """The refresh token, for `refresh` and `revoke`; None when none was issued."""
        return self._refresh

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Tokens are read-only: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Tokens are read-only: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Tokens):
            return self._access == other._access and self._refresh == other._refresh
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = str.__hash__

    def __getnewargs__(self) -> tuple[str | None, str | None]:  # type: ignore[override]
        return (self._access, self._refresh)

    def __repr__(self) -> str:
        access = "None" if self._access is None else "'<hidden>'"
        refresh = "None" if self._refresh is None else "'<hidden>'"
        return f"Tokens(access={access}, refresh={refresh})"


Token: TypeAlias = Tokens
"""What sign-in returns (the same as `Tokens`; the name stays for code annotated with it)."""


class QueryResult(msgspec.Struct, frozen=True):
    """The server's reply for one statement of a query.

    Attributes:
        status: `OK` or `ERR`.
        time: how long the statement took, as the server formats it (for example `95.2µs`).
        result: the statement's result, or the error message when `status` is `ERR`.
        kind: the error's kind when the statement failed.
        details: the error's structured details when the statement failed.
    """

    status: str
    time: str
    result: Any
    kind: str | None = None
    details: Any = None

    @property
    def ok(self) -> bool:
        """Whether the statement succeeded."""
        return self.status == "OK"


R = TypeVar("R", default=Any)
"""The type of a notification's record: Any, or the model given to `subscribe_live(into=)`."""


class LiveNotification(msgspec.Struct, Generic[R], frozen=True):
    """One change delivered to a live query.

    Attributes:
        live_id: the live query's id (what `live` returned).
        action: `CREATE`, `UPDATE`, `DELETE` or `KILLED`.
        record_id: the id of the record that changed.
        result: the record after the change (before it, for `DELETE`), or the JSON-Patch
            operations when the live query was started with `diff=True`.
        session: the server-side session the live query belongs to.
    """

    live_id: UUID
    action: str
    record_id: Any
    result: R
    session: UUID | None = None

    # The official SDK yields each notification's record itself (`update["name"]`); reading a
    # notification by key reads its record the same way, besides the typed attributes above.

    def __getitem__(self, key: Any) -> Any:
        """`n["name"]`: a field of the record (or an item of the patches with `diff=True`)."""
        record: Any = self.result
        return record[key]

    def get(self, key: str, default: Any = None) -> Any:
        """A field of the record, or `default` when it has no such field."""
        record: Any = self.result
        return record.get(key, default) if isinstance(record, Mapping) else default

    def __contains__(self, key: object) -> bool:
        """Whether the record has the field."""
        record: Any = self.result
        return isinstance(record, Mapping) and key in record

    def keys(self) -> Any:
        """The record's field names (so `dict(n)` gives the record, as the official SDK's)."""
        record: Any = self.result
        return record.keys()

    def values(self) -> Any:
        """The record's field values."""
        record: Any = self.result
        return record.values()

    def items(self) -> Any:
        """The record's fields and values."""
        record: Any = self.result
        return record.items()
