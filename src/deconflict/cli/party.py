"""`deconflict party …`: create and list parties, rotate and revoke their tokens, over HTTP."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

import typer

from deconflict.cli.client import DEFAULT_URL, ApiClient, JsonOpt, TokenOpt, UrlOpt
from deconflict.cli.output import print_json, print_table, reporting

__all__ = ["app"]

app = typer.Typer(help="Parties: the air forces, operators and agencies taking part.")


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="display name, e.g. 'Northern Air Command'")],
    party_id: Annotated[str | None, typer.Option("--id", help="choose the id")] = None,
    url: UrlOpt = DEFAULT_URL,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a party (admin token) and print its bearer token, shown only this once."""
    with reporting(), ApiClient(url, token) as api:
        body: dict[str, object] = {"name": name}
        if party_id is not None:
            body["id"] = party_id
        party = api.call("POST", "/parties", body=body)
        if as_json:
            print_json(party)
            return
        print_table(["id", "name"], [[party["id"], party["name"]]])
        typer.echo(f"token: {party['token']}")
        typer.echo("(the token is shown only now; give it to the party's duty officers)")


@app.command("list")
def list_parties(
    url: UrlOpt = DEFAULT_URL, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """List the parties."""
    with reporting(), ApiClient(url, token) as api:
        parties = api.call("GET", "/parties")["items"]
        if as_json:
            print_json(parties)
        else:
            print_table(
                ["id", "name", "keys"], [[p["id"], p["name"], len(p["keys"])] for p in parties]
            )


token_app = typer.Typer(help="A party's bearer token: rotate it, or revoke it (admin).")
app.add_typer(token_app, name="token")


@token_app.command("rotate")
def rotate_token(
    party_id: Annotated[str, typer.Argument(help="the party's id")],
    url: UrlOpt = DEFAULT_URL,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give the party a new token (admin or the party itself) and print it, shown only this
    once; the old token stops working at once."""
    with reporting(), ApiClient(url, token) as api:
        answer = api.call("POST", f"/parties/{quote(party_id, safe='')}/token")
        if as_json:
            print_json(answer)
            return
        typer.echo(f"token: {answer['token']}")
        typer.echo("(the token is shown only now; the old one no longer works)")


@token_app.command("revoke")
def revoke_token(
    party_id: Annotated[str, typer.Argument(help="the party's id")],
    url: UrlOpt = DEFAULT_URL,
    token: TokenOpt = None,
) -> None:
    """Revoke the party's token (admin): it is refused until `rotate` issues a new one."""
    with reporting(), ApiClient(url, token) as api:
        api.call("DELETE", f"/parties/{quote(party_id, safe='')}/token")
        typer.echo(f"revoked the token of {party_id}")
