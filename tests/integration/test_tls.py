"""TLS: wss:// and https:// verify the server's certificate by default; `ssl=` takes a CA file
or an `ssl.SSLContext`.

A CA and a server certificate for 127.0.0.1 are made at test time (with `cryptography`), and
a TLS-terminating proxy on 127.0.0.1 (`FaultProxy(tls=...)`) stands in front of the real
engine's gateway, so both wss:// and https:// reach the real server.
"""

from __future__ import annotations

import datetime as dt
import io
import ipaddress
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from surrealdb import AsyncSurreal, Surreal, SurrealConnectionError, SurrealPool
from tests.integration.forward_proxy import ForwardProxy, forward_proxy_in
from tests.integration.test_resilience import FaultProxy, until
from tests.server import ServerInfo

WAIT = 5.0


@dataclass(frozen=True)
class Authority:
    """A CA's certificate file, and a server context whose certificate it signed."""

    ca_file: Path
    server_context: ssl.SSLContext


def make_authority(directory: Path, name: str, hosts: list[str]) -> Authority:
    """A new CA, and a certificate it signs for `hosts` (IP addresses or DNS names)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = directory / f"{name}-ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file, key_file = directory / f"{name}-cert.pem", directory / f"{name}-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return Authority(ca_file, context)


@pytest.fixture(scope="module")
def authorities(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Authority]:
    directory = tmp_path_factory.mktemp("tls")
    return {
        "good": make_authority(directory, "good", ["127.0.0.1", "localhost"]),
        "other": make_authority(directory, "other", ["127.0.0.1"]),
        "wrong-host": make_authority(directory, "wrong-host", ["db.example.com"]),
    }


@pytest.fixture
def tls_proxy(server: ServerInfo, authorities: dict[str, Authority]) -> Iterator[FaultProxy]:
    """wss:// and https:// on 127.0.0.1, with a certificate signed by the "good" CA."""
    proxy = FaultProxy(server.port, tls=authorities["good"].server_context)
    try:
        yield proxy
    finally:
        proxy.close()


def trusting(authority: Authority) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(authority.ca_file))


SCHEMES = ["wss", "https"]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_certificates_are_verified_by_default(tls_proxy: FaultProxy, scheme: str) -> None:
    db = Surreal(tls_proxy.url(scheme), timeout=WAIT)
    with pytest.raises(SurrealConnectionError) as caught:
        db.version()
    db.close()
    message = str(caught.value)
    assert "certificate verification failed" in message
    assert "ssl=<CA file> or ssl=<ssl.SSLContext>" in message


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_async_certificates_are_verified_by_default(
    tls_proxy: FaultProxy, scheme: str
) -> None:
    db = AsyncSurreal(tls_proxy.url(scheme), timeout=WAIT)
    with pytest.raises(SurrealConnectionError, match="certificate verification failed"):
        await db.version()
    await db.close()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("form", ["context", "path", "str"])
def test_a_trusted_ca_lets_the_connection_through(
    tls_proxy: FaultProxy,
    authorities: dict[str, Authority],
    server: ServerInfo,
    scheme: str,
    form: str,
) -> None:
    good = authorities["good"]
    options: dict[str, ssl.SSLContext | Path | str] = {
        "context": trusting(good),
        "path": good.ca_file,
        "str": str(good.ca_file),
    }
    option = options[form]
    with Surreal(tls_proxy.url(scheme), timeout=WAIT, ssl=option) as db:
        db.signin({"username": server.username, "password": server.password})
        assert db.query("RETURN 'over TLS'") == "over TLS"
        assert db.version().startswith("surrealdb-")


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_async_a_trusted_ca_lets_the_connection_through(
    tls_proxy: FaultProxy, authorities: dict[str, Authority], server: ServerInfo, scheme: str
) -> None:
    async with AsyncSurreal(
        tls_proxy.url(scheme), timeout=WAIT, ssl=authorities["good"].ca_file
    ) as db:
        await db.signin({"username": server.username, "password": server.password})
        assert await db.query("RETURN 'over TLS'") == "over TLS"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_another_ca_is_not_trusted(
    tls_proxy: FaultProxy, authorities: dict[str, Authority], scheme: str
) -> None:
    db = Surreal(tls_proxy.url(scheme), timeout=WAIT, ssl=authorities["other"].ca_file)
    with pytest.raises(SurrealConnectionError, match="certificate verification failed"):
        db.version()
    db.close()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_certificate_for_another_host_is_refused(
    server: ServerInfo, authorities: dict[str, Authority], scheme: str
) -> None:
    wrong = authorities["wrong-host"]
    proxy = FaultProxy(server.port, tls=wrong.server_context)
    try:
        db = Surreal(proxy.url(scheme), timeout=WAIT, ssl=wrong.ca_file)
        with pytest.raises(SurrealConnectionError, match="certificate verification failed"):
            db.version()
        db.close()
    finally:
        proxy.close()


