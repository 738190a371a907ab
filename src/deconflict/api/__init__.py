"""The HTTP API: FastAPI routes that translate HTTP to service calls and errors to problems."""

from deconflict.api.app import create_app

__all__ = ["create_app"]
