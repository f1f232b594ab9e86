"""Input of the plan actions: one serializer per action, so each view reads named, typed fields
instead of picking them out of request.data. Geometry and lines stay JSON here: the services
read them and name what is wrong (their RuleViolation), as before."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from layers.core.errors import RuleViolation

_TRUE = (True, "true", "1", 1)


def read(serializer_class, data, *, rule: str = "input"):
    """The validated input, or a RuleViolation (400 with the reason, like every other rule)."""
    s = serializer_class(data=data)
    if not s.is_valid():
        field, errors = next(iter(s.errors.items()))
        raise RuleViolation(getattr(serializer_class, "rule", rule), f"{field}: {errors[0]}")
    return s.validated_data


class PlanCreateIn(serializers.Serializer):
    rule = "parent_unknown"
    parent = serializers.IntegerField(error_messages={"invalid": _("a grid id is required"),
                                                      "required": _("a grid id is required"),
                                                      "null": _("a grid id is required")})
    name = serializers.CharField(required=False, default="", allow_blank=True, trim_whitespace=False)

    def validate_name(self, value):
        return str(value)[:100]


class SplitIn(serializers.Serializer):
    grid = serializers.JSONField(required=False, default=None)
    line = serializers.JSONField(required=False, default=None)
    crs = serializers.CharField(required=False, default="wgs84", allow_null=True)


class MergeIn(serializers.Serializer):
    rule = "merge_needs_two"
    grids = serializers.ListField(child=serializers.JSONField(),
                                  error_messages={"not_a_list": _("a list of plan grid ids is required"),
                                                  "required": _("a list of plan grid ids is required"),
                                                  "null": _("a list of plan grid ids is required")})


class DrawIn(serializers.Serializer):
    geometry = serializers.JSONField(required=False, default=None)
    name = serializers.CharField(required=False, default="", allow_blank=True, allow_null=True, trim_whitespace=False)
    kind = serializers.CharField(required=False, default="base", allow_blank=True, allow_null=True)
    use = serializers.CharField(required=False, default="", allow_blank=True, allow_null=True)

    def validate(self, data):
        return {**data, "name": data.get("name") or "", "kind": data.get("kind") or "base", "use": data.get("use") or ""}


class GridUpdateIn(serializers.Serializer):
    geometry = serializers.JSONField(required=False, default=None)
    name = serializers.JSONField(required=False, default=None)
    kind = serializers.JSONField(required=False, default=None)
    use = serializers.JSONField(required=False, default=None)


class AutopartitionIn(serializers.Serializer):
    target_households = serializers.JSONField(required=False, default=None)
    band = serializers.JSONField(required=False, default=None)
    lines = serializers.JSONField(required=False, default=None)
    crs = serializers.CharField(required=False, default="wgs84", allow_null=True)
    strict_lines = serializers.JSONField(required=False, default=False)

    def validate_strict_lines(self, value):
        return value in _TRUE


class NoInput(serializers.Serializer):
    """Undo, redo, discard and publish take nothing but the plan in the URL."""
