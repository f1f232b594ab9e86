"""/healthz: no login, 200 {"ok": true} once the database answers and the locate index is built."""
import pytest


@pytest.mark.django_db
def test_healthz_answers_ok_without_login(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"ok": True}
    assert "no-cache" in r["Cache-Control"] or "no-store" in r["Cache-Control"]


@pytest.mark.django_db
def test_healthz_says_not_ready_when_the_database_fails(client, monkeypatch):
    import geogrid.health as health

    def broken():
        raise RuntimeError("database down")

    monkeypatch.setattr(health, "warm", broken)
    r = client.get("/healthz")
    assert r.status_code == 503 and r.json()["ok"] is False
