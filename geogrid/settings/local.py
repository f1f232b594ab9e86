from .base import *  # noqa: F401,F403

# Development with `manage.py runserver`. `make run` serves with production settings (DEBUG off).
DEBUG = True
