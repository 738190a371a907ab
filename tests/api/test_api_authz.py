"""The authorisation matrix: every route of the app x every relation of caller to resource.

The routes under test are read from the app's own route table, and `MATRIX` declares what each
answers from each viewpoint. A route the app serves with no row fails, and so does a row for a
route the app no longer serves, so a new route cannot ship without saying who may use it.

The columns (`RELATIONS`), over the world of conftest.py and what `matrix` adds to it:
- own: party alpha, on its own resource (its notice, itself, agreement `ab`, its area and
  hazard, the disclosure entry of its notice, its notice's events, its cosignature);
- shared: alpha, on a resource of bravo, with whom it shares agreements (bravo's draft notice
  in `ab`, bravo itself, agreement `ab_affected`, bravo's area, bravo's hazard in `ab` and its
  log entry, bravo's cosignature);
- unshared: alpha, on charlie's (its notice in `bc`, charlie itself, `bc`, …): they share
  nothing;
- disclosed: alpha, on bravo's notice disclosed to it (its disclosure entry, its events);
- undisclosed: alpha, on bravo's notice in `ab_affected`, far from anything of alpha's, so not
  disclosed to it (its log entry, and a conflict event that only bravo hears of);
- admin: the admin token, on charlie's resources: the admin sees all and does no party's work;
- metrics: the metrics token, on alpha's resources: it opens `/metrics` and nothing else;
- none / wrong / revoked: no token, a token never issued, a revoked party's token; on alpha's.

A cell is the status the request gets; for a list, `seen` or `hidden` (200, and whether the
relation's resource is among the items); `-` where the relation has no resource of the row's
kind, which `KINDS` decides, not the row. A resource hidden from alpha answers exactly as one
that does not exist: same status, same problem, with only its id in the text differing.
"""

from __future__ import annotations

import base64
import os
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from deconflict.api import create_app
from deconflict.clock import FakeClock
from deconflict.domain.alerts import AlertKind, AlertRecord, AlertState
from deconflict.domain.facts import AlertRaised
from deconflict.log import Checkpoint, Cosigner, Ed25519Verifier, open_checkpoint, parse_entry
from deconflict.service import ADMIN, Service
from deconflict.tracks import TrackKey

ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123456789abcdef"
METRICS_TOKEN = "matrix-metrics-token-0123456789abcdef"
WRONG_TOKEN = "never-issued-token-0123456789abcdef0123456789"

RELATIONS = (
    "own",
    "shared",
    "unshared",
    "disclosed",
    "undisclosed",
    "admin",
    "metrics",
    "none",
    "wrong",
    "revoked",
)
RESOURCE_RELATIONS = ("shared", "unshared", "disclosed", "undisclosed")
"""Relations that need a resource of the row's kind; every other one is about the token."""
HIDING = ("shared", "unshared", "undisclosed")
"""Relations whose refusals must read exactly like those for a resource that does not exist."""
RESOURCE_OF = {
    "admin": "unshared",
    "metrics": "own",
    "none": "own",
    "wrong": "own",
    "revoked": "own",
}
"""Whose resource the token relations ask about (the relation's own otherwise)."""

KINDS: dict[str, tuple[str, ...]] = {
    "notice": ("own", "shared", "unshared", "disclosed", "undisclosed"),
    "party": ("own", "shared", "unshared"),
    "agreement": ("own", "shared", "unshared"),
    "area": ("own", "shared", "unshared"),
    "hazard": ("own", "shared", "unshared"),
    "event": ("own", "unshared", "disclosed", "undisclosed"),
    "entry": ("own", "shared", "unshared", "disclosed", "undisclosed"),
    "alert": ("own", "unshared"),
}
"""Which relations have a resource of each kind. Disclosure concerns notices, their events and
log entries; a draft (bravo's shared notice) has neither events nor entries."""
PARAM_KINDS = {
    "notice_id": "notice",
    "party_id": "party",
    "agreement_id": "agreement",
    "area_id": "area",
    "hazard_id": "hazard",
    "index": "entry",
    "alert_id": "alert",
    "feed_id": None,
}
MISSING: dict[str, str | int] = {
    "notice": "ntc_0000000000000deadbeef",
    "party": "nobody",
    "agreement": "nothing",
    "area": "pa_0000000000000deadbeef",
    "hazard": "hz_0000000000000deadbeef",
    "entry": 1_000_000,
    "alert": "alr_00000000000000000000",
}
"""An id of each kind that names nothing."""


