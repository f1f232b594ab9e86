from .base import *  # noqa: F401,F403

DEBUG = True
# A fixed demo key so the demo data's encrypted fields stay readable between runs.
GEOGRID_FIELD_KEY = GEOGRID_FIELD_KEY or "ZGVtby1rZXktZ2VvZ3JpZC1kZW1vLWtleS0zMmJ5dGU="  # noqa: F405
