"""Template words for people and roles: names in their own order, roles as words, never codes."""
from django import template

from layers.staff.models import Role
from layers.staff.names import person_name

register = template.Library()


@register.filter
def person(user) -> str:
    """{{ user|person }}: "何宇晓" for a Chinese name, "Ada Lovelace" otherwise."""
    return person_name(user)


@register.filter
def role_label(code) -> str:
    """{{ "grid_head"|role_label }}: the role as a word in the current language."""
    try:
        return str(Role(code).label)
    except ValueError:
        return str(code or "")
