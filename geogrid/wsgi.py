import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geogrid.settings.local")
django_application = get_wsgi_application()

from geogrid.hotpath import hot_paths  # noqa: E402  (needs the settings configured above)

# Single lookups and grid tiles of logged-in callers skip the framework (geogrid/hotpath.py); all else is Django's.
application = hot_paths(django_application)
