"""Transports: the I/O layers that carry requests (WebSocket, HTTP, embedded; sync and asyncio)."""
