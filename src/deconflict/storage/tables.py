"""The database schema, one table per stored fact. Alembic migrations are generated from it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

__all__ = [
    "UTCDateTime",
    "acknowledgements",
    "agreement_members",
    "agreement_versions",
    "agreements",
    "aircraft_prefixes",
    "aircraft_ranges",
    "alert_parties",
    "alerts",
    "checkpoints",
    "conflicts",
    "cosignatures",
    "disclosures",
    "event_audience",
    "events",
    "hazards",
    "idempotency_keys",
    "index_changes",
    "log_entries",
    "log_entry_parties",
    "log_head",
    "log_nodes",
    "metadata",
    "notice_versions",
    "notices",
    "parties",
    "party_keys",
    "protected_areas",
    "settings",
    "track_history",
]


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on every backend (SQLite has no zones)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing to store a naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = sa.String(64)

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

parties = sa.Table(
    "parties",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("token_revoked_at", UTCDateTime, nullable=True),
)

party_keys = sa.Table(
    "party_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("party_id", Id, sa.ForeignKey("parties.id"), nullable=False, index=True),
    sa.Column("purpose", sa.String(16), nullable=False),
    sa.Column("key_b64", sa.String(64), nullable=False),
    sa.Column("added_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("party_id", "purpose", "key_b64", name="uq_party_keys_key"),
)

aircraft_ranges = sa.Table(
    "aircraft_ranges",
    metadata,
    sa.Column("party_id", Id, sa.ForeignKey("parties.id"), primary_key=True),
    sa.Column("first_icao24", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_icao24", sa.Integer, nullable=False),
)
"""The ICAO address ranges (inclusive, 24-bit integers) a party declares its own."""

aircraft_prefixes = sa.Table(
    "aircraft_prefixes",
    metadata,
    sa.Column("prefix", sa.String(8), primary_key=True),
    sa.Column("party_id", Id, sa.ForeignKey("parties.id"), nullable=False, index=True),
)
"""The callsign prefixes a party declares its own: one party per prefix."""

agreements = sa.Table(
    "agreements",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("current_version", sa.Integer, nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False, default=0),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

agreement_versions = sa.Table(
    "agreement_versions",
    metadata,
    sa.Column("agreement_id", Id, sa.ForeignKey("agreements.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("terms", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

agreement_members = sa.Table(
    "agreement_members",
    metadata,
    sa.Column("agreement_id", Id, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("party_id", Id, sa.ForeignKey("parties.id"), primary_key=True, index=True),
    sa.ForeignKeyConstraint(
        ["agreement_id", "version"],
        ["agreement_versions.agreement_id", "agreement_versions.version"],
        name="fk_agreement_members_version",
    ),
)

protected_areas = sa.Table(
    "protected_areas",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("owner", Id, sa.ForeignKey("parties.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("volume", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("removed_at", UTCDateTime, nullable=True),
)

hazards = sa.Table(
    "hazards",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("agreement_id", Id, sa.ForeignKey("agreements.id"), nullable=False, index=True),
    sa.Column("entered_by", Id, sa.ForeignKey("parties.id"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("volume", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("removed_at", UTCDateTime, nullable=True),
)

notices = sa.Table(
    "notices",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("agreement_id", Id, sa.ForeignKey("agreements.id"), nullable=False, index=True),
    sa.Column("originator", Id, sa.ForeignKey("parties.id"), nullable=False, index=True),
    sa.Column("latest_version", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

notice_versions = sa.Table(
    "notice_versions",
    metadata,
    sa.Column("notice_id", Id, sa.ForeignKey("notices.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("agreement_version", sa.Integer, nullable=False),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("volumes", sa.JSON, nullable=False),
    sa.Column("time_start", UTCDateTime, nullable=False),
    sa.Column("time_end", UTCDateTime, nullable=False, index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("submitted_at", UTCDateTime, nullable=True),
    sa.Column("indexed", sa.Boolean, nullable=False, default=False, index=True),
)

disclosures = sa.Table(
    "disclosures",
    metadata,
    sa.Column("notice_id", Id, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("party_id", Id, sa.ForeignKey("parties.id"), primary_key=True, index=True),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("disclosed_at", UTCDateTime, nullable=False),
    sa.Column("first_fetched_at", UTCDateTime, nullable=True),
    sa.Column("lead_time_s", sa.Float, nullable=False),
    sa.Column("short_notice", sa.Boolean, nullable=False),
    sa.Column("ack_due_at", UTCDateTime, nullable=False),
    sa.Column("ack_state", sa.String(24), nullable=False),
    sa.Column("escalation_tier", sa.Integer, nullable=False, default=0),
    sa.Column("next_escalation_at", UTCDateTime, nullable=True, index=True),
    sa.Column("acknowledged_at", UTCDateTime, nullable=True),
    sa.ForeignKeyConstraint(
        ["notice_id", "version"],
        ["notice_versions.notice_id", "notice_versions.version"],
        name="fk_disclosures_version",
    ),
)

acknowledgements = sa.Table(
    "acknowledgements",
    metadata,
    sa.Column("notice_id", Id, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("party_id", Id, primary_key=True),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("party_received_at", UTCDateTime, nullable=True),
    sa.Column("acknowledged_at", UTCDateTime, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("late", sa.Boolean, nullable=False),
    sa.Column("signature_b64", sa.String(128), nullable=True),
    sa.ForeignKeyConstraint(
        ["notice_id", "version", "party_id"],
        ["disclosures.notice_id", "disclosures.version", "disclosures.party_id"],
        name="fk_acknowledgements_disclosure",
    ),
)

conflicts = sa.Table(
    "conflicts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("notice_id", Id, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("volume_index", sa.Integer, nullable=False),
    sa.Column("other_kind", sa.String(16), nullable=False),
    sa.Column("other_id", Id, nullable=False),
    sa.Column("other_version", sa.Integer, nullable=True),
    sa.Column("other_volume_index", sa.Integer, nullable=False),
    sa.Column("other_party", Id, nullable=True),
    sa.Column("overlap_start", UTCDateTime, nullable=False),
    sa.Column("overlap_end", UTCDateTime, nullable=False),
    sa.Column("altitude_overlap_lower_m", sa.Float, nullable=True),
    sa.Column("altitude_overlap_upper_m", sa.Float, nullable=True),
    sa.Column("vertical_gap_m", sa.Float, nullable=False),
    sa.Column("min_distance_m", sa.Float, nullable=False),
    sa.Column("overlap", sa.JSON, nullable=True),
    sa.Column("detected_at", UTCDateTime, nullable=False),
    sa.ForeignKeyConstraint(
        ["notice_id", "version"],
        ["notice_versions.notice_id", "notice_versions.version"],
        name="fk_conflicts_version",
    ),
    sa.Index("ix_conflicts_notice_version", "notice_id", "version"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("agreement_id", Id, nullable=False),
    sa.Column("notice_id", Id, nullable=True),
    sa.Column("version", sa.Integer, nullable=True),
    sa.Column("party_id", Id, nullable=True),
    sa.Column("due_at", UTCDateTime, nullable=True),
    sa.Column("data", sa.JSON, nullable=False),
)

event_audience = sa.Table(
    "event_audience",
    metadata,
    sa.Column("party_id", Id, primary_key=True),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), primary_key=True),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("party_id", Id, primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("notice_id", Id, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

index_changes = sa.Table(
    "index_changes",
    metadata,
    sa.Column("agreement_id", Id, primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("op", sa.String(8), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("source_id", Id, nullable=False),
    sa.Column("source_version", sa.Integer, nullable=True),
)

log_head = sa.Table(
    "log_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
)

log_entries = sa.Table(
    "log_entries",
    metadata,
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
    sa.Column("entry", sa.LargeBinary, nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("notice_id", Id, nullable=True),
    sa.Column("version", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_log_entries_notice", "notice_id", "version"),
)

log_entry_parties = sa.Table(
    "log_entry_parties",
    metadata,
    sa.Column("party_id", Id, primary_key=True),
    sa.Column("idx", sa.BigInteger, sa.ForeignKey("log_entries.idx"), primary_key=True),
)

log_nodes = sa.Table(
    "log_nodes",
    metadata,
    sa.Column("level", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.LargeBinary(32), nullable=False),
)

checkpoints = sa.Table(
    "checkpoints",
    metadata,
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

cosignatures = sa.Table(
    "cosignatures",
    metadata,
    sa.Column("size", sa.BigInteger, sa.ForeignKey("checkpoints.size"), primary_key=True),
    sa.Column("party_id", Id, sa.ForeignKey("parties.id"), primary_key=True),
    # The latest cosignature of (size, party), replaced as the witness re-co-signs: freshness.
    sa.Column("line", sa.Text, nullable=False),
    sa.Column("timestamp", UTCDateTime, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    # The earliest, kept: the tightest "entry logged by" bound of a proof bundle.
    sa.Column("first_line", sa.Text, nullable=False),
    sa.Column("first_timestamp", UTCDateTime, nullable=False),
    sa.Column("first_received_at", UTCDateTime, nullable=False),
)

track_history = sa.Table(
    "track_history",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    # The minute of service time the state was kept in: its batch, which one log entry commits to.
    sa.Column("minute", UTCDateTime, nullable=False, index=True),
    sa.Column("party", Id, nullable=True),
    sa.Column("track_id", Id, nullable=False),
    sa.Column("t_s", sa.Double, nullable=False),
    sa.Column("lat", sa.Double, nullable=False),
    sa.Column("lon", sa.Double, nullable=False),
    sa.Column("alt_m", sa.Double, nullable=False),
    sa.Column("gs_mps", sa.Double, nullable=False),
    sa.Column("trk_deg", sa.Double, nullable=False),
    sa.Column("vs_mps", sa.Double, nullable=False),
    sa.Column("source", sa.String(300), nullable=False),
    sa.Column("callsign", sa.String(8), nullable=True),
    sa.Column("icao24", sa.String(6), nullable=True),
    sa.Column("squawk", sa.String(4), nullable=True),
    sa.Column("notice_id", Id, nullable=True),
    sa.Column("on_ground", sa.Boolean, nullable=False),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("raised_at", UTCDateTime, nullable=False),
    sa.Column("reported_at", UTCDateTime, nullable=False),
    sa.Column("cleared_at", UTCDateTime, nullable=True),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Index("ix_alerts_state", "state"),
)
"""Each alert as last reported: `data` is its `AlertRecord.data()`."""

alert_parties = sa.Table(
    "alert_parties",
    metadata,
    sa.Column("alert_id", Id, sa.ForeignKey("alerts.id"), primary_key=True),
    sa.Column("party_id", Id, primary_key=True),
    sa.Index("ix_alert_parties_party_id", "party_id"),
)
"""Who hears each alert, for listing a party's alerts."""
