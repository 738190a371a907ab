"""`deconflict serve`: the service, its live picture and its HTTP API in one process, with the
scheduler and the picture's periodic work running, and any receiver feeds given by `--feed`."""

from __future__ import annotations

import gc
import logging
import os
import secrets
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deconflict.cli.logs import SERVE_LOGGER, LogFormat, log_config
from deconflict.cli.output import CliError, reporting

if TYPE_CHECKING:
    import uvicorn

    from deconflict.live import LivePicture
    from deconflict.service import Service

# uvicorn, the API, the live picture and the service are imported by the functions that use
# them, not for `deconflict serve --help`.

__all__ = [
    "ServerOptions",
    "TlsFiles",
    "bind",
    "build_server",
    "display_url",
    "open_service",
    "run_built",
    "run_server",
    "serve",
    "tls_files",
]

MIN_ADMIN_TOKEN_CHARS = 16


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one (read it back from the socket)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 1) from None
    return sock


def display_url(sock: socket.socket, *, tls: bool = False) -> str:
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):  # noqa: S104 - reporting what we bound, not choosing it
        host = "127.0.0.1"
    scheme = "https" if tls else "http"
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """A PEM certificate chain and its private key, for uvicorn to serve HTTPS with."""

    cert: Path
    key: Path


def tls_files(cert: Path | None, key: Path | None) -> TlsFiles | None:
    """Both files or neither; refused here, with the reason, if they do not load as a pair."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise CliError("--tls-cert and --tls-key go together")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except FileNotFoundError as exc:
        raise CliError(f"cannot read {exc.filename}: no such file") from None
    except (ssl.SSLError, OSError) as exc:
        raise CliError(f"--tls-cert {cert} and --tls-key {key} do not load: {exc}") from None
    return TlsFiles(cert, key)


@dataclass(frozen=True, slots=True)
class ServerOptions:
    """How `serve` runs the API, read once from its flags."""

    log_level: str = "info"
    max_body_bytes: int = 1_048_576
    auth_fail_limit: int = 20
    trusted_proxies: tuple[str, ...] = ()
    metrics_token: str | None = None
    log_format: LogFormat = LogFormat.TEXT
    tls: TlsFiles | None = None


def build_server(
    service: Service, options: ServerOptions, *, live: LivePicture | None = None
) -> uvicorn.Server:
    """The uvicorn server for the API (over `live`, if given). uvicorn's own proxy headers are
    off: the API believes `X-Forwarded-*` only from `trusted_proxies` (uvicorn would from
    127.0.0.1 by default). Its HTTP protocol answers the requests it cannot parse with a
    problem body, as the API answers the rest."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from deconflict.api import create_app
    from deconflict.cli.protocols import http_protocol

    app = create_app(
        service,
        live=live,
        max_body_bytes=options.max_body_bytes,
        auth_fail_limit=options.auth_fail_limit,
        trusted_proxies=options.trusted_proxies,
        metrics_token=options.metrics_token,
    )
    config = uvicorn.Config(
        app,
        log_config=log_config(options.log_format) or LOGGING_CONFIG,
        log_level=options.log_level,
        lifespan="off",
        http=http_protocol(),
        timeout_graceful_shutdown=5,
        proxy_headers=False,
        ssl_certfile=None if options.tls is None else str(options.tls.cert),
        ssl_keyfile=None if options.tls is None else str(options.tls.key),
    )
    return uvicorn.Server(config)


def run_server(
    service: Service,
    sock: socket.socket,
    options: ServerOptions | None = None,
    *,
    exit_after_s: float | None = None,
) -> None:
    """Serve the API on `sock` until Ctrl-C (or `exit_after_s`), in this thread."""
    run_built(build_server(service, options or ServerOptions()), sock, exit_after_s=exit_after_s)


def run_built(
    server: uvicorn.Server, sock: socket.socket, *, exit_after_s: float | None = None
) -> None:
    """Run a server from `build_server` on `sock` until Ctrl-C (or `exit_after_s`)."""
    timer: threading.Timer | None = None
    if exit_after_s is not None:

        def stop() -> None:
            server.should_exit = True

        timer = threading.Timer(exit_after_s, stop)
        timer.daemon = True
        timer.start()
    try:
        server.run(sockets=[sock])
    finally:
        if timer is not None:
            timer.cancel()


def open_service(database_url: str, admin_token: str) -> Service:
    """Open (and migrate) the database; a refusal becomes one line, not a traceback."""
    from sqlalchemy.engine import make_url

    from deconflict.service import Service

    try:
        return Service.open(database_url, admin_token=admin_token)
    except Exception as exc:
        safe = make_url(database_url).render_as_string(hide_password=True)
        raise CliError(f"cannot open database {safe}: {type(exc).__name__}: {exc}", 1) from None


def _announcer(log_format: LogFormat) -> Callable[..., None]:
    """How `serve` says what it started: lines on stdout, or JSON records with the values."""
    if log_format is LogFormat.TEXT:
        return lambda message, **_fields: typer.echo(message)
    logger = logging.getLogger(SERVE_LOGGER)
    return lambda message, **fields: logger.info(message, extra={"fields": fields})


