import subprocess

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

from layers.subjects.classification import FIELD_CLASSES, PUBLIC, INTERNAL, SENSITIVE
from layers.subjects.masking import mask_id_number, mask_phone
from layers.subjects.models import Subject


def test_every_field_of_personal_data_models_is_classified():
    for label in ("subjects.Subject", "subjects.Visit", "subjects.RevealLog", "staff.StaffProfile"):
        model = apps.get_model(label)
        names = {f.name for f in model._meta.concrete_fields}
        missing = names - set(FIELD_CLASSES[label])
        assert not missing, f"{label} fields without a class: {sorted(missing)}"
        stale = set(FIELD_CLASSES[label]) - names
        assert not stale, f"{label} classifies fields that do not exist: {sorted(stale)}"
        assert set(FIELD_CLASSES[label].values()) <= {PUBLIC, INTERNAL, SENSITIVE}


def test_sensitive_fields_are_exactly_the_encrypted_ones():
    from layers.subjects.fields import EncryptedTextField
    encrypted = {f.name for f in Subject._meta.concrete_fields if isinstance(f, EncryptedTextField)}
    sensitive = {f for f, c in FIELD_CLASSES["subjects.Subject"].items() if c == SENSITIVE}
    assert encrypted == sensitive == {"ethnicity", "religion", "id_number", "phone"}


def test_masks_keep_only_the_ends():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("310101199001011234") == "3101**********1234"
    assert mask_phone("123") == "***"


@pytest.mark.django_db(transaction=True)
def test_pg_dump_holds_no_plaintext_sensitive_value(demo_grids):
    from layers.addresses.services import address_create
    from layers.subjects.services import subject_create

    grid = demo_grids["310106013001001"]
    p = grid.geometry.point_on_surface
    address = address_create(full_text="静安区加密测试路1号", lon=p.x, lat=p.y, households=10)
    planted = {"phone": "13700135799", "id_number": "31010619771231987X", "ethnicity": "鄂伦春族",
               "religion": "明显的测试宗教值"}
    subject = subject_create(address=address, name="明文探针", category="ethnic_minority", **planted)
    with connection.cursor() as cur:
        cur.execute("SELECT phone, id_number FROM subjects_subject WHERE id = %s", [subject.pk])
        stored = cur.fetchone()
    assert all(v.startswith("fernet:") for v in stored)
    assert Subject.objects.get(pk=subject.pk).phone == planted["phone"]
    db = settings.DATABASES["default"]
    dump = subprocess.run(["pg_dump", "-h", db["HOST"], "-U", db.get("USER") or "postgres",
                           # the table and its partitions (the rows live in these)
                           "-t", "subjects_subject*", connection.settings_dict["NAME"]],
                          capture_output=True, check=True, text=True).stdout
    assert "明文探针" in dump  # the dump is real and holds the row
    for value in planted.values():
        assert value not in dump
