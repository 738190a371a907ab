"""`serve --log-format json`: one JSON object per line, for log shippers.

Each line holds `time` (UTC, RFC 3339, milliseconds), `level`, `logger` and `message`; an access
line adds `client`, `method`, `path`, `http_version` and `status` (uvicorn's access record
carries them as its arguments); a record logged with `extra={"fields": {...}}` adds those; an
exception adds `exception`, its traceback as text. The text format stays uvicorn's own.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

__all__ = ["SERVE_LOGGER", "JsonFormatter", "LogFormat", "log_config"]

_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")
SERVE_LOGGER = "deconflict.serve"
"""What `serve` announces at start (the URL, the database, a generated admin token)."""


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            line.update(zip(_ACCESS_FIELDS, args, strict=True))
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            for key, value in fields.items():
                line.setdefault(str(key), value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def log_config(log_format: LogFormat) -> dict[str, Any] | None:
    """uvicorn's `log_config` for the format: None keeps uvicorn's own (text). In JSON, access
    lines and `serve`'s own announcements go to stdout and everything else (uvicorn's, the
    service's) to stderr, as in text."""
    if log_format is LogFormat.TEXT:
        return None
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
            "deconflict": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            SERVE_LOGGER: {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }
