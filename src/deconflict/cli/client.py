"""The CLI's HTTP client: talks to a running server and turns problem responses into CliErrors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deconflict.cli.output import CliError

if TYPE_CHECKING:
    import httpx

__all__ = ["ApiClient", "JsonOpt", "ProblemError", "TokenOpt", "UrlOpt", "problem_message"]

UrlOpt = Annotated[
    str, typer.Option("--url", envvar="DECONFLICT_URL", help="base URL of the deconflict server")
]
TokenOpt = Annotated[
    str | None,
    typer.Option("--token", envvar="DECONFLICT_TOKEN", help="bearer token (party or admin)"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
DEFAULT_URL = "http://127.0.0.1:8080"


def _located(error: Mapping[str, Any], rewrite: Callable[[str], str]) -> str:
    detail = str(error.get("detail", "invalid"))
    if "pointer" in error:
        return f"{detail} (at {rewrite(str(error['pointer']))})"
    if "parameter" in error:
        return f"{detail} (parameter {error['parameter']})"
    return detail


def problem_message(problem: Mapping[str, Any], rewrite: Callable[[str], str] = str) -> str:
    """One line from a problem body: each field error with its pointer, else the detail."""
    errors = problem.get("errors")
    if isinstance(errors, list) and errors:
        return "; ".join(_located(e, rewrite) for e in errors if isinstance(e, Mapping))
    return str(problem.get("detail") or problem.get("title") or "request failed")


class ProblemError(CliError):
    """The server answered with an RFC 9457 problem."""

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        super().__init__(problem_message(problem), 2 if status < 500 else 1)
        self.status = status
        self.problem = problem

    def rewritten(self, rewrite: Callable[[str], str], prefix: str = "") -> CliError:
        """The same error with pointers mapped (e.g. from the request body into a file)."""
        return CliError(prefix + problem_message(self.problem, rewrite), self.exit_code)


class ApiClient:
    """A thin synchronous client for the deconflict HTTP API."""

    def __init__(self, url: str, token: str | None, *, timeout_s: float = 30.0) -> None:
        import httpx  # here, not at the top: `deconflict notice --help` need not pay for it

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self._http: httpx.Client = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout_s
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._http.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        body: object = None,
        params: Mapping[str, str | int] | None = None,
    ) -> Any:
        """Send one request; the decoded JSON answer, or a CliError."""
        import httpx

        try:
            response = self._http.request(
                method, path, json=body, params={k: v for k, v in (params or {}).items()}
            )
        except httpx.HTTPError as exc:
            raise CliError(f"cannot reach {self.url}: {exc}", 1) from None
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"detail": f"HTTP {response.status_code}: {response.text[:200]}"}
            if not isinstance(problem, Mapping):
                problem = {"detail": f"HTTP {response.status_code}"}
            raise ProblemError(response.status_code, problem)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise CliError(f"the server sent something that is not JSON ({path})", 1) from None
