"""The context's transactions: a transaction that lost a race to the database runs again."""

from __future__ import annotations

import psycopg.errors
import pytest
import sqlalchemy as sa
from test_service_notices import setup, volume

from deconflict.clock import FakeClock
from deconflict.errors import Unavailable
from deconflict.service import Service
from deconflict.storage.log_entries import LogEntryStore


def lost_race(sqlstate_error: type[Exception]) -> sa.exc.OperationalError:
    return sa.exc.OperationalError("COMMIT", {}, sqlstate_error("lost a race"))


@pytest.mark.parametrize(
    "error", [psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure]
)
def test_a_use_case_that_lost_a_race_runs_again_and_is_stored_once(
    service: Service, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, error: type[Exception]
) -> None:
    a, b, _, agr = setup(service)
    real = LogEntryStore.append
    failures = [lost_race(error)]

    def append_once_failing(self: LogEntryStore, pending: object) -> int:
        if failures:
            raise failures.pop()
        return real(self, pending)  # type: ignore[arg-type]

    monkeypatch.setattr(LogEntryStore, "append", append_once_failing)
    notice = service.submit_notice(a, agr, [volume(clock)], "raced")
    assert failures == []
    assert [n.id for n in service.list_notices(a).items] == [notice.id]
    assert [n.id for n in service.list_notices(b).items] == [notice.id]
    assert service.verify_log() == []


def test_other_database_errors_and_repeated_losses_reach_the_caller(
    service: Service, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `Unavailable` (503 at the API), the database's error its cause."""
    a, _, _, agr = setup(service)

    def always(self: LogEntryStore, pending: object) -> int:
        raise lost_race(psycopg.errors.DeadlockDetected)

    monkeypatch.setattr(LogEntryStore, "append", always)
    with pytest.raises(Unavailable) as raised:
        service.submit_notice(a, agr, [volume(clock)], "never")
    assert isinstance(raised.value.__cause__, sa.exc.OperationalError)

    def broken(self: LogEntryStore, pending: object) -> int:
        raise lost_race(psycopg.errors.DiskFull)

    calls = []
    monkeypatch.setattr(LogEntryStore, "append", lambda s, p: calls.append(1) or broken(s, p))
    with pytest.raises(Unavailable) as raised:
        service.submit_notice(a, agr, [volume(clock)], "never")
    assert isinstance(raised.value.__cause__, sa.exc.OperationalError)
    assert calls == [1], "an error that is not a lost race is not retried"
    monkeypatch.undo()
    assert service.list_notices(a).items == ()