@dataclass
class Matrix:
    """The conftest world plus what the matrix needs: a draft, areas, hazards, a revoked party,
    co-signing witnesses, a checkpoint, and each relation's resource of each kind."""

    world: Any
    feature: Any
    size: int = 0
    resources: dict[str, dict[str, str | int]] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    cosignatures: dict[str, str] = field(default_factory=dict)
    stranger_cosignature: str = ""
    revoked_token: str = ""
    now: str = ""
    """The service clock's time, for bodies that must be current (track states)."""

    def headers(self, relation: str) -> dict[str, str]:
        token = {
            "admin": ADMIN_TOKEN,
            "metrics": METRICS_TOKEN,
            "none": None,
            "wrong": WRONG_TOKEN,
            "revoked": self.revoked_token,
        }.get(relation, self.world.tokens["alpha"])
        return {"Authorization": f"Bearer {token}"} if token else {}

    def resource(self, kind: str | None, relation: str) -> str | int | None:
        if kind is None:
            return None
        return self.resources[kind].get(RESOURCE_OF.get(relation, relation))


@dataclass(frozen=True)
class Ask:
    """What a row sends, given the matrix and the relation's resource."""

    matrix: Matrix
    resource: Any


@dataclass(frozen=True)
class Row:
    kind: str | None
    cells: str
    query: Callable[[Ask], dict[str, Any]] | None = None
    body: Callable[[Ask], Any] | None = None
    listed: Callable[[Any], set[Any]] | None = None
    path: str | None = None
    """The path to ask, where the route's template is not one (a mount)."""

    def expected(self) -> dict[str, str]:
        cells = self.cells.split()
        assert len(cells) == len(RELATIONS), self.cells
        return dict(zip(RELATIONS, cells, strict=True))


def _ids(body: Any) -> set[Any]:
    return {item["id"] for item in body["items"]}


def _event_notices(body: Any) -> set[Any]:
    return {item["notice_id"] for item in body["items"]}


def _indices(body: Any) -> set[Any]:
    return {item["index"] for item in body["items"]}


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


LIMIT_500 = {"limit": 500}

