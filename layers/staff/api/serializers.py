from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from layers.staff.models import ApiToken


class TokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                 help_text=_("What the token is for, e.g. 'QGIS on the office PC'."))


class TokenSerializer(serializers.ModelSerializer):
    """A token as its owner sees it later: never the token itself."""
    revoked = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at", "revoked"]

    def get_revoked(self, obj) -> bool:
        return obj.revoked_at is not None


class TokenCreatedSerializer(TokenSerializer):
    """The answer to a creation: the one time the token is shown."""
    token = serializers.CharField(help_text=_("Shown once; store it now."))

    class Meta(TokenSerializer.Meta):
        fields = TokenSerializer.Meta.fields + ["token"]
