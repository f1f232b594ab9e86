import pytest


@pytest.fixture
def party(demo_grids):
    """A small party-building network over the demo street: the street's party grid, one general
    branch over residential areas 001 and 002, and party groups over three micro-grids each (the
    same unions as the demo). Returns {"root", "branch", "groups": [(group, [micro-grids])]}."""
    from layers.grids.models import Grid, GridNetwork
    from layers.grids.services import GridSpec, grids_create

    def union(grids):
        out = grids[0].geometry
        for g in grids[1:]:
            out = out.union(g.geometry)
        return out

    street = demo_grids["310106013000"]
    areas = [demo_grids["310106013001"], demo_grids["310106013002"]]
    (root,) = grids_create(parent=None, level=2, network=GridNetwork.PARTY, specs=[
        GridSpec(name="街道党建网格", geometry=street.geometry, code="P310106013000")])
    (branch,) = grids_create(parent=root, level=3, network=GridNetwork.PARTY,
                             specs=[GridSpec(name="第一党总支", geometry=union(areas))])
    micro = sorted((g for g in demo_grids.values() if g.level == 4 and g.kind == "base"
                    and g.parent_id in {a.pk for a in areas}), key=lambda g: g.code)
    chunks = [micro[i:i + 3] for i in range(0, len(micro), 3)]
    groups = grids_create(parent=branch, level=4, network=GridNetwork.PARTY, specs=[
        GridSpec(name=f"第{n}党小组", geometry=union(c)) for n, c in enumerate(chunks, start=1)])
    assert Grid.all_networks.filter(network=GridNetwork.PARTY).count() == 2 + len(groups)
    return {"root": root, "branch": branch, "groups": list(zip(groups, chunks))}
