"""When the test gateway cannot start, the error says why, in the gateway's own words."""

from __future__ import annotations

import pytest

from tests.server import GatewayStartError, start_gateway


def test_a_refused_option_is_in_the_error() -> None:
    with pytest.raises(GatewayStartError, match="--storage must be mem:// or surrealkv://") as info:
        start_gateway(storage="bogus://")
    assert "gateway: --storage must be" in info.value.stderr
    assert not info.value.address_in_use


def test_a_taken_port_is_in_the_error() -> None:
    running = start_gateway()
    try:
        with pytest.raises(GatewayStartError, match="EADDRINUSE") as info:
            start_gateway(port=running.info.port)
        assert info.value.address_in_use
        assert f"127.0.0.1:{running.info.port}" in str(info.value)
    finally:
        running.stop()
