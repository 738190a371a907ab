"""OpenAPI links: from a response to the operations on what it names.

`POST /notices` answers a notice; its links lead to that notice's reads, submission, amendment,
cancellation and acknowledgements. A list's links lead to its first item. A client reading the
document, or a stateful test generator such as schemathesis, follows them from a resource just
created to the operations on it, instead of guessing ids that name nothing.

The links are declared once here by method and path; `add_links` writes them into the document
as OpenAPI 3.1 link objects under the operationIds the document gives, and refuses a link whose
source or target it does not hold, so a renamed route cannot leave a dangling link.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

__all__ = ["LINKS", "Link", "add_links", "install_links"]

Operation = tuple[str, str]
"""(method, path template)"""


@dataclass(frozen=True, slots=True)
class Link:
    """From the `status` response of `source` to `target`, with the target's parameters taken
    from the response (or the request) by OpenAPI runtime expressions."""

    source: Operation
    status: str
    target: Operation
    parameters: Mapping[str, str]


_ID = "$response.body#/id"
_FIRST = "$response.body#/items/0/id"


def _links(
    source: Operation, status: str, parameters: Mapping[str, str], *targets: Operation
) -> tuple[Link, ...]:
    return tuple(Link(source, status, target, parameters) for target in targets)


_NOTICE = {"notice_id": _ID}
_ON_A_NOTICE: tuple[Operation, ...] = (
    ("GET", "/notices/{notice_id}"),
    ("GET", "/notices/{notice_id}/acknowledgements"),
    ("POST", "/notices/{notice_id}/acknowledgements"),
    ("POST", "/notices/{notice_id}/amend"),
    ("POST", "/notices/{notice_id}/cancel"),
)
_ON_A_PARTY: tuple[Operation, ...] = (
    ("GET", "/parties/{party_id}"),
    ("POST", "/parties/{party_id}/keys"),
    ("POST", "/parties/{party_id}/token"),
)

LINKS: tuple[Link, ...] = (
    *_links(("POST", "/parties"), "201", {"party_id": _ID}, *_ON_A_PARTY),
    *_links(("GET", "/parties"), "200", {"party_id": _FIRST}, ("GET", "/parties/{party_id}")),
    *_links(
        ("POST", "/agreements"),
        "201",
        {"agreement_id": _ID},
        ("GET", "/agreements/{agreement_id}"),
        ("PUT", "/agreements/{agreement_id}"),
        ("GET", "/hazards"),
    ),
    *_links(
        ("PUT", "/agreements/{agreement_id}"),
        "200",
        {"agreement_id": _ID, "version": "$response.body#/version"},
        ("GET", "/agreements/{agreement_id}"),
    ),
    *_links(
        ("GET", "/agreements"),
        "200",
        {"agreement_id": _FIRST},
        ("GET", "/agreements/{agreement_id}"),
    ),
    *_links(
        ("POST", "/protected-areas"),
        "201",
        {"area_id": _ID},
        ("DELETE", "/protected-areas/{area_id}"),
    ),
    *_links(
        ("GET", "/protected-areas"),
        "200",
        {"area_id": _FIRST},
        ("DELETE", "/protected-areas/{area_id}"),
    ),
    *_links(("POST", "/hazards"), "201", {"hazard_id": _ID}, ("DELETE", "/hazards/{hazard_id}")),
    *_links(
        ("POST", "/hazards"),
        "201",
        {"agreement_id": "$response.body#/agreement_id"},
        ("GET", "/hazards"),
    ),
    *_links(("GET", "/hazards"), "200", {"hazard_id": _FIRST}, ("DELETE", "/hazards/{hazard_id}")),
    *_links(
        ("POST", "/notices"), "201", _NOTICE, ("POST", "/notices/{notice_id}/submit"), *_ON_A_NOTICE
    ),
    *_links(
        ("POST", "/notices"),
        "201",
        {"notice_id": _ID, "version": "$response.body#/version"},
        ("GET", "/notices/{notice_id}"),
    ),
    *_links(("POST", "/notices/{notice_id}/submit"), "200", _NOTICE, *_ON_A_NOTICE),
    *_links(("POST", "/notices/{notice_id}/amend"), "200", _NOTICE, *_ON_A_NOTICE),
    *_links(
        ("POST", "/notices/{notice_id}/cancel"),
        "200",
        _NOTICE,
        ("GET", "/notices/{notice_id}"),
        ("GET", "/notices/{notice_id}/acknowledgements"),
    ),
    *_links(
        ("POST", "/notices/{notice_id}/acknowledgements"),
        "201",
        {"notice_id": "$request.path.notice_id"},
        ("GET", "/notices/{notice_id}/acknowledgements"),
        ("GET", "/notices/{notice_id}"),
    ),
    *_links(("GET", "/notices"), "200", {"notice_id": _FIRST}, *_ON_A_NOTICE),
    *_links(
        ("GET", "/events"),
        "200",
        {"notice_id": "$response.body#/items/0/notice_id"},
        ("GET", "/notices/{notice_id}"),
    ),
    *_links(
        ("GET", "/log/entries"),
        "200",
        {"index": "$response.body#/items/0/index"},
        ("GET", "/log/entries/{index}/cited"),
    ),
)


def _name(operation_id: str, parameters: Mapping[str, str], taken: Mapping[str, Any]) -> str:
    """The link's name: the target's operationId, with a suffix where two links from one
    response lead to the same operation with different parameters."""
    name = operation_id
    if name in taken and taken[name]["parameters"] != dict(parameters):
        name = f"{operation_id}_with_{'_'.join(sorted(parameters))}"
    return name


def add_links(document: dict[str, Any]) -> dict[str, Any]:
    """Write `LINKS` into the OpenAPI `document` (in place, and again harmlessly)."""
    operations: dict[Operation, dict[str, Any]] = {
        (method.upper(), path): operation
        for path, methods in document.get("paths", {}).items()
        for method, operation in methods.items()
    }
    for link in LINKS:
        source, target = operations.get(link.source), operations.get(link.target)
        if source is None or target is None:
            missing = link.source if source is None else link.target
            raise ValueError(f"a link names {missing[0]} {missing[1]}, which the API lacks")
        response = source.get("responses", {}).get(link.status)
        if response is None:
            raise ValueError(f"{link.source[0]} {link.source[1]} has no {link.status} response")
        links: dict[str, Any] = response.setdefault("links", {})
        target_id = str(target["operationId"])
        links[_name(target_id, link.parameters, links)] = {
            "operationId": target_id,
            "parameters": dict(link.parameters),
            "description": f"{link.target[0]} {link.target[1]} on what this response names",
        }
    return document


def install_links(app: FastAPI) -> None:
    """Serve `app`'s OpenAPI document with `LINKS` in it."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        return add_links(build())

    app.openapi = openapi  # type: ignore[method-assign]