# fmt: off
MATRIX: dict[tuple[str, str], Row] = {
    # (method, path template): Row(kind, cells by relation:
    #   own     shared  unshared disclosd undisclsd admin  metrics none    wrong   revoked
    ("GET", "/health"): Row(None,
        "200     -       -       -       -       200     200     200     200     200"),
    ("GET", "/docs"): Row(None,
        "200     -       -       -       -       200     200     200     200     200"),
    ("GET", "/docs/assets"): Row(None,
        "200     -       -       -       -       200     200     200     200     200",
        path="/docs/assets/swagger-ui.css"),
    ("GET", "/openapi.json"): Row(None,
        "200     -       -       -       -       200     200     200     200     200"),
    ("GET", "/"): Row(None,
        "307     -       -       -       -       307     307     307     307     307"),
    ("GET", "/metrics"): Row(None,
        "403     -       -       -       -       200     200     401     401     401"),
    # parties and their tokens
    ("POST", "/parties"): Row(None,
        "403     -       -       -       -       201     401     401     401     401",
        body=lambda a: {"name": "Echo"}),
    ("GET", "/parties"): Row("party",
        "seen    seen    hidden  -       -       seen    401     401     401     401",
        listed=_ids),
    ("GET", "/parties/{party_id}"): Row("party",
        "200     200     404     -       -       200     401     401     401     401"),
    ("POST", "/parties/{party_id}/keys"): Row("party",
        "201     404     404     -       -       201     401     401     401     401",
        body=lambda a: {"purpose": "ack", "key_b64": _key()}),
    ("POST", "/parties/{party_id}/token"): Row("party",
        "200     403     403     -       -       200     401     401     401     401"),
    ("DELETE", "/parties/{party_id}/token"): Row("party",
        "403     403     403     -       -       204     401     401     401     401"),
    ("GET", "/parties/{party_id}/aircraft"): Row("party",
        "200     200     404     -       -       200     401     401     401     401"),
    ("PUT", "/parties/{party_id}/aircraft"): Row("party",
        "200     404     404     -       -       200     401     401     401     401",
        body=lambda a: {"icao24_ranges": [], "callsign_prefixes": []}),
    ("POST", "/admin/token"): Row(None,
        "403     -       -       -       -       200     401     401     401     401"),
    # agreements
    ("POST", "/agreements"): Row(None,
        "403     -       -       -       -       201     401     401     401     401",
        body=lambda a: {"name": "new", "members": ["alpha", "charlie"]}),
    ("GET", "/agreements"): Row("agreement",
        "seen    seen    hidden  -       -       seen    401     401     401     401",
        listed=_ids),
    ("GET", "/agreements/{agreement_id}"): Row("agreement",
        "200     200     404     -       -       200     401     401     401     401"),
    ("PUT", "/agreements/{agreement_id}"): Row("agreement",
        "403     403     403     -       -       200     401     401     401     401",
        body=lambda a: {"name": "renamed",
                        "members": a.matrix.members.get(a.resource, ["alpha", "bravo"])}),
    # standing airspace
    ("POST", "/protected-areas"): Row(None,
        "201     -       -       -       -       403     401     401     401     401",
        body=lambda a: {"name": "new area", "volume": a.matrix.feature(-130.0, hours=500)}),
    ("GET", "/protected-areas"): Row("area",
        "seen    seen    hidden  -       -       seen    401     401     401     401",
        listed=_ids),
    ("DELETE", "/protected-areas/{area_id}"): Row("area",
        "204     404     404     -       -       403     401     401     401     401"),
    ("POST", "/hazards"): Row("agreement",
        "201     201     422     -       -       403     401     401     401     401",
        body=lambda a: {"agreement_id": a.resource, "name": "new hazard",
                        "volume": a.matrix.feature(-140.0, hours=48)}),
    ("GET", "/hazards"): Row("hazard",
        "seen    seen    hidden  -       -       seen    401     401     401     401",
        listed=_ids),
    ("DELETE", "/hazards/{hazard_id}"): Row("hazard",
        "204     204     404     -       -       403     401     401     401     401"),
    # notices and acknowledgements
    ("POST", "/notices"): Row("agreement",
        "201     201     422     -       -       403     401     401     401     401",
        body=lambda a: {"agreement_id": a.resource, "purpose": "matrix",
                        "volumes": [a.matrix.feature(-150.0)]}),
    ("GET", "/notices"): Row("notice",
        "seen    hidden  hidden  seen    hidden  403     401     401     401     401",
        query=lambda a: LIMIT_500, listed=_ids),
    ("GET", "/notices/{notice_id}"): Row("notice",
        "200     404     404     200     404     403     401     401     401     401"),
    ("POST", "/notices/{notice_id}/submit"): Row("notice",
        "409     404     404     404     404     403     401     401     401     401"),
    ("POST", "/notices/{notice_id}/amend"): Row("notice",
        "200     404     404     404     404     403     401     401     401     401",
        body=lambda a: {"volumes": [a.matrix.feature(30.0, upper_m=4000.0)]}),
    ("POST", "/notices/{notice_id}/cancel"): Row("notice",
        "200     404     404     404     404     403     401     401     401     401",
        body=lambda a: {"reason": "done"}),
    ("POST", "/notices/{notice_id}/acknowledgements"): Row("notice",
        "404     404     404     201     404     403     401     401     401     401",
        body=lambda a: {"version": 1, "text": "seen"}),
    ("GET", "/notices/{notice_id}/acknowledgements"): Row("notice",
        "200     404     404     200     404     403     401     401     401     401"),
    # events
    ("GET", "/events"): Row("event",
        "seen    -       hidden  seen    hidden  seen    401     401     401     401",
        query=lambda a: LIMIT_500, listed=_event_notices),
    ("GET", "/events/stream"): Row(None,
        "200     -       -       -       -       200     401     401     401     401",
        query=lambda a: {"max_events": 1}),
    # the live picture (GET /tracks/stream: see STREAMS)
    ("POST", "/tracks"): Row(None,
        "202     -       -       -       -       403     401     401     401     401",
        body=lambda a: {"tracks": [{"id": "m1", "time": a.matrix.now, "lat": 1.0, "lon": 1.0,
                                    "alt_m": 9000.0, "gs_mps": 200.0, "trk_deg": 0.0,
                                    "vs_mps": 0.0}]}),
    ("GET", "/tracks"): Row(None,
        "200     -       -       -       -       200     401     401     401     401"),
    ("GET", "/alerts"): Row("alert",
        "seen    -       hidden  -       -       seen    401     401     401     401",
        listed=_ids),
    ("GET", "/alerts/{alert_id}"): Row("alert",
        "200     -       404     -       -       200     401     401     401     401"),
    ("GET", "/feeds"): Row(None,
        "403     -       -       -       -       200     401     401     401     401"),
    ("POST", "/feeds"): Row(None,
        "403     -       -       -       -       201     401     401     401     401",
        body=lambda a: {"address": "beast://127.0.0.1:9"}),
    ("DELETE", "/feeds/{feed_id}"): Row(None,
        "403     -       -       -       -       404     401     401     401     401",
        path="/feeds/feed-99"),
    # the record
    ("GET", "/log/checkpoint"): Row(None,
        "200     -       -       -       -       200     401     401     401     401"),
    ("GET", "/log/checkpoint/{size}"): Row(None,
        "200     -       -       -       -       200     401     401     401     401"),
    ("GET", "/log/key"): Row(None,
        "200     -       -       -       -       200     401     401     401     401"),
    ("GET", "/log/cosigned/{party_id}"): Row("party",
        "200     200     404     -       -       200     401     401     401     401"),
    ("POST", "/log/cosignatures"): Row("party",
        "201     422     422     -       -       403     401     401     401     401",
        body=lambda a: {"size": a.matrix.size,
                        "cosignature": a.matrix.cosignatures.get(
                            a.resource, a.matrix.stranger_cosignature)}),
    # proofs and leaf hashes are public to every party: salted entries make them reveal nothing
    ("GET", "/log/proof/inclusion"): Row("entry",
        "200     200     200     200     200     200     401     401     401     401",
        query=lambda a: {"index": a.resource, "size": a.matrix.size}),
    ("GET", "/log/proof/consistency"): Row(None,
        "200     -       -       -       -       200     401     401     401     401",
        query=lambda a: {"old": 1, "new": a.matrix.size}),
    ("GET", "/log/leaves"): Row(None,
        "200     -       -       -       -       200     401     401     401     401",
        query=lambda a: {"start": 0, "end": a.matrix.size}),
    ("GET", "/log/entries"): Row("entry",
        "seen    seen    hidden  seen    hidden  seen    401     401     401     401",
        query=lambda a: {"limit": 10_000}, listed=_indices),
    ("GET", "/log/entries/{index}/cited"): Row("entry",
        "200     200     404     200     404     200     401     401     401     401"),
}
# fmt: on