def serve(
    port: Annotated[int, typer.Option("--port", help="TCP port (0 picks a free one)")] = 8080,
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            envvar="DECONFLICT_DATABASE_URL",
            help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db "
            "(default: SQLite in --data-dir)",
        ),
    ] = None,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="directory of the embedded SQLite database")
    ] = Path("data"),
    admin_token: Annotated[
        str | None,
        typer.Option(
            "--admin-token",
            envvar="DECONFLICT_ADMIN_TOKEN",
            help="admin bearer token (>= 16 characters); generated and printed when absent",
        ),
    ] = None,
    max_body_bytes: Annotated[
        int, typer.Option("--max-body-bytes", min=1, help="request body size limit")
    ] = 1_048_576,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level")] = "info",
    tls_cert: Annotated[
        Path | None,
        typer.Option("--tls-cert", help="PEM certificate (chain) to serve HTTPS with"),
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option("--tls-key", help="PEM private key of --tls-cert")
    ] = None,
    log_format: Annotated[
        LogFormat,
        typer.Option("--log-format", help="text (uvicorn's), or json: one JSON object per line"),
    ] = LogFormat.TEXT,
    auth_fail_limit: Annotated[
        int,
        typer.Option(
            "--auth-fail-limit",
            min=0,
            help="failed authentications per client address and minute before 429 (0: off)",
        ),
    ] = 20,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            help="a reverse proxy's address or CIDR network whose X-Forwarded-For and "
            "X-Forwarded-Proto to believe (repeatable)",
        ),
    ] = None,
    metrics_token: Annotated[
        str | None,
        typer.Option(
            "--metrics-token",
            envvar="DECONFLICT_METRICS_TOKEN",
            help="a bearer token (>= 16 characters) that may read /metrics and nothing else; "
            "the admin token always may",
        ),
    ] = None,
    feed: Annotated[
        list[str] | None,
        typer.Option(
            "--feed",
            metavar="beast://HOST:PORT|sbs://HOST:PORT",
            help="a receiver to read ADS-B from: Beast binary (dump1090/readsb port 30005) or "
            "SBS-1 text (port 30003); repeatable, and more can be added with POST /feeds",
        ),
    ] = None,
    receiver: Annotated[
        str | None,
        typer.Option(
            "--receiver",
            metavar="LAT,LON",
            help="the receivers' position, degrees: needed to decode surface positions",
        ),
    ] = None,
    track_history_days: Annotated[
        float,
        typer.Option(
            "--track-history-days",
            min=0.001,
            help="how long the stored track history is kept, days",
        ),
    ] = 7.0,
) -> None:
    """Run the deconfliction service and its HTTP API (docs at /docs)."""
    from sqlalchemy.engine import make_url

    from deconflict.api.forwarded import TrustedProxies
    from deconflict.cli.adsb import parse_receiver
    from deconflict.ingest.feeds import FeedAddress
    from deconflict.live import LivePicture
    from deconflict.service import ADMIN, default_database_url

    with reporting():
        if admin_token is not None and len(admin_token) < MIN_ADMIN_TOKEN_CHARS:
            raise CliError(f"--admin-token must have at least {MIN_ADMIN_TOKEN_CHARS} characters")
        if metrics_token is not None and len(metrics_token) < MIN_ADMIN_TOKEN_CHARS:
            raise CliError(f"--metrics-token must have at least {MIN_ADMIN_TOKEN_CHARS} characters")
        feeds: list[str] = []
        for address in feed or ():
            try:
                parsed = str(FeedAddress.parse(address))
            except ValueError as exc:
                raise CliError(f"--feed: {exc}") from None
            if parsed in feeds:
                raise CliError(f"--feed {parsed} is given twice")
            feeds.append(parsed)
        at = parse_receiver(receiver)
        proxies = tuple(trusted_proxy or ())
        try:
            TrustedProxies(proxies)
        except ValueError as exc:
            raise CliError(f"--trusted-proxy: {exc}") from None
        options = ServerOptions(
            log_level=log_level,
            max_body_bytes=max_body_bytes,
            auth_fail_limit=auth_fail_limit,
            trusted_proxies=proxies,
            metrics_token=metrics_token,
            log_format=log_format,
            tls=tls_files(tls_cert, tls_key),
        )
        generated = admin_token is None
        token = admin_token or secrets.token_urlsafe(32)
        if database is None:
            data_dir.mkdir(parents=True, exist_ok=True)
            database = default_database_url(data_dir)
        sock = bind(host, port)
        service = open_service(database, token)
        live = LivePicture(service, receiver=at, history_retention_s=track_history_days * 86_400.0)
        try:
            server = build_server(service, options, live=live)
            say = _announcer(log_format)
            url = display_url(sock, tls=options.tls is not None)
            say(f"deconflict serving on {url}  (API docs: {url}/docs)", url=url)
            safe = make_url(database).render_as_string(hide_password=True)
            say(f"database: {safe}", database=safe)
            if generated:
                say(f"admin token (generated): {token}", admin_token=token)
            for address in feeds:
                status = live.sources.add(ADMIN, address)
                say(f"feed {status.id}: {status.address}", feed_id=status.id, feed=status.address)
            say(f"pid {os.getpid()}; stop with Ctrl-C", pid=os.getpid())
            service.run_scheduler()
            live.start()
            # What start-up built (the volume index, the compiled kernels, the app) lives as
            # long as the process: keep the collector from walking it again in every full
            # collection, which the live picture's 100k states a second would otherwise set off.
            gc.freeze()
            run_built(server, sock)
        finally:
            live.close()
            service.close()
            sock.close()
