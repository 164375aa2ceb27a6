"""Snippets checked by mypy in tests/typing/test_typing.py; never imported or run."""
