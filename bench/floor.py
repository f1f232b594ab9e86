"""The serving stack's floor (`http_framework_floor`): a bare WSGI callable answering a constant
JSON body, loaded by the same gunicorn configuration (geogrid/gunicorn.conf.py: preload, gthread
workers, the warm-up hook, which needs Django set up) and driven by the same load generator as the
HTTP figures. What the stack itself allows; every HTTP figure is printed as a ratio to it.

    gunicorn -c geogrid/gunicorn.conf.py bench.floor:application
"""
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geogrid.settings.production")
django.setup()

BODY = b'{"grid":{"id":1,"code":"310999000000","name":"floor"},"gap":false}'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
