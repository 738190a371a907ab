"""Agreement terms as stored, logged and read back."""

from __future__ import annotations

from deconflict.domain import AgreementTerms, TrackSharing


def test_terms_read_back_and_old_terms_share_alerts_only() -> None:
    terms = AgreementTerms("t", ("a", "b"), track_sharing=TrackSharing.ALL_MEMBERS)
    assert AgreementTerms.from_dict(terms.as_dict()) == terms
    assert terms.as_dict()["track_sharing"] == "all_members"
    stored_before = {k: v for k, v in terms.as_dict().items() if k != "track_sharing"}
    assert AgreementTerms.from_dict(stored_before).track_sharing is TrackSharing.ALERTS_ONLY
    assert AgreementTerms("t", ("a", "b")).track_sharing is TrackSharing.ALERTS_ONLY
