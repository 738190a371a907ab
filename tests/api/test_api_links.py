"""OpenAPI links: each names operations and parameters the document has, each expression points
at a field the source response has, and following one from a real response reaches the thing
it named."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from deconflict.api.links import LINKS, add_links

Document = dict[str, Any]


def _operations(document: Document) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (method, path, operation)."""
    return {
        op["operationId"]: (method.upper(), path, op)
        for path, methods in document["paths"].items()
        for method, op in methods.items()
    }


def _resolved(document: Document, schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = document["components"]["schemas"][name]
    return schema


def _field(document: Document, schema: dict[str, Any], part: str) -> dict[str, Any] | None:
    """The schema of `part` (a property, or an array index) of a value of `schema`."""
    schema = _resolved(document, schema)
    for branch in schema.get("anyOf", []):
        found = _field(document, branch, part)
        if found is not None:
            return found
    if part.isdigit():
        items: dict[str, Any] | None = schema.get("items")
        return items
    found_property: dict[str, Any] | None = schema.get("properties", {}).get(part)
    return found_property


def _links(document: Document) -> list[tuple[str, str, str, str, dict[str, Any]]]:
    """(method, path, status, name, link) for every link in the document."""
    return [
        (method.upper(), path, status, name, link)
        for path, methods in document["paths"].items()
        for method, op in methods.items()
        for status, response in op["responses"].items()
        for name, link in response.get("links", {}).items()
    ]


def test_every_link_names_what_the_document_has(app: Any) -> None:
    document = app.openapi()
    operations = _operations(document)
    found = _links(document)
    assert len(found) == len(LINKS)
    for method, path, status, name, link in found:
        where = f"{method} {path} {status} -> {name}"
        _, _, target = operations[link["operationId"]]
        names = {p["name"] for p in target.get("parameters", [])}
        source = document["paths"][path][method.lower()]
        response_schema = source["responses"][status]["content"]["application/json"]["schema"]
        source_path_names = {p["name"] for p in source.get("parameters", []) if p["in"] == "path"}
        for parameter, expression in link["parameters"].items():
            assert parameter in names, (where, parameter)
            if expression.startswith("$request.path."):
                assert expression.removeprefix("$request.path.") in source_path_names, where
                continue
            pointer = expression.removeprefix("$response.body#/")
            assert pointer != expression, (where, expression)
            schema: dict[str, Any] | None = response_schema
            for part in pointer.split("/"):
                assert schema is not None, (where, expression)
                schema = _field(document, schema, part)
            assert schema is not None, (where, expression)


def test_a_link_to_an_operation_the_document_lacks_is_refused(app: Any) -> None:
    document = copy.deepcopy(app.openapi())
    del document["paths"]["/notices/{notice_id}/cancel"]
    with pytest.raises(ValueError, match=re.escape("POST /notices/{notice_id}/cancel")):
        add_links(document)


def _evaluate(expression: str, request_path: dict[str, str], body: Any) -> Any:
    if expression.startswith("$request.path."):
        return request_path[expression.removeprefix("$request.path.")]
    value = body
    for part in expression.removeprefix("$response.body#/").split("/"):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def test_following_a_link_from_a_real_response_finds_what_it_named(
    world: Any, feature: Any
) -> None:
    """Every GET link from these responses answers 200 to the caller that got the response."""
    document = world.client.get("/openapi.json").json()
    operations = _operations(document)
    disclosed = world.notices["disclosed"]
    volume = feature(-100.0)
    sources: list[tuple[str, str, str, dict[str, str], Any]] = [
        ("admin", "POST", "/parties", {}, {"name": "Delta"}),
        ("alpha", "GET", "/parties", {}, None),
        ("admin", "POST", "/agreements", {}, {"name": "x", "members": ["alpha", "bravo"]}),
        (
            "admin",
            "PUT",
            "/agreements/{agreement_id}",
            {"agreement_id": "ab"},
            {
                "name": "ab2",
                "members": ["alpha", "bravo"],
            },
        ),
        ("alpha", "GET", "/agreements", {}, None),
        ("alpha", "POST", "/hazards", {}, {"agreement_id": "ab", "name": "h", "volume": volume}),
        (
            "alpha",
            "POST",
            "/notices",
            {},
            {"agreement_id": "ab", "purpose": "p", "volumes": [volume]},
        ),
        (
            "alpha",
            "POST",
            "/notices/{notice_id}/acknowledgements",
            {"notice_id": disclosed},
            {"version": 1},
        ),
        (
            "alpha",
            "POST",
            "/notices/{notice_id}/amend",
            {"notice_id": world.notices["own"]},
            {"volumes": [volume]},
        ),
        ("alpha", "GET", "/notices", {}, None),
        ("alpha", "GET", "/events", {}, None),
        ("alpha", "GET", "/log/entries", {}, None),
    ]
    followed = 0
    for who, method, template, path_params, body in sources:
        response = world.client.request(
            method, template.format(**path_params), json=body, headers=world.headers(who)
        )
        assert response.status_code < 300, (method, template, response.text)
        spec = document["paths"][template][method.lower()]["responses"][str(response.status_code)]
        for name, link in spec.get("links", {}).items():
            target_method, target_path, target = operations[link["operationId"]]
            if target_method != "GET":
                continue
            values = {
                parameter: _evaluate(expression, path_params, response.json())
                for parameter, expression in link["parameters"].items()
            }
            in_path = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
            url = target_path.format(**{k: v for k, v in values.items() if k in in_path})
            query = {k: v for k, v in values.items() if k not in in_path}
            answer = world.get(who, url, params=query)
            assert answer.status_code == 200, (method, template, name, url, answer.text)
            followed += 1
    assert followed >= 15