def served_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path template) of every route the app serves: its API routes, plain routes and
    mounts (as GET), HEAD left out where it only shadows a GET."""
    found = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            found.add(("GET", route.path))
            continue
        methods = set(context.methods or ())
        if "GET" in methods:
            methods.discard("HEAD")
        found.update((method, str(context.path)) for method in methods)
    return found


@pytest.fixture
def app(service: Service) -> Any:
    """The conftest app, with a metrics token for the `metrics` column."""
    return create_app(
        service,
        max_body_bytes=64 * 1024,
        sse_heartbeat_s=0.05,
        auth_fail_limit=0,
        metrics_token=METRICS_TOKEN,
    )


def _created(response: Any) -> Any:
    assert response.status_code == 201, response.text
    return response.json()


def _witness(world: Any, party: str) -> Cosigner:
    witness = Cosigner.generate(party)
    key = base64.b64encode(witness.verifier().public_key).decode()
    _created(world.post(party, f"/parties/{party}/keys", {"purpose": "cosign", "key_b64": key}))
    return witness


def _entry(service: Service, entry_type: str, **body: Any) -> int:
    (index,) = [
        i
        for i, raw in service.log_entries(ADMIN, limit=10_000)
        if (entry := parse_entry(raw)).type == entry_type
        and all(entry.body.get(k) == v for k, v in body.items())
    ]
    return index


def _alert(service: Service, clock: FakeClock, pair: tuple[str, str], agreement: str) -> str:
    """A tactical alert between the two parties' aircraft, recorded as the live picture would."""
    alert = AlertRecord(
        id=f"alr_{pair[0][:4]}{pair[1][:4]}000000000000",
        kind=AlertKind.TACTICAL,
        tier="warning",
        state=AlertState.ACTIVE,
        reason=None,
        tracks=tuple(TrackKey(party, "t1") for party in pair),
        parties=frozenset(pair),
        agreement_ids=(agreement,),
        raised_at=clock.now(),
        reported_at=clock.now(),
    )
    service.record_alerts([AlertRaised(alert)])
    return alert.id


