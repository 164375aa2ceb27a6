"""The official module path `surrealdb.types`: `Tokens` (ours, from `surrealdb.api_types`),
`Value` (an alias defined in surrealdb/_official.py) and `parse_auth_result`."""

from collections.abc import Mapping

from surrealdb._official import Value
from surrealdb.api_types import Tokens

__all__ = ["Tokens", "Value", "parse_auth_result"]


def parse_auth_result(result: object) -> Tokens:
    """What a server's sign-in reply holds, as `Tokens`, the official SDK's normaliser.

    A string is the access token; a map gives `access` and `refresh` (other values become
    strings); anything else gives `Tokens()` with neither. `signin` and `signup` already
    return `Tokens`: this is for code that reads raw replies (`query_raw`, an RPC log).
    """
    if isinstance(result, str):
        return Tokens(result)
    if isinstance(result, Mapping):
        access, refresh = result.get("access"), result.get("refresh")
        return Tokens(
            None if access is None else str(access), None if refresh is None else str(refresh)
        )
    return Tokens()
