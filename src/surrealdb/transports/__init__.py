"""Transports: the I/O layers that carry requests (WebSocket, HTTP, embedded engine; sync and asyncio)."""
