"""`deconflict serve`: its flags reach the server it builds, and bad ones exit 2 before anything
listens."""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from deconflict.cli import root
from deconflict.cli.serve import ServerOptions, TlsFiles, build_server
from deconflict.live import LivePicture
from deconflict.service import Service
from serving import ADMIN_TOKEN, rest_of_stdout, serving


def run(*args: str) -> Any:
    return CliRunner().invoke(root, list(args), catch_exceptions=False)


def test_the_options_reach_the_app_and_uvicorn_trusts_no_proxy_itself(service: Service) -> None:
    options = ServerOptions(
        auth_fail_limit=7, trusted_proxies=("10.0.0.0/8",), metrics_token="m" * 16
    )
    server = build_server(service, options)
    app: Any = server.config.app
    assert app.state.auth_limiter.limit == 7
    assert app.state.metrics_token == "m" * 16
    assert server.config.proxy_headers is False
    assert build_server(service, ServerOptions()).config.app.state.auth_limiter.limit == 20


def test_the_server_serves_the_live_picture_it_is_given_even_an_empty_one(
    service: Service,
) -> None:
    live = LivePicture(service)
    assert len(live) == 0
    assert build_server(service, ServerOptions(), live=live).config.app.state.live is live


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--trusted-proxy", "proxy.example"), "--trusted-proxy: 'proxy.example' is not an IP"),
        (("--auth-fail-limit", "-1"), "--auth-fail-limit"),
        (("--metrics-token", "short"), "--metrics-token must have at least 16 characters"),
        (("--feed", "tcp://127.0.0.1:30005"), "--feed: 'tcp://127.0.0.1:30005' is not beast://"),
        (("--feed", "sbs://a:1", "--feed", "sbs://a:1"), "--feed sbs://a:1 is given twice"),
        (("--receiver", "91,0"), "--receiver: expected LAT,LON"),
        (("--track-history-days", "0"), "--track-history-days"),
    ],
)
def test_bad_flags_exit_2_before_listening(
    args: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    result = run("serve", "--port", "0", "--data-dir", str(tmp_path / "data"), *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "data").exists()


def test_json_logs_are_one_object_per_line_with_the_request_fields(tmp_path: Path) -> None:
    """Behind a trusted proxy, the access line names the client it forwarded for."""
    args = ("--log-format", "json", "--trusted-proxy", "127.0.0.1")
    with serving(tmp_path, *args) as (child, first):
        started = json.loads(first)
        url = started["url"]
        assert started["logger"] == "deconflict.serve"
        assert started["time"].endswith("Z")
        forwarded = {"X-Forwarded-For": "198.51.100.7"}
        assert httpx.get(f"{url}/health", headers=forwarded, timeout=10).status_code == 200
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        assert httpx.get(f"{url}/parties", headers=headers, timeout=10).status_code == 200
        child.terminate()
        out = rest_of_stdout(child)
    err = (tmp_path / "serve.stderr").read_text()
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert all(set(line) >= {"time", "level", "logger", "message"} for line in lines)
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert [(a["method"], a["path"], a["status"]) for a in access] == [
        ("GET", "/health", 200),
        ("GET", "/parties", 200),
    ]
    assert access[0]["client"] == "198.51.100.7:0"
    assert access[1]["client"].startswith("127.0.0.1:")
    assert {line["message"] for line in lines if line["logger"] == "deconflict.serve"} >= {
        f"database: sqlite:///{(tmp_path / 'data' / 'deconflict.db').resolve()}"
    }
    assert ADMIN_TOKEN not in out + err
    for line in err.splitlines():
        assert json.loads(line)["logger"].startswith(("uvicorn", "deconflict"))


def test_text_logs_stay_as_they_were(tmp_path: Path) -> None:
    with serving(tmp_path) as (child, first):
        assert first.startswith("deconflict serving on http://127.0.0.1:")
        url = first.split()[3]
        assert httpx.get(f"{url}/health", timeout=10).status_code == 200
        child.terminate()
        out = rest_of_stdout(child)
    assert '"GET /health HTTP/1.1" 200' in out


def test_serve_reads_the_feeds_it_is_given(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    feeds = ("--feed", f"beast://127.0.0.1:{port}", "--feed", f"sbs://127.0.0.1:{port}")
    with serving(tmp_path, *feeds, "--receiver", "43.6,1.4") as (child, first):
        url = first.split()[3]
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        shown = httpx.get(f"{url}/feeds", headers=headers, timeout=10).json()["items"]
        assert [(f["kind"], f["address"]) for f in shown] == [
            ("beast", f"beast://127.0.0.1:{port}"),
            ("sbs", f"sbs://127.0.0.1:{port}"),
        ]
        child.terminate()
        out, _ = child.communicate(timeout=30)
    assert f"feed feed-1: beast://127.0.0.1:{port}" in out


def self_signed(directory: Path, name: str = "server") -> TlsFiles:
    """A self-signed certificate for 127.0.0.1 (IP SAN) and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    files = TlsFiles(directory / f"{name}.crt", directory / f"{name}.key")
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


def trusting(files: TlsFiles) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(files.cert))


def test_the_api_answers_over_tls_with_hsts(service: Service, tmp_path: Path) -> None:
    files = self_signed(tmp_path)
    server = build_server(service, ServerOptions(log_level="warning", tls=files))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        with httpx.Client(verify=trusting(files), timeout=10) as client:
            for _ in range(100):
                if server.started:
                    break
                threading.Event().wait(0.05)
            response = client.get(f"https://127.0.0.1:{port}/health")
            assert response.status_code == 200
            assert response.headers["strict-transport-security"] == "max-age=63072000"
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"https://127.0.0.1:{port}/health", timeout=10)
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=10)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_serve_takes_the_tls_flags(tmp_path: Path) -> None:
    files = self_signed(tmp_path)
    args = ("--tls-cert", str(files.cert), "--tls-key", str(files.key))
    with serving(tmp_path, *args) as (_, first):
        assert first.startswith("deconflict serving on https://127.0.0.1:")
        url = first.split()[3]
        with httpx.Client(verify=trusting(files), timeout=10) as client:
            headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            assert client.get(f"{url}/parties", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("cert only", "--tls-cert and --tls-key go together"),
        ("key only", "--tls-cert and --tls-key go together"),
        ("missing", "no such file"),
        ("mismatched", "do not load"),
        ("not pem", "do not load"),
    ],
)
def test_bad_tls_files_exit_2(which: str, message: str, tmp_path: Path) -> None:
    one, other = self_signed(tmp_path, "one"), self_signed(tmp_path, "other")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    args = {
        "cert only": ("--tls-cert", str(one.cert)),
        "key only": ("--tls-key", str(one.key)),
        "missing": ("--tls-cert", str(tmp_path / "nope.crt"), "--tls-key", str(one.key)),
        "mismatched": ("--tls-cert", str(one.cert), "--tls-key", str(other.key)),
        "not pem": ("--tls-cert", str(junk), "--tls-key", str(one.key)),
    }[which]
    result = run("serve", "--port", "0", "--data-dir", str(tmp_path / "data"), *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "data").exists()