def test_wss_reconnects_with_the_same_tls_settings(
    tls_proxy: FaultProxy, authorities: dict[str, Authority], server: ServerInfo
) -> None:
    with Surreal(tls_proxy.url("wss"), timeout=WAIT, ssl=authorities["good"].ca_file) as db:
        db.signin({"username": server.username, "password": server.password})
        db.let("over", "tls")
        tls_proxy.cut()
        assert until(lambda: db.reconnects == 1)
        assert db.query("RETURN $over") == "tls"


def test_a_pool_over_tls(
    tls_proxy: FaultProxy, authorities: dict[str, Authority], server: ServerInfo
) -> None:
    credentials = {"username": server.username, "password": server.password}
    with SurrealPool(
        tls_proxy.url("https"), size=2, signin=credentials, ssl=trusting(authorities["good"])
    ) as pool:
        for _ in range(3):
            with pool.acquire() as db:
                assert db.query("RETURN 1") == 1


@pytest.fixture(scope="module")
def forward_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForwardProxy]:
    with forward_proxy_in(tmp_path_factory.mktemp("proxy")) as proxy:
        yield proxy


def test_https_proxy_tunnels_https_with_the_same_tls_settings(
    tls_proxy: FaultProxy,
    authorities: dict[str, Authority],
    server: ServerInfo,
    forward_proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HTTPS_PROXY: https:// goes through the proxy's CONNECT tunnel (httpx), and ssl= still
    decides which certificate is trusted, end to end through the tunnel."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", forward_proxy.url)
    port = tls_proxy.port
    with pytest.raises(SurrealConnectionError, match="certificate verification failed"):
        Surreal(tls_proxy.url("https"), timeout=WAIT).version()
    before = len(forward_proxy.requests_to(port, "CONNECT"))
    with Surreal(tls_proxy.url("https"), timeout=WAIT, ssl=trusting(authorities["good"])) as db:
        db.signin({"username": server.username, "password": server.password})
        assert db.query("RETURN 'tunnelled'") == "tunnelled"
    assert forward_proxy.new_requests(port, before, "CONNECT")


H2_PROXY = """
import http2 from 'node:http2';
import http from 'node:http';
import fs from 'node:fs';

const [key, cert, upstream] = process.argv.slice(2);
const hop = ['connection', 'keep-alive', 'transfer-encoding'];
const server = http2.createSecureServer(
  {key: fs.readFileSync(key), cert: fs.readFileSync(cert), allowHTTP1: true},
  (request, response) => {
    console.log(`HTTP/${request.httpVersion} ${request.method} ${request.url}`);
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(([name]) => !name.startsWith(':')));
    const forward = http.request(
      {host: '127.0.0.1', port: Number(upstream), method: request.method, path: request.url,
       headers},
      (reply) => {
        response.writeHead(reply.statusCode, Object.fromEntries(
          Object.entries(reply.headers).filter(([name]) => !hop.includes(name))));
        reply.pipe(response);
      });
    request.pipe(forward);
  });
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
"""
"""An HTTP/2 (and HTTP/1.1) TLS front for the test server, in Node's own http2 module: it
prints the HTTP version of each request it forwards."""


def test_http2_is_negotiated_over_tls(
    authorities: dict[str, Authority], server: ServerInfo, tmp_path: Path
) -> None:
    """http2=True over https://: the requests reach the server as HTTP/2 (agreed by ALPN)."""
    directory = authorities["good"].ca_file.parent
    script = tmp_path / "h2_proxy.mjs"
    script.write_text(H2_PROXY, encoding="utf-8")
    command = ["node", str(script), str(directory / "good-key.pem")]
    command += [str(directory / "good-cert.pem"), str(server.port)]
    front = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert front.stdout is not None
        first = front.stdout.readline().split()
        assert first[0] == "listening", first
        url = f"https://127.0.0.1:{first[1]}"
        context = trusting(authorities["good"])
        with Surreal(url, timeout=WAIT, ssl=context, http2=True) as db:
            db.signin({"username": server.username, "password": server.password})
            assert db.query("RETURN 'over HTTP/2'") == "over HTTP/2"
        seen = [front.stdout.readline().split()[0] for _ in range(2)]
        assert seen == ["HTTP/2.0", "HTTP/2.0"]
    finally:
        front.terminate()
        front.wait(10)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_http_endpoints_use_the_connections_tls_settings(
    tls_proxy: FaultProxy, authorities: dict[str, Authority], server: ServerInfo, scheme: str
) -> None:
    """wss:// asks https:// for health() and export(), trusting what the connection trusts."""
    with Surreal(tls_proxy.url(scheme), timeout=WAIT, ssl=authorities["good"].ca_file) as db:
        db.health()
        db.signin({"username": server.username, "password": server.password})
        db.use("test", f"tls_export_{scheme}")
        db.query("CREATE item:1")
        dump = io.BytesIO()
        db.export(dump)
        assert b"item:1" in dump.getvalue()
    untrusting = Surreal(tls_proxy.url(scheme), timeout=WAIT)
    with pytest.raises(SurrealConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        untrusting.health()
    untrusting.close()
