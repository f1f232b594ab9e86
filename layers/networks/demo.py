"""Demo party-building network over the demo street (双网联动): the street's party grid, a general
branch (党总支) over each pair of residential areas (the last one alone when their number is odd),
and party groups (党小组) over three micro-grids each, drawn from the demo grids' own boundaries and
created through the grid services, so the party network obeys the tiling rules within itself.
A general-branch secretary per branch (`branch-<code>`), a party-group leader per group
(`party-<code>`), and a few matters the groups raised, handed to the administrative grid.
Idempotent: a second run finds the party network and adds nothing."""
import random

from layers.grids.models import Grid, GridNetwork
from layers.grids.selectors import grid_leaf_base_ids
from layers.grids.services import GridSpec, grids_create
from layers.incidents.models import IncidentType
from layers.staff.demo import _user
from layers.staff.models import Role
from layers.staff.services import assignment_set

from .services import party_matter_raise

STREET_CODE = "310106013000"
PARTY_CODE = "P" + STREET_CODE
GROUP_SIZE = 3  # micro-grids per party group
MATTERS = ["楼道堆物影响通行，党小组议后请网格处置", "小区车棚电线老化，党员发现后共议上报",
           "独居老人家中漏水，党小组走访时发现", "沿街店铺油烟扰民，居民在党群议事会上反映"]


def _union(grids):
    out = grids[0].geometry
    for g in grids[1:]:
        out = out.union(g.geometry)
    return out


def load(stdout=None) -> None:
    street = Grid.objects.filter(code=STREET_CODE, valid_to__isnull=True).first()
    if street is None or Grid.all_networks.filter(code=PARTY_CODE, valid_to__isnull=True).exists():
        return
    party = GridNetwork.PARTY
    (root,) = grids_create(parent=None, level=street.level, network=party, valid_from=street.valid_from,
                           specs=[GridSpec(name="静安寺街道党建网格", geometry=street.geometry, code=PARTY_CODE)])
    communities = list(Grid.objects.filter(parent=street, kind="base", valid_to__isnull=True).order_by("code"))
    pairs = [communities[i:i + 2] for i in range(0, len(communities), 2)]
    branches = grids_create(parent=root, level=3, network=party, valid_from=street.valid_from, specs=[
        GridSpec(name="、".join(c.name for c in pair) + "党总支", geometry=_union(pair)) for pair in pairs])
    groups = []
    for branch, pair in zip(branches, pairs):
        micro = []
        for c in pair:
            micro += list(Grid.objects.filter(pk__in=grid_leaf_base_ids(under=c)).order_by("code"))
        chunks = [micro[i:i + GROUP_SIZE] for i in range(0, len(micro), GROUP_SIZE)]
        made = grids_create(parent=branch, level=4, network=party, valid_from=street.valid_from, specs=[
            GridSpec(name=f"{branch.name.removesuffix('党总支')}第{n}党小组", geometry=_union(chunk))
            for n, chunk in enumerate(chunks, start=1)])
        groups += list(zip(made, chunks))
        secretary, _new = _user(f"branch-{branch.code}")
        assignment_set(user=secretary, role=Role.BRANCH_SECRETARY, grid=branch)
    types = list(IncidentType.objects.filter(parent__isnull=False).order_by("code")[:8])
    raised = 0
    for n, (group, chunk) in enumerate(groups):
        leader, _new = _user(f"party-{group.code}")
        assignment_set(user=leader, role=Role.PARTY_GROUP_LEADER, grid=group)
        if types and n % 3 == 0:
            rng = random.Random(group.code)
            point = rng.choice(chunk).geometry.point_on_surface
            party_matter_raise(user=leader, grid=group, lon=point.x, lat=point.y, crs="cgcs2000",
                               description=MATTERS[n % len(MATTERS)], type=rng.choice(types))
            raised += 1
    if stdout:
        stdout.write(f"demo party network: {len(branches)} general branches, {len(groups)} party groups, "
                     f"{raised} matters handed to the administrative grid")
