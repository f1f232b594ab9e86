from rest_framework import serializers

from layers.staff.names import person_name

from ..masking import mask
from ..models import Subject, SubjectCategory, SubjectKind, Visit, VisitKind
from ..services import SENSITIVE


class SubjectSerializer(serializers.ModelSerializer):
    """A subject as staff in scope see it: sensitive values masked."""
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    address_text = serializers.CharField(source="address.full_text", read_only=True)
    grid_code = serializers.CharField(source="grid.code", read_only=True, default=None)
    grid_name = serializers.CharField(source="grid.name", read_only=True, default=None)

    class Meta:
        model = Subject
        fields = ["id", "kind", "name", "category", "category_label", "address", "address_text", "grid",
                  "grid_code", "grid_name", "needs", "contact", "notes", *SENSITIVE, "created_at", "updated_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for f in SENSITIVE:
            data[f] = mask(f, getattr(instance, f))
        data["masked"] = True
        return data


class RevealSerializer(serializers.Serializer):
    fields = serializers.ListField(child=serializers.CharField(max_length=50), allow_empty=False, max_length=20)


class VisitSerializer(serializers.ModelSerializer):
    staff_name = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = ["id", "subject", "staff", "staff_name", "date", "kind", "notes", "follow_up", "follow_up_done"]
        read_only_fields = ["staff"]

    def get_staff_name(self, obj) -> str:
        return person_name(obj.staff) if obj.staff else None


class VisitCreateSerializer(serializers.Serializer):
    subject = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=VisitKind.choices, default=VisitKind.ROUTINE)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    follow_up = serializers.CharField(required=False, allow_blank=True, default="")


class SubjectCreateSerializer(serializers.Serializer):
    address = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    name = serializers.CharField(max_length=100)
    category = serializers.ChoiceField(choices=SubjectCategory.choices)
    kind = serializers.ChoiceField(choices=SubjectKind.choices, default=SubjectKind.PERSON)
    needs = serializers.CharField(required=False, allow_blank=True, default="")
    contact = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    ethnicity = serializers.CharField(required=False, allow_blank=True, default="", max_length=50)
    religion = serializers.CharField(required=False, allow_blank=True, default="", max_length=50)
    id_number = serializers.RegexField(r"^(|[0-9]{17}[0-9Xx]|[0-9A-Za-z()（）-]{5,30})$", required=False,
                                       allow_blank=True, default="")
    phone = serializers.RegexField(r"^(|[0-9+() -]{5,20})$", required=False, allow_blank=True, default="")
