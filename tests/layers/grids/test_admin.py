"""The Django admin grid form over both networks: a party grid is created and edited there like any
grid (its network chosen on the form, its parent in that network, overlaps checked per network)."""
import datetime as dt

import pytest
from django.contrib.gis.geos import MultiPolygon

from layers.grids.models import Grid, GridNetwork
from layers.grids.services import GridSpec, grids_create

pytestmark = pytest.mark.django_db

INLINE = {"versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0", "versions-MIN_NUM_FORMS": "0",
          "versions-MAX_NUM_FORMS": "1000"}


@pytest.fixture
def party_root(demo_grids):
    street = demo_grids["310106013000"]
    (root,) = grids_create(parent=None, level=2, network=GridNetwork.PARTY,
                           specs=[GridSpec(name="街道党建网格", geometry=street.geometry, code="P" + street.code)])
    return root


def _multi(geom) -> str:
    return (geom if geom.geom_type == "MultiPolygon" else MultiPolygon(geom, srid=geom.srid)).ewkt


def _errors(resp) -> str:
    """The form's errors as text (the admin page renders them, escaped, among much else)."""
    return str(dict(resp.context["adminform"].form.errors)) if resp.context else ""


def _add(client, **fields):
    return client.post("/admin/grids/grid/add/", {"kind": "base", "use": "", "station": "", "code": "",
                                                  "valid_from": dt.date.today().isoformat(), **INLINE, **fields})


def test_admin_creates_and_edits_a_party_grid_over_base_grids(client, demo_grids, make_user, party_root):
    client.force_login(make_user("party-grid-admin", is_staff=True, is_superuser=True))
    community = demo_grids["310106013001"]
    base_before = sorted(Grid.objects.values_list("code", "version"))
    # The add form offers the network and party parents.
    page = client.get("/admin/grids/grid/add/").content.decode()
    assert 'name="network"' in page and party_root.code in page
    # A general branch over a whole community: overlaps base grids (another network), accepted.
    resp = _add(client, network="party", parent=party_root.pk, level=3, name="第一党总支",
                geometry=community.geometry.ewkt)
    assert resp.status_code == 302, _errors(resp)
    branch = Grid.all_networks.get(parent=party_root, name="第一党总支")
    assert branch.network == GridNetwork.PARTY and branch.code == party_root.code + "001"
    assert branch.versions.count() == 1
    assert sorted(Grid.objects.values_list("code", "version")) == base_before
    # A second branch overlapping the first is refused on the form: the party network's own rule.
    resp = _add(client, network="party", parent=party_root.pk, level=3, name="重叠党总支",
                geometry=_multi(community.geometry.buffer(-0.0005)))
    assert resp.status_code == 200 and "[overlaps_sibling]" in _errors(resp), _errors(resp)
    assert not Grid.all_networks.filter(name="重叠党总支").exists()
    # A base parent for a party grid, and a base code in the party network, are refused on the form.
    resp = _add(client, network="party", parent=community.pk, level=4, name="错网络", geometry=community.geometry.ewkt)
    assert resp.status_code == 200 and "属于另一网格体系" in _errors(resp), _errors(resp)
    resp = _add(client, network="party", parent="", level=2, name="缺前缀", code="310106014000",
                geometry=community.geometry.ewkt)
    assert resp.status_code == 200 and "以 P 开头" in _errors(resp) and not Grid.all_networks.filter(name="缺前缀").exists()
    # The changelist lists party grids under the network filter; the change form edits one.
    listing = client.get("/admin/grids/grid/?network__exact=party").content.decode()
    assert branch.code in listing and community.code not in listing
    page = client.get(f"/admin/grids/grid/{branch.pk}/change/")
    assert page.status_code == 200 and 'name="network"' not in page.content.decode()  # fixed once issued
    smaller = _multi(community.geometry.buffer(-0.0002))
    resp = client.post(f"/admin/grids/grid/{branch.pk}/change/", {
        "kind": "base", "use": "", "station": "", "name": "第一党总支（调整）", "geometry": smaller, **INLINE})
    assert resp.status_code == 302, _errors(resp)
    branch.refresh_from_db()
    assert branch.name == "第一党总支（调整）" and branch.version == 2 and branch.versions.count() == 2
    assert sorted(Grid.objects.values_list("code", "version")) == base_before