@pytest.fixture
def matrix(world: Any, feature: Any, service: Service, clock: FakeClock) -> Matrix:
    m = Matrix(world, feature, now=clock.now().isoformat())
    notices = world.notices
    draft = {"agreement_id": "ab", "purpose": "draft", "volumes": [feature(34.0)], "draft": True}
    notices["draft"] = _created(world.post("bravo", "/notices", draft))["id"]
    # A hazard over bravo's undisclosed notice gives it a conflict event that only bravo hears of.
    hazard = {"agreement_id": "ab_affected", "name": "range", "volume": feature(60.0, hours=48)}
    _created(world.post("bravo", "/hazards", hazard))
    amend = {"volumes": [feature(60.0)]}
    amended = world.post("bravo", f"/notices/{notices['undisclosed']}/amend", amend)
    assert amended.json()["conflicts"], amended.text
    assert not amended.json()["disclosures"], amended.text

    areas, hazards = {}, {}
    for relation, party, agreement, lon in (
        ("own", "alpha", "ab", -100.0),
        ("shared", "bravo", "ab", -110.0),
        ("unshared", "charlie", "bc", -120.0),
    ):
        area = {"name": f"{party} base", "volume": feature(lon, hours=500)}
        areas[relation] = _created(world.post(party, "/protected-areas", area))["id"]
        hazard = {"agreement_id": agreement, "name": "crane", "volume": feature(lon + 5, hours=48)}
        hazards[relation] = _created(world.post(party, "/hazards", hazard))["id"]

    delta = _created(world.post("admin", "/parties", {"name": "Delta", "id": "delta"}))
    m.revoked_token = delta["token"]
    revoked = world.client.delete("/parties/delta/token", headers=world.headers("admin"))
    assert revoked.status_code == 204, revoked.text

    witnesses = {party: _witness(world, party) for party in ("alpha", "bravo", "charlie")}
    service.publish_checkpoint(force=True)
    log = Ed25519Verifier.from_vkey(service.log_verifier_key())
    checkpoint: Checkpoint = open_checkpoint(service.log_checkpoint(), log).checkpoint
    m.size = checkpoint.size
    for party, witness in witnesses.items():
        m.cosignatures[party] = line = witness.cosign(checkpoint, clock.now()).line()
        _created(world.post(party, "/log/cosignatures", {"size": m.size, "cosignature": line}))
    m.stranger_cosignature = Cosigner.generate("nobody").cosign(checkpoint, clock.now()).line()

    alerts = {
        relation: _alert(service, clock, pair, agreement)
        for relation, pair, agreement in (
            ("own", ("alpha", "bravo"), "ab"),
            ("unshared", ("bravo", "charlie"), "bc"),
        )
    }

    m.members = {
        "ab": ["alpha", "bravo"],
        "ab_affected": ["alpha", "bravo"],
        "bc": ["bravo", "charlie"],
    }
    m.resources = {
        "notice": {
            "own": notices["own"],
            "shared": notices["draft"],
            "unshared": notices["other_agreement"],
            "disclosed": notices["disclosed"],
            "undisclosed": notices["undisclosed"],
        },
        "party": {"own": "alpha", "shared": "bravo", "unshared": "charlie"},
        "agreement": {"own": "ab", "shared": "ab_affected", "unshared": "bc"},
        "area": areas,
        "hazard": hazards,
        "alert": alerts,
        "event": {
            "own": notices["own"],
            "unshared": notices["other_agreement"],
            "disclosed": notices["disclosed"],
            "undisclosed": notices["undisclosed"],
        },
        "entry": {
            "own": _entry(service, "disclosure", notice_id=notices["own"], party_id="bravo"),
            "shared": _entry(service, "hazard.added", hazard_id=hazards["shared"]),
            "unshared": _entry(
                service, "notice.version", notice_id=notices["other_agreement"], version=1
            ),
            "disclosed": _entry(
                service, "disclosure", notice_id=notices["disclosed"], party_id="alpha"
            ),
            "undisclosed": _entry(
                service, "notice.version", notice_id=notices["undisclosed"], version=1
            ),
        },
    }
    return m


