"""Every field of the personal-data models is classified, and a test fails when one is not.

public:    may appear on the public service card (shown to anyone) when consent is given.
internal:  staff in scope may read it in lists and details.
sensitive: personal information of special category (ethnicity, religion) or identifiers
           (ID number, phone): encrypted at rest, masked in lists and exports, shown in full
           only on an explicit, logged reveal by field staff whose scope includes the record.
"""
PUBLIC, INTERNAL, SENSITIVE = "public", "internal", "sensitive"

FIELD_CLASSES: dict[str, dict[str, str]] = {
    "subjects.Subject": {
        "id": INTERNAL, "kind": INTERNAL, "name": INTERNAL, "category": INTERNAL,
        "address": INTERNAL, "grid": INTERNAL, "needs": INTERNAL, "contact": INTERNAL,
        "notes": INTERNAL, "created_at": INTERNAL, "updated_at": INTERNAL,
        "ethnicity": SENSITIVE, "religion": SENSITIVE, "id_number": SENSITIVE, "phone": SENSITIVE,
        "district_code": INTERNAL,
    },
    "subjects.Visit": {
        "id": INTERNAL, "subject": INTERNAL, "staff": INTERNAL, "date": INTERNAL, "kind": INTERNAL,
        "notes": INTERNAL, "follow_up": INTERNAL, "follow_up_done": INTERNAL, "created_at": INTERNAL,
        "district_code": INTERNAL,
    },
    "subjects.RevealLog": {
        "id": INTERNAL, "user": INTERNAL, "subject": INTERNAL, "fields": INTERNAL, "at": INTERNAL,
    },
    "staff.StaffProfile": {
        "id": INTERNAL, "user": INTERNAL, "display_name": PUBLIC, "photo": PUBLIC, "public_phone": PUBLIC,
        "pledge": PUBLIC, "show_publicly": INTERNAL, "updated_at": INTERNAL,
    },
}


def sensitive_fields(model_label: str) -> list[str]:
    return [f for f, c in FIELD_CLASSES[model_label].items() if c == SENSITIVE]
