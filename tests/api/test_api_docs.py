"""`/docs` works on an air-gapped network: the page names only same-origin URLs, each of them
answers, and its Content-Security-Policy admits its one inline script by hash and no origin but
its own."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from swagger_ui_bundle import swagger_ui_path


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href") and v is not None]
        self._in_script = tag == "script" and not any(k == "src" for k, _ in attrs)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def _page(client: Any) -> tuple[Any, _Links]:
    response = client.get("/docs")
    assert response.status_code == 200
    links = _Links()
    links.feed(response.text)
    return response, links


def test_docs_name_only_same_origin_urls_and_each_answers(client: Any) -> None:
    response, links = _page(client)
    assert response.headers["content-type"].startswith("text/html")
    [script] = links.scripts
    urls = [*links.urls, *re.findall(r"url: '([^']+)'", script)]
    assert len(urls) == 4
    assert "/openapi.json" in urls
    types = {}
    for url in urls:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", ""), url
        assert url.startswith("/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        types[url.rsplit(".", 1)[-1]] = asset.headers["content-type"]
    assert types["js"].startswith(("text/javascript", "application/javascript"))
    assert types["css"].startswith("text/css")
    assert types["png"] == "image/png"
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")


def test_the_docs_policy_admits_the_inline_script_by_hash_and_nothing_foreign(
    client: Any,
) -> None:
    response, links = _page(client)
    [script] = links.scripts
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    policy = dict(
        d.partition(" ")[::2] for d in response.headers["content-security-policy"].split("; ")
    )
    assert policy["script-src"] == f"'self' 'sha256-{digest}'"
    assert policy["default-src"] == policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert (policy["frame-ancestors"], policy["object-src"], policy["base-uri"]) == (
        "'none'",
        "'none'",
        "'none'",
    )
    assert "http" not in response.headers["content-security-policy"]
    assert "http" not in response.text.lower().replace("http-equiv", "")


def test_assets_may_be_kept_but_are_revalidated(client: Any) -> None:
    first = client.get("/docs/assets/swagger-ui.css")
    assert first.headers["cache-control"] == "no-cache"
    assert first.headers["x-content-type-options"] == "nosniff"
    again = client.get(
        "/docs/assets/swagger-ui.css", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert client.get("/docs/assets/nothing.js").status_code == 404


def test_the_bundled_swagger_ui_renders_openapi_3_1(client: Any) -> None:
    """Swagger UI 4 refuses an OpenAPI 3.1 document ("does not specify a valid version")."""
    match = re.fullmatch(r"swagger-ui-(\d+)\.\d+\.\d+", swagger_ui_path.name)
    assert match is not None
    assert int(match.group(1)) >= 5
    assert client.get("/redoc").status_code == 404
