"""Masks for sensitive values in lists and exports: enough to recognise, not to use."""


def mask_phone(value: str) -> str:
    """13812345678 -> 138****5678."""
    digits = value.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) <= 7:
        return "*" * (len(digits) - 4) + digits[-4:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id_number(value: str) -> str:
    """310101199001011234 -> 3101**********1234."""
    v = value.strip()
    if len(v) <= 8:
        return "*" * len(v)
    return v[:4] + "*" * (len(v) - 8) + v[-4:]


def mask_text(value: str) -> str:
    """Ethnicity and religion: whether something is recorded, never what."""
    return "***" if value else ""


MASKS = {"phone": mask_phone, "id_number": mask_id_number, "ethnicity": mask_text, "religion": mask_text}


def mask(field: str, value: str | None) -> str:
    if not value:
        return ""
    return MASKS.get(field, mask_text)(value)