STREAMS = {("GET", "/tracks/stream"): "tests/api/test_api_tracks.py (stream visibility)"}
"""Routes that stream until an event the matrix world never makes; each is tested where named."""


def test_the_matrix_has_a_row_for_every_route_the_app_serves_and_no_other(app: Any) -> None:
    served = served_routes(app) - STREAMS.keys()
    assert sorted(served - MATRIX.keys()) == [], "routes the app serves with no row in MATRIX"
    assert sorted(MATRIX.keys() - served) == [], "rows for routes the app no longer serves"


def _path_params(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def test_each_row_is_well_formed() -> None:
    """`-` exactly where the row's kind has no resource for the relation; lists say seen or
    hidden and nothing else does; every path parameter is a resource of the row's kind."""
    for (method, template), row in MATRIX.items():
        where = f"{method} {template}"
        has = KINDS.get(row.kind, ()) if row.kind is not None else ()
        for relation, cell in row.expected().items():
            lacking = relation in RESOURCE_RELATIONS and relation not in has
            assert (cell == "-") == lacking, (where, relation, cell)
            if row.listed is None or cell == "-":
                assert cell not in ("seen", "hidden"), (where, relation, cell)
            else:
                assert cell in ("seen", "hidden") or int(cell) >= 400, (where, relation, cell)
        for name in _path_params(template):
            assert name == "size" or PARAM_KINDS.get(name) == row.kind, (where, name)


def _changes_state(method: str, cell: str) -> bool:
    return method != "GET" and cell.isdigit() and int(cell) < 400


def _ask(m: Matrix, method: str, template: str, relation: str, resource: Any) -> Any:
    row = MATRIX[(method, template)]
    ask = Ask(m, resource)
    values = {name: m.size if name == "size" else resource for name in _path_params(template)}
    return m.world.client.request(
        method,
        row.path or template.format(**values),
        params=row.query(ask) if row.query else None,
        json=row.body(ask) if row.body else None,
        headers=m.headers(relation),
        follow_redirects=False,
    )


def _cell(row: Row, response: Any, resource: Any) -> str:
    if row.listed is not None and response.status_code == 200:
        return "seen" if resource in row.listed(response.json()) else "hidden"
    return str(response.status_code)


def _shape(response: Any, resource: Any) -> tuple[int, str, str]:
    """The answer with the id asked about taken out of its text."""
    pattern = rf"(?<!\d){resource}(?!\d)" if isinstance(resource, int) else re.escape(resource)
    text = re.sub(pattern, "<id>", response.text)
    return response.status_code, response.headers.get("content-type", ""), text


def _answers(
    m: Matrix, route: tuple[str, str], got: dict[str, str], unlike_missing: dict[str, Any]
) -> dict[str, str]:
    """Ask every cell of the route's row; record each answer in `got`, and in `unlike_missing`
    each hidden resource's refusal that reads unlike the refusal for a missing one. Returns the
    row's expected cells, keyed like `got`."""
    method, template = route
    row = MATRIX[route]
    expected = {relation: cell for relation, cell in row.expected().items() if cell != "-"}
    # What changes the world goes last, so every other cell sees the world as it was built.
    for relation in sorted(expected, key=lambda r: _changes_state(method, expected[r])):
        key = f"{method} {template} {relation}"
        resource = m.resource(row.kind, relation)
        response = _ask(m, method, template, relation, resource)
        got[key] = _cell(row, response, resource)
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json", key
        if relation in HIDING and response.status_code >= 400:
            assert row.kind is not None
            missing = MISSING[row.kind]
            hidden = _shape(response, resource)
            absent = _shape(_ask(m, method, template, relation, missing), missing)
            if hidden != absent:
                unlike_missing[key] = (hidden, absent)
    return {f"{method} {template} {relation}": cell for relation, cell in expected.items()}


READS = [route for route in MATRIX if route[0] == "GET"]
WRITES = [route for route in MATRIX if route[0] != "GET"]


def test_every_read_route_answers_as_its_row_says(matrix: Matrix) -> None:
    """Reads change nothing anyone may see, so one world serves them all."""
    got: dict[str, str] = {}
    unlike_missing: dict[str, Any] = {}
    expected: dict[str, str] = {}
    for route in READS:
        expected.update(_answers(matrix, route, got, unlike_missing))
    assert got == expected
    assert unlike_missing == {}, "a hidden resource answers unlike a missing one"


@pytest.mark.parametrize("route", WRITES, ids=" ".join)
def test_the_write_route_answers_as_its_row_says(matrix: Matrix, route: tuple[str, str]) -> None:
    got: dict[str, str] = {}
    unlike_missing: dict[str, Any] = {}
    expected = _answers(matrix, route, got, unlike_missing)
    assert got == expected
    assert unlike_missing == {}, "a hidden resource answers unlike a missing one"


@pytest.mark.parametrize("version", [1, 2])
def test_a_hidden_notice_version_answers_as_a_missing_one(matrix: Matrix, version: int) -> None:
    missing = MISSING["notice"]
    absent = _shape(matrix.world.get("alpha", f"/notices/{missing}?version={version}"), missing)
    for relation in HIDING:
        notice = matrix.resources["notice"][relation]
        response = matrix.world.get("alpha", f"/notices/{notice}?version={version}")
        assert _shape(response, notice) == absent, relation


def test_a_party_lists_itself_and_its_partners_and_the_admin_all(matrix: Matrix) -> None:
    def listed(who: str) -> set[str]:
        return _ids(matrix.world.get(who, "/parties").json())

    assert listed("alpha") == {"alpha", "bravo"}
    assert listed("bravo") == {"alpha", "bravo", "charlie"}
    assert listed("charlie") == {"bravo", "charlie"}
    assert listed("admin") == {"alpha", "bravo", "charlie", "delta"}


def test_every_resource_of_the_matrix_exists(matrix: Matrix) -> None:
    """A `hidden` or 404 cell proves something only if the thing is there for someone: the
    admin lists every resource of every kind, and each holder reads its notices."""
    admin = {
        kind: _cell_items(matrix, path, listed)
        for kind, (path, listed) in {
            "party": ("/parties", _ids),
            "agreement": ("/agreements", _ids),
            "area": ("/protected-areas", _ids),
            "hazard": ("/hazards", _ids),
            "event": ("/events?limit=500", _event_notices),
            "entry": ("/log/entries?limit=10000", _indices),
            "alert": ("/alerts", _ids),
        }.items()
    }
    for kind, resources in matrix.resources.items():
        for relation, resource in resources.items():
            if kind == "notice":
                holder = (
                    "alpha" if relation == "own" else {"unshared": "charlie"}.get(relation, "bravo")
                )
                assert matrix.world.get(holder, f"/notices/{resource}").status_code == 200
            else:
                assert resource in admin[kind], (kind, relation, resource)
    assert set(matrix.resources) == set(KINDS)
    for kind, relations in KINDS.items():
        assert set(matrix.resources[kind]) == set(relations), kind


def _cell_items(matrix: Matrix, path: str, listed: Callable[[Any], set[Any]]) -> set[Any]:
    response = matrix.world.get("admin", path)
    assert response.status_code == 200, response.text
    return listed(response.json())
