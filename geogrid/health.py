"""Readiness: the database answers and the in-process locate index is built. Used by the
gunicorn start-up (warm the index before the workers fork) and by `/healthz`, which load
balancers, the benchmark and the tests poll instead of guessing how long a start takes."""
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


def warm() -> None:
    """Build what the first request would otherwise build: the database connection and the
    locate index (an empty lookup builds or checks the index)."""
    from layers.grids.locate import warm as warm_locate

    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    warm_locate()


@never_cache
def healthz(request):
    """200 {"ok": true} when ready, 503 with the failing part otherwise. No login: it says
    nothing but whether the service can answer."""
    try:
        warm()
    except Exception as exc:  # any failure means "not ready"; the reason's class is enough
        return JsonResponse({"ok": False, "detail": type(exc).__name__}, status=503)
    return JsonResponse({"ok": True})
