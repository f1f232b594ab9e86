"""Writes of the Open311 layer: clients and their keys, posted requests into the incident intake."""
import hashlib
import secrets
import uuid

from django.db import transaction

from layers.incidents.services import incident_create

from .models import Client, ServiceRequest


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def client_create(*, name: str, source: str | None = None, user=None) -> tuple[Client, str]:
    """A new client and its api_key (returned once; only its hash is stored)."""
    key = secrets.token_urlsafe(32)
    client = Client(name=name, key_prefix=key[:8], key_hash=key_hash(key), user=user)
    if source:
        client.source = source
    client.full_clean()
    client.save()
    return client, key


@transaction.atomic
def client_rotate_key(*, client: Client) -> str:
    key = secrets.token_urlsafe(32)
    client.key_prefix, client.key_hash = key[:8], key_hash(key)
    client.save(update_fields=["key_prefix", "key_hash"])
    return key


@transaction.atomic
def request_create(*, client: Client, service_code: str, description: str, lon=None, lat=None,
                   address_id=None, address_string: str = "") -> ServiceRequest:
    """File a posted request through the same intake as every incident, under the client's source.
    Personal fields of the spec (name, email, phone, device) are not stored."""
    incident = incident_create(user=client.user, lon=lon, lat=lat, crs="wgs84", address=address_id,
                               description=description, type=service_code, source=client.source)
    req = ServiceRequest(client=client, incident=incident, token=str(uuid.uuid4()),
                         address_string=(address_string or "")[:300])
    req.full_clean()
    req.save()
    return req
