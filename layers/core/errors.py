"""Domain errors: a rule was broken. They carry the rule's code and the objects involved so
that the API, the importer and the admin can all say which rule and which grids."""
from django.core.exceptions import ValidationError


class RuleViolation(ValidationError):
    """A domain rule refused a change. `rule` is a stable code; `grids` names those involved.

    The one error channel (layers/core/middleware.py for pages and plain views, api.py for DRF)
    answers it with `status`: JSON `as_dict()` for the API, geogrid's error page for pages."""

    status = 400

    def __init__(self, rule: str, message: str, *, grids: list | tuple = (), extra: dict | None = None):
        self.rule = rule
        self.grids = [str(g) for g in grids]
        self.extra = extra or {}
        super().__init__(message, code=rule)

    def as_dict(self) -> dict:
        return {"detail": self.messages[0], "rule": self.rule, "grids": self.grids, **self.extra}


class InvalidCoordinates(RuleViolation):
    def __init__(self, message: str):
        super().__init__("coordinates", message)
