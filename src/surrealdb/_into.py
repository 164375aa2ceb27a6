"""Converting results into user models (`into=Model`), with `msgspec.convert`.

A model is a `msgspec.Struct`, dataclass, `TypedDict`, attrs class, or anything else
`msgspec.convert` accepts (pydantic models are validated with their own `model_validate`).
SurrealDB values (RecordID, Datetime, Duration, Decimal, UUID, ...) are kept as they are, so a
field annotated with our type receives that type. A mismatch raises `ConversionError` naming
the record and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from surrealdb.errors import ConversionError


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
        return msgspec.convert(data, model, strict=False, from_attributes=True)
    except msgspec.ValidationError as exc:
        raise ConversionError(f"cannot convert {name} into {_model_name(model)}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ConversionError(f"cannot convert {name} into {_model_name(model)}: {exc}") from exc


def _record_name(record: Any, index: int | None) -> str:
    """How an error names a record: by its id when it has one, else by its position."""
    if isinstance(record, Mapping) and "id" in record:
        return f"record {record['id']}"
    return "the record" if index is None else f"record {index} of the result"


def _model_name(model: Any) -> str:
    return getattr(model, "__name__", None) or repr(model)
