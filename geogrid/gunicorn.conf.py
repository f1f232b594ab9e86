"""gunicorn settings for geogrid (`gunicorn -c geogrid/gunicorn.conf.py geogrid.wsgi`).

The app is loaded and warmed once in the master before the workers fork, so the first request
after a start is served warm (a cold worker needed ~3.6 s for its first lookup). Threaded
workers: one slow client holds one thread, not a whole worker."""
import os

preload_app = True
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
keepalive = 5
# Bodies beyond these never reach Django (a request line, a header, the number of headers).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190


def when_ready(server):
    """In the master, after the app is loaded and before any worker forks: build the locate
    index, then close the connection so no worker inherits a shared socket."""
    from django.db import connections

    from geogrid.health import warm

    try:
        warm()
    except Exception as exc:  # the database may still be starting; workers will build lazily
        server.log.warning("warm-up skipped: %s", exc)
    finally:
        connections.close_all()
