"""{% inline_static "app/file.css" %}: a static file's text, for a page that must be usable after
one round trip on a weak signal (the report page inlines its styles and scripts; the scripts
then run under the page's CSP nonce). Read through the staticfiles finders, kept in memory."""
from functools import lru_cache
from pathlib import Path

from django import template
from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils.safestring import mark_safe

register = template.Library()


def _read(path: str) -> str:
    found = finders.find(path)
    if not found:
        raise template.TemplateSyntaxError(f"inline_static: no static file {path!r}")
    text = Path(found).read_text("utf-8")
    low = text.lower()
    if "</script" in low or "</style" in low:
        # The text would end its element early: such a file is linked, never inlined.
        raise template.TemplateSyntaxError(f"inline_static: {path!r} contains a closing tag")
    return text


_cached = lru_cache(maxsize=64)(_read)


@register.simple_tag
def inline_static(path: str) -> str:
    return mark_safe(_read(path) if settings.DEBUG else _cached(path))
