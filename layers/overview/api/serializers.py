import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..selectors import SORTABLE

FLAGS = ("no_staff", "no_head", "no_station", "households_below_band", "households_above_band", "overdue_share_high")


@extend_schema_field({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "example": "2026-03"})
class MonthField(serializers.Field):
    """YYYY-MM -> the first day of that month, no later than the current month."""

    def to_representation(self, value):
        return value.strftime("%Y-%m")

    def to_internal_value(self, data):
        text = data if isinstance(data, str) else ""
        if len(text) != 7:
            raise serializers.ValidationError(_("month must be YYYY-MM, e.g. 2026-11"))
        try:
            month = dt.datetime.strptime(text, "%Y-%m").date()
        except ValueError:
            raise serializers.ValidationError(_("month must be YYYY-MM, e.g. 2026-11"))
        if month.year < 2000 or month > timezone.localdate().replace(day=1):
            raise serializers.ValidationError(_("month must be between 2000-01 and the current month"))
        return month


class OverviewQuerySerializer(serializers.Serializer):
    level = serializers.IntegerField(min_value=1, max_value=20, help_text=_("grid level, e.g. 4 for micro-grids"))
    network = serializers.ChoiceField(choices=("base", "party"), required=False, default="base",
                                      help_text=_("grid network: base (the administrative grid, default) or party"))
    month = MonthField(required=False,
                       help_text=_("period: a calendar month YYYY-MM; default the last 30 days"))
    sort = serializers.ChoiceField(choices=SORTABLE, required=False, default="code")
    order = serializers.ChoiceField(choices=("asc", "desc"), required=False, default="asc")
    flag = serializers.ChoiceField(choices=FLAGS, required=False)
    q = serializers.CharField(required=False, max_length=50, help_text=_("code or name contains"))
    format = serializers.ChoiceField(choices=("json", "csv", "xlsx"), required=False, default="json")

    def validate_q(self, value):
        if any(ord(ch) < 32 for ch in value):
            raise serializers.ValidationError(_("control characters are not allowed"))
        return value


class AssessmentQuerySerializer(serializers.Serializer):
    month = MonthField(help_text=_("YYYY-MM"))
    level = serializers.IntegerField(min_value=1, max_value=20)
    format = serializers.ChoiceField(choices=("json", "csv", "xlsx"), required=False, default="json")
