"""The interactive docs (`/docs`), served from this server alone.

FastAPI's default page loads Swagger UI from a CDN, which an air-gapped network cannot reach
and our Content-Security-Policy forbids. Swagger UI's files come with the installed
`swagger-ui-bundle-v2` package (Apache-2.0; the same project as connexion's `swagger-ui-bundle`,
which stopped at Swagger UI 4, and that cannot render the OpenAPI 3.1 FastAPI writes) and are
mounted at `/docs/assets`. The page's one inline script is allowed by its SHA-256 in the page's
own policy; everything else comes from 'self' (and Swagger UI's icons are `data:` images inside
its stylesheet).
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope
from swagger_ui_bundle import swagger_ui_path

__all__ = ["ASSETS", "install_docs"]

ASSETS = "/docs/assets"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


class _Assets(StaticFiles):
    """Swagger UI's files; a browser keeps them but asks again (ETag), so an upgrade shows."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        return response


def _policy(page: bytes) -> str:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self'; "
        "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )


def install_docs(app: FastAPI, title: str) -> None:
    """Serve `/docs` and its assets; create `app` with `docs_url=None, redoc_url=None`."""
    app.mount(ASSETS, _Assets(directory=str(swagger_ui_path)), name="docs-assets")
    page = bytes(
        get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{title} - API docs",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        ).body
    )
    headers = {"Content-Security-Policy": _policy(page)}

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page, headers=headers)
