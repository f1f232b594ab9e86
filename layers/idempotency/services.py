"""Idempotent writes for the API: a view hands its write to `idempotent_write`, which runs it
once per (user, route, Idempotency-Key) and answers a replay with the first answer.

Why the answer is stored in the same transaction as the write: a phone that sends, loses the
network before the answer arrives and sends again must find either nothing (the write rolled
back) or both the write and its answer, never a write without an answer to replay."""
import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.response import Response

from layers.core.errors import RuleViolation

from .models import IdempotencyRecord

MAX_KEY = 200


class IdempotencyConflict(RuleViolation):
    """The same Idempotency-Key came with another body."""


def body_hash(data) -> str:
    """A stable hash of a request body (parsed JSON or form data)."""
    if hasattr(data, "lists"):
        data = {k: v if len(v) != 1 else v[0] for k, v in data.lists()}
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _replay(user, route: str, key: str, digest: str) -> Response | None:
    seen = IdempotencyRecord.objects.filter(user=user, route=route, key=key).first()
    if seen is None:
        return None
    if seen.body_hash != digest:
        raise IdempotencyConflict("idempotency_key_reused",
                                  _("Idempotency-Key %(key)s was already used with a different body; "
                                    "use a new key for a new request") % {"key": key})
    response = Response(seen.response, status=seen.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent_write(request, *, route: str, write: Callable[[], Response]) -> Response:
    """Run `write()` (which returns a DRF Response) at most once per Idempotency-Key of this
    user and route. Without the header it simply runs. Only successful answers (2xx) are kept:
    a refused write leaves nothing behind, and its replay is judged afresh."""
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if not key:
        return write()
    if len(key) > MAX_KEY:
        raise RuleViolation("idempotency_key", _("Idempotency-Key is longer than 200 characters"))
    digest = body_hash(request.data)
    try:
        found = _replay(request.user, route, key, digest)
    except IdempotencyConflict as err:
        return Response(err.as_dict(), status=422)
    if found is not None:
        return found
    try:
        with transaction.atomic():
            response = write()
            if 200 <= response.status_code < 300:
                IdempotencyRecord.objects.create(user=request.user, route=route, key=key, body_hash=digest,
                                                 status_code=response.status_code, response=response.data)
    except IntegrityError:
        # A concurrent request with the same key won the race: answer as its replay.
        found = _replay(request.user, route, key, digest)
        if found is None:
            raise
        return found
    return response
