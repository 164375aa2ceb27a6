"""Converting results into user models (`into=Model`), with `msgspec.convert`.

A model is a `msgspec.Struct`, dataclass, `TypedDict`, attrs class, or anything else
`msgspec.convert` accepts (pydantic models are validated with their own `model_validate`).
SurrealDB values (RecordID, Datetime, Duration, Decimal, UUID, ...) are kept as they are, so a
field annotated with our type receives that type. A field annotated `datetime.datetime` gets a
plain `datetime` (to the microsecond: msgspec takes no subclass there); annotate
`surrealdb.Datetime` to keep nanoseconds. A mismatch raises `ConversionError` naming the record
and the field.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import msgspec

from surrealdb.errors import ConversionError
from surrealdb.values import Datetime


def records(result: Any, model: Any) -> Any:
    """Convert each record of a result (one record, a list of them, or None) into `model`."""
    if model is None or result is None:
        return result
    if isinstance(result, list):
        return [
            _convert(record, model, _record_name(record, index))
            for index, record in enumerate(result)
        ]
    return _convert(result, model, _record_name(result, None))


def value(result: Any, model: Any) -> Any:
    """Convert a whole result (for example a query's rows, with `into=list[Model]`)."""
    if model is None:
        return result
    return _convert(result, model, "the result")


def _convert(data: Any, model: Any, name: str) -> Any:
    validate = getattr(model, "model_validate", None)
    try:
        if validate is not None and isinstance(model, type):
            return validate(data)  # a pydantic model
        try:
            return msgspec.convert(data, model, strict=False, from_attributes=True)
        except msgspec.ValidationError:
            # msgspec takes only an exact datetime for a `datetime` field: if the data has
            # Datetimes, try again with plain ones (Datetime fields get the originals back).
            originals: dict[int, Datetime] = {}
            plain = _plain_datetimes(data, originals)
            if not originals:
                raise
            return msgspec.convert(
                plain,
                model,
                strict=False,
                from_attributes=True,
                dec_hook=lambda kind, value: _original_datetime(kind, value, originals),
            )
    except msgspec.ValidationError as exc:
        raise ConversionError(f"cannot convert {name} into {_model_name(model)}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ConversionError(f"cannot convert {name} into {_model_name(model)}: {exc}") from exc


def _plain_datetimes(data: Any, originals: dict[int, Datetime]) -> Any:
    """The data with each `Datetime` in its dicts and lists made a plain `datetime`."""
    if isinstance(data, Datetime):
        plain = datetime.datetime(*datetime.datetime.__reduce__(data)[1])  # same fields and tz
        originals[id(plain)] = data
        return plain
    if type(data) is dict:
        return {key: _plain_datetimes(value, originals) for key, value in data.items()}
    if type(data) is list or type(data) is tuple:
        return type(data)(_plain_datetimes(value, originals) for value in data)
    return data


def _original_datetime(kind: Any, value: Any, originals: dict[int, Datetime]) -> Any:
    """msgspec's `dec_hook` on the second try: a `Datetime` field gets its original back.

    With a hook, msgspec calls it for every custom type, even on a value already of it.
    """
    if not isinstance(kind, type):
        raise NotImplementedError
    if issubclass(kind, Datetime) and isinstance(value, datetime.datetime):
        return originals.get(id(value)) or kind.from_datetime(value)
    if isinstance(value, kind):
        return value
    raise NotImplementedError


def _record_name(record: Any, index: int | None) -> str:
    """How an error names a record: by its id when it has one, else by its position."""
    if isinstance(record, Mapping) and "id" in record:
        return f"record {record['id']}"
    return "the record" if index is None else f"record {index} of the result"


def _model_name(model: Any) -> str:
    return getattr(model, "__name__", None) or repr(model)
