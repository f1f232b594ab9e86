"""The field keys in force. A running process follows the key file: when a rotation adds a key
and names it current, workers started before it read and write with the new key from their next
call on, without a restart (one stat() per call)."""
import os

from django.conf import settings

from geogrid import keyfile

_state = {"stamp": None, "keys": None}


def field_keys() -> list[str]:
    """Every usable field key, the current one first."""
    if not getattr(settings, "GEOGRID_FIELD_KEYS_FOLLOW_FILE", False) or os.environ.get("GEOGRID_FIELD_KEY"):
        return list(settings.GEOGRID_FIELD_KEYS)
    p = keyfile.path()
    try:
        st = p.stat()
    except FileNotFoundError:
        return list(settings.GEOGRID_FIELD_KEYS)
    stamp = (str(p), st.st_mtime_ns, st.st_ino, st.st_size)  # the file is replaced, never edited in place
    if stamp != _state["stamp"]:
        _state["keys"] = keyfile.field_keys(keyfile.read(p)) or list(settings.GEOGRID_FIELD_KEYS)
        _state["stamp"] = stamp
    return list(_state["keys"])
