"""The state a caller's identity and scope rest on, as one token: it changes whenever an
assignment, an API token, an account's activity or password, a session's end (staff_authstate,
migration 0006) or any grid (grids_gridstate: paths, levels, children) changes.

Whoever keeps something derived from a caller's scope beyond one request (the hot path of grid
tiles, geogrid/hotpath.py) stores this token with it and drops it when the token moved."""
import threading
import time

from django.db import connection

_lock = threading.Lock()
# The last token read and when (monotonic seconds), per process.
_last = {"token": "", "at": float("-inf")}


def auth_state_token(*, max_age: float = 0.0) -> str:
    """The current token; with max_age > 0, a token read at most that many seconds ago may be
    answered instead of a round trip (a change is then seen that much later)."""
    now = time.monotonic()
    if max_age > 0 and now - _last["at"] < max_age and _last["token"]:
        return _last["token"]
    with connection.cursor() as cur:
        cur.execute("SELECT a.token::text || ':' || g.token::text FROM staff_authstate a, grids_gridstate g "
                    "WHERE a.id = 1 AND g.id = 1")
        row = cur.fetchone()
    token = row[0] if row else ""
    if not connection.in_atomic_block:
        # Inside a transaction the token is that transaction's view: never shared with others.
        with _lock:
            _last.update(token=token, at=now)
    return token


def forget() -> None:
    """Drop the remembered token (tests)."""
    with _lock:
        _last.update(token="", at=float("-inf"))
