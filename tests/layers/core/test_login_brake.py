"""Ten wrong passwords lock the account (form and basic auth), with a clear Chinese message;
the right password is refused while locked; every failure and the lockout are audited."""
import base64

import pytest
from django.test import Client
from rest_framework.test import APIClient

from layers.audit.models import AuditEvent


def basic(username, password):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def victim(make_user):
    return make_user("victim")  # password "pw-victim"


def test_ten_wrong_form_passwords_lock_the_account(victim):
    c = Client()
    for i in range(9):
        r = c.post("/accounts/login/", {"username": "victim", "password": f"wrong-{i}"})
        assert r.status_code == 200  # the form again, with its error
    r = c.post("/accounts/login/", {"username": "victim", "password": "wrong-9"})
    assert r.status_code == 429
    text = r.content.decode()
    assert "锁定" in text and "分钟" in text
    # the right password does not get in while locked, from this address or another
    r = c.post("/accounts/login/", {"username": "victim", "password": "pw-victim"})
    assert r.status_code == 429 and "_auth_user_id" not in c.session
    r = Client(REMOTE_ADDR="10.9.8.7").post("/accounts/login/", {"username": "victim", "password": "pw-victim"})
    assert r.status_code == 429
    assert AuditEvent.objects.filter(action="login_failed", username="victim").count() >= 10
    assert AuditEvent.objects.filter(action="lockout", username="victim").exists()
    assert not AuditEvent.objects.filter(action="login", username="victim").exists()


def test_nine_wrong_then_right_password_logs_in_and_resets(victim):
    c = Client()
    for i in range(9):
        c.post("/accounts/login/", {"username": "victim", "password": f"wrong-{i}"})
    r = c.post("/accounts/login/", {"username": "victim", "password": "pw-victim"})
    assert r.status_code == 302 and c.session["_auth_user_id"] == str(victim.pk)
    assert AuditEvent.objects.filter(action="login", user=victim).count() == 1


def test_ten_wrong_basic_passwords_lock_the_api_too(victim):
    for i in range(10):
        r = APIClient().get("/api/me/", HTTP_AUTHORIZATION=basic("victim", f"wrong-{i}"))
        assert r.status_code in (401, 429)
    r = APIClient().get("/api/me/", HTTP_AUTHORIZATION=basic("victim", "pw-victim"))
    assert r.status_code == 429
    assert "锁定" in r.json()["detail"]
    # the form login is locked as well: one account, one count
    assert Client().post("/accounts/login/", {"username": "victim", "password": "pw-victim"}).status_code == 429


def test_locked_address_cannot_try_other_accounts(make_user):
    make_user("other-account")
    c = Client(REMOTE_ADDR="10.1.2.3")
    for i in range(10):
        c.post("/accounts/login/", {"username": f"guess-{i}", "password": "x"})
    r = c.post("/accounts/login/", {"username": "other-account", "password": "pw-other-account"})
    assert r.status_code == 429
    # the same account from another address is not locked (only the address was)
    r = Client(REMOTE_ADDR="10.1.2.4").post("/accounts/login/", {"username": "other-account",
                                                                 "password": "pw-other-account"})
    assert r.status_code == 302
