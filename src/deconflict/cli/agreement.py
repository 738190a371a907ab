"""`deconflict agreement …`: create and list agreements over HTTP (creating needs the admin)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from deconflict.cli.client import DEFAULT_URL, ApiClient, JsonOpt, TokenOpt, UrlOpt
from deconflict.cli.output import print_json, print_table, reporting
from deconflict.limits import MAX_BUFFER_H_M, MAX_BUFFER_V_M, MAX_DURATION_S

__all__ = ["app"]

app = typer.Typer(help="Agreements: who deconflicts with whom, and on which terms.")


class Disclosure(StrEnum):
    ALL_MEMBERS = "all_members"
    AFFECTED = "affected"


class TrackSharing(StrEnum):
    ALERTS_ONLY = "alerts_only"
    ALL_MEMBERS = "all_members"


def _rows(agreements: list[dict[str, Any]]) -> list[list[object]]:
    return [
        [
            a["id"],
            a["version"],
            a["name"],
            ",".join(a["members"]),
            a["min_lead_time_s"],
            a["ack_deadline_s"],
            ",".join(f"{s:g}" for s in a["escalation_after_s"]),
            a["buffer_h_m"],
            a["buffer_v_m"],
            a["disclosure"],
        ]
        for a in agreements
    ]


_HEADERS = [
    "id",
    "ver",
    "name",
    "members",
    "min_lead_s",
    "ack_deadline_s",
    "escalate_after_s",
    "buffer_h_m",
    "buffer_v_m",
    "disclosure",
]


@app.command("add")
def add(
    name: Annotated[str, typer.Option("--name", help="agreement name")],
    member: Annotated[list[str], typer.Option("--member", help="a member party id (repeat)")],
    min_lead_time: Annotated[
        float | None,
        typer.Option(
            "--min-lead-time", min=0, max=MAX_DURATION_S, help="minimum notice lead time, seconds"
        ),
    ] = None,
    ack_deadline: Annotated[
        float | None,
        typer.Option(
            "--ack-deadline", min=0, max=MAX_DURATION_S, help="acknowledgement deadline, seconds"
        ),
    ] = None,
    escalate_after: Annotated[
        list[float] | None,
        typer.Option(
            "--escalate-after",
            min=0,
            max=MAX_DURATION_S,
            help="seconds after the deadline per tier (repeat)",
        ),
    ] = None,
    buffer_h: Annotated[
        float | None,
        typer.Option("--buffer-h", min=0, max=MAX_BUFFER_H_M, help="horizontal buffer, metres"),
    ] = None,
    buffer_v: Annotated[
        float | None,
        typer.Option("--buffer-v", min=0, max=MAX_BUFFER_V_M, help="vertical buffer, metres"),
    ] = None,
    disclosure: Annotated[
        Disclosure | None, typer.Option("--disclosure", help="who sees a notice")
    ] = None,
    track_sharing: Annotated[
        TrackSharing | None,
        typer.Option("--track-sharing", help="whose live tracks a member sees"),
    ] = None,
    agreement_id: Annotated[str | None, typer.Option("--id", help="choose the id")] = None,
    url: UrlOpt = DEFAULT_URL,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an agreement between parties (admin token); unset terms take the server defaults."""
    body: dict[str, object] = {"name": name, "members": list(member)}
    for key, value in (
        ("min_lead_time_s", min_lead_time),
        ("ack_deadline_s", ack_deadline),
        ("escalation_after_s", list(escalate_after) if escalate_after else None),
        ("buffer_h_m", buffer_h),
        ("buffer_v_m", buffer_v),
        ("disclosure", disclosure.value if disclosure else None),
        ("track_sharing", track_sharing.value if track_sharing else None),
        ("id", agreement_id),
    ):
        if value is not None:
            body[key] = value
    with reporting(), ApiClient(url, token) as api:
        agreement = api.call("POST", "/agreements", body=body)
        if as_json:
            print_json(agreement)
        else:
            print_table(_HEADERS, _rows([agreement]))


@app.command("list")
def list_agreements(
    url: UrlOpt = DEFAULT_URL, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """List the agreements the token's party belongs to (all of them for the admin)."""
    with reporting(), ApiClient(url, token) as api:
        agreements = api.call("GET", "/agreements")["items"]
        if as_json:
            print_json(agreements)
        else:
            print_table(_HEADERS, _rows(agreements))
