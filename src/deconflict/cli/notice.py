"""`deconflict notice …`: submit, list, show and acknowledge notices over HTTP."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from deconflict.cli.client import DEFAULT_URL, ApiClient, JsonOpt, ProblemError, TokenOpt, UrlOpt
from deconflict.cli.files import read_json
from deconflict.cli.output import CliError, print_json, print_table, reporting

__all__ = ["app", "read_volumes"]

app = typer.Typer(help="Notices: advance notice of an operation, and their acknowledgements.")


class Role(StrEnum):
    ORIGINATOR = "originator"
    RECIPIENT = "recipient"


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


def read_volumes(path: Path) -> tuple[object, str]:
    """The file's Feature or FeatureCollection as a `volumes` value, and the body pointer of
    the file's root (so server pointers can be turned back into pointers into the file)."""
    document = read_json(path)
    kind = document.get("type") if isinstance(document, dict) else None
    if kind == "FeatureCollection":
        return document, "/volumes"
    if kind == "Feature":
        return [document], "/volumes/0"
    raise CliError(f"{path} must hold a GeoJSON Feature or FeatureCollection (at /type)")


def _summary_rows(notices: list[dict[str, Any]], viewer: str | None) -> list[list[object]]:
    rows: list[list[object]] = []
    for n in notices:
        mine = [d for d in n["disclosures"] if viewer is None or d["party"] == viewer]
        acks = ",".join(f"{d['party']}:{d['ack_state']}" for d in mine) or "-"
        short = any(d["short_notice"] for d in mine)
        rows.append(
            [
                n["id"],
                n["version"],
                n["state"],
                n["originator"],
                n["purpose"],
                n["time_start"],
                n["time_end"],
                len(n["conflicts"]),
                short,
                acks,
            ]
        )
    return rows


_HEADERS = [
    "id",
    "ver",
    "state",
    "originator",
    "purpose",
    "start",
    "end",
    "conflicts",
    "short",
    "acks",
]


def _print_notice(notice: dict[str, Any]) -> None:
    print_table(_HEADERS, _summary_rows([notice], None))
    if notice["disclosures"]:
        typer.echo("")
        print_table(
            ["disclosed to", "disclosed_at", "lead_time_s", "short", "ack_due_at", "ack", "tier"],
            [
                [
                    d["party"],
                    d["disclosed_at"],
                    d["lead_time_s"],
                    d["short_notice"],
                    d["ack_due_at"],
                    d["ack_state"],
                    d["escalation_tier"],
                ]
                for d in notice["disclosures"]
            ],
        )
    if notice["conflicts"]:
        typer.echo("")
        print_table(
            ["volume", "conflicts with", "party", "from", "to", "distance_m", "vertical_gap_m"],
            [
                [
                    c["volume_index"],
                    f"{c['other_kind']} {c['other_id']}",
                    c["other_party"],
                    c["overlap_start"],
                    c["overlap_end"],
                    round(c["min_distance_m"], 1),
                    round(c["vertical_gap_m"], 1),
                ]
                for c in notice["conflicts"]
            ],
        )


@app.command("submit")
def submit(
    file: Annotated[Path, typer.Argument(help="GeoJSON Feature or FeatureCollection")],
    agreement: Annotated[str, typer.Option("--agreement", help="agreement id")],
    purpose: Annotated[str, typer.Option("--purpose", help="purpose category")] = "exercise",
    draft: Annotated[bool, typer.Option("--draft", help="save without submitting")] = False,
    url: UrlOpt = DEFAULT_URL,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Submit a notice of the operation described by FILE's volumes."""
    with reporting(), ApiClient(url, token) as api:
        volumes, root = read_volumes(file)
        body = {"agreement_id": agreement, "purpose": purpose, "volumes": volumes, "draft": draft}
        try:
            notice = api.call("POST", "/notices", body=body)
        except ProblemError as exc:

            def into_file(pointer: str) -> str:
                return pointer.removeprefix(root) if pointer.startswith(root) else pointer

            raise exc.rewritten(into_file, prefix=f"{file}: ") from None
        if as_json:
            print_json(notice)
        else:
            _print_notice(notice)


@app.command("show")
def show(
    notice_id: Annotated[str, typer.Argument(help="notice id")],
    version: Annotated[int | None, typer.Option("--version", help="a given version")] = None,
    url: UrlOpt = DEFAULT_URL,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one notice with its disclosures and conflicts."""
    with reporting(), ApiClient(url, token) as api:
        params = {"version": version} if version is not None else {}
        notice = api.call("GET", f"/notices/{notice_id}", params=params)
        if as_json:
            print_json(notice)
        else:
            _print_notice(notice)


@app.command("list")
def list_notices(
    role: Annotated[Role | None, typer.Option("--role", help="only own or only received")] = None,
    state: Annotated[State | None, typer.Option("--state", help="only in this state")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500, help="at most")] = 50,
    url: UrlOpt = DEFAULT_URL,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the notices the token's party submitted or received."""
    params: dict[str, str | int] = {"limit": limit}
    if role is not None:
        params["role"] = role.value
    if state is not None:
        params["state"] = state.value
    with reporting(), ApiClient(url, token) as api:
        notices = api.call("GET", "/notices", params=params)["items"]
        if as_json:
            print_json(notices)
        else:
            print_table(_HEADERS, _summary_rows(notices, None))


@app.command("ack")
def ack(
    notice_id: Annotated[str, typer.Argument(help="notice id")],
    version: Annotated[
        int | None, typer.Option("--version", help="version to acknowledge (default: latest)")
    ] = None,
    text: Annotated[str, typer.Option("--text", help="free text")] = "",
    url: UrlOpt = DEFAULT_URL,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Acknowledge a notice disclosed to the token's party."""
    with reporting(), ApiClient(url, token) as api:
        if version is None:
            version = int(api.call("GET", f"/notices/{notice_id}")["latest_version"])
        body = {"version": version, "text": text}
        acknowledgement = api.call("POST", f"/notices/{notice_id}/acknowledgements", body=body)
        if as_json:
            print_json(acknowledgement)
        else:
            print_table(
                ["notice", "ver", "party", "received_at", "acknowledged_at", "late"],
                [
                    [
                        acknowledgement["notice_id"],
                        acknowledgement["version"],
                        acknowledgement["party"],
                        acknowledgement["received_at"],
                        acknowledgement["acknowledged_at"],
                        acknowledgement["late"],
                    ]
                ],
            )
