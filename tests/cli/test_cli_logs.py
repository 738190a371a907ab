"""`serve --log-format json`: each record one JSON object with UTC time, level, logger and
message, and access lines with the request's fields."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from deconflict.cli.logs import JsonFormatter, LogFormat, log_config


def _record(
    name: str, msg: str, args: tuple[object, ...] = (), **extra: object
) -> logging.LogRecord:
    record = logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)
    record.created = datetime(2026, 6, 1, 8, 0, 5, 250_000, tzinfo=UTC).timestamp()
    record.__dict__.update(extra)
    return record


def test_a_record_is_one_json_line_in_utc() -> None:
    line = JsonFormatter().format(_record("deconflict.service", "tick took %d ms", (12,)))
    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2026-06-01T08:00:05.250Z",
        "level": "INFO",
        "logger": "deconflict.service",
        "message": "tick took 12 ms",
    }


def test_an_access_line_carries_the_request_fields() -> None:
    args = ("198.51.100.7:0", "GET", "/notices?limit=5", "1.1", 200)
    record = _record("uvicorn.access", '%s - "%s %s HTTP/%s" %d', args)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == '198.51.100.7:0 - "GET /notices?limit=5 HTTP/1.1" 200'
    assert (line["client"], line["method"], line["path"]) == (
        "198.51.100.7:0",
        "GET",
        "/notices?limit=5",
    )
    assert (line["http_version"], line["status"]) == ("1.1", 200)


def test_extra_fields_and_exceptions_are_kept() -> None:
    record = _record("deconflict.serve", "serving", fields={"url": "https://x", "level": "no"})
    line = json.loads(JsonFormatter().format(record))
    assert line["url"] == "https://x"
    assert line["level"] == "INFO"
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        failed = _record("deconflict.api", "failed")
        failed.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(failed))
    assert line["exception"].startswith("Traceback")
    assert "RuntimeError: boom" in line["exception"]


def test_text_keeps_uvicorns_config_and_json_sends_access_lines_to_stdout() -> None:
    assert log_config(LogFormat.TEXT) is None
    config = log_config(LogFormat.JSON)
    assert config is not None
    assert config["handlers"][config["loggers"]["uvicorn.access"]["handlers"][0]]["stream"] == (
        "ext://sys.stdout"
    )
    assert config["formatters"]["json"]["()"] == "deconflict.cli.logs.JsonFormatter"
