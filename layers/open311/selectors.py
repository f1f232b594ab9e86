"""Reads of the Open311 layer. A client reads the requests it posted and, when it has a service
account, the incidents in that account's grid scope (through the incidents' scoped selector)."""
from django.db.models import Q, QuerySet

from layers.incidents.models import Incident
from layers.incidents.selectors import incident_list, with_overdue

from .models import Client, ServiceRequest
from .services import key_hash


def client_by_key(*, key: str | None) -> Client | None:
    if not key:
        return None
    return Client.objects.filter(key_hash=key_hash(key), active=True).select_related("user").first()


def request_list(*, client: Client) -> QuerySet[Incident]:
    """Incidents the client may read: its own requests, plus its service account's scope."""
    q = Q(open311_request__client=client)
    if client.user_id is not None:
        q |= Q(pk__in=incident_list(user=client.user).values("pk"))
    return (with_overdue(Incident.objects.filter(q))
            .select_related("grid", "grid__station", "type", "type__parent", "open311_request")
            .prefetch_related("escalations__department").order_by("-reported_at", "-id"))


def token_get(*, client: Client, token: str) -> ServiceRequest | None:
    return ServiceRequest.objects.filter(client=client, token=token).first()


def service_list():
    """The incident types a request can be filed under (leaf types of the taxonomy)."""
    from layers.incidents.selectors import incident_type_list

    return [t for t in incident_type_list().select_related("parent") if t.parent_id is not None]
