"""Demo addresses: about 5,000 fictional standard addresses over the demo street, with household
counts that make the demo grids plausible (residential areas of 1,000-2,000 households,
micro-grids of roughly 150-600, so a few break the 200-500 band), business-building micro-grids
full of offices and shops, some points exactly on shared edges and a few outside every grid."""
import random
from collections import defaultdict

import shapely
from django.conf import settings
from django.contrib.gis.geos import Point

from layers.grids.models import Grid, GridKind, GridUse

from .models import Address, AddressKind
from .normalise import normalise_address
from .services import addresses_assign_ids

SEED = 20260301
DISTRICT = "静安区"
ROADS = ["南京西路", "华山路", "常德路", "愚园路", "延安中路", "万航渡路", "北京西路", "镇宁路", "胶州路", "陕西北路"]
OFFICES = ["科技有限公司", "咨询有限公司", "贸易有限公司", "设计事务所", "律师事务所", "投资管理有限公司"]
SHOPS = ["便利店", "咖啡馆", "面馆", "花店", "药房", "书店", "洗衣店", "水果店"]
RES_ADDRESSES = 150       # residential addresses per residential micro-grid
BUSINESS_ADDRESSES = 160  # addresses per business-building micro-grid


def _shape(grid: Grid):
    return shapely.from_wkb(bytes(grid.geometry.wkb))


def _random_point_in(shape, rng: random.Random):
    minx, miny, maxx, maxy = shape.bounds
    while True:
        p = shapely.Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if shape.contains(p):
            return p.x, p.y


def _split(total: int, n: int, rng: random.Random) -> list[int]:
    """total households over n addresses, each at least 1."""
    counts = [1] * n
    for _ in range(total - n):
        counts[rng.randrange(n)] += 1
    return counts


def _targets(communities: dict, rng: random.Random) -> dict[int, int]:
    """Households per residential micro-grid: each community 1,000-2,000, each micro-grid 150-600."""
    target = {}
    for _code, grids in sorted(communities.items()):
        if not grids:
            continue
        r = len(grids)
        total = rng.uniform(max(1050, 260 * r), min(1900, 560 * r))
        weights = [rng.uniform(0.4, 1.5) for _ in grids]
        for g, w in zip(grids, weights):
            target[g.pk] = max(150, min(600, round(total * w / sum(weights))))
    return target


def _address(*, community: str, road: str, lane: int | None, number: int, room: str = "", kind=AddressKind.RESIDENTIAL,
             households: int = 1, lon: float, lat: float, label: str = "") -> Address:
    lane_text = f"{lane}弄" if lane else ""
    text = f"上海市{DISTRICT}{road}{lane_text}{number}号{room and room + '室'}{label}"
    return Address(full_text=text, district=DISTRICT, street="静安寺街道", community=community, road=road,
                   number=f"{lane_text}{number}号", room=room, kind=kind, households=households,
                   geometry=Point(lon, lat, srid=settings.GEOGRID_SRID), source_crs="wgs84",
                   search_key=normalise_address(text))


def load(stdout=None) -> None:
    """Create the demo addresses once and assign them; a second run finds them and does nothing."""
    if Address.objects.filter(street="静安寺街道", source_crs="wgs84", district=DISTRICT).exists():
        return
    micro = [g for g in Grid.objects.filter(valid_to__isnull=True, kind=GridKind.BASE, level=4).select_related("parent")]
    if not micro:
        return
    rng = random.Random(SEED)
    communities = defaultdict(list)
    for g in micro:
        if g.use != GridUse.BUSINESS_BUILDING:
            communities[g.parent.code].append(g)
    target = _targets(communities, rng)
    rows: list[Address] = []
    for g in sorted(micro, key=lambda g: g.code):
        shape = _shape(g)
        road = ROADS[int(g.code[-5:]) % len(ROADS)]
        community = g.parent.name
        if g.use == GridUse.BUSINESS_BUILDING:
            for i in range(BUSINESS_ADDRESSES):
                lon, lat = _random_point_in(shape, rng)
                floor = rng.randint(2, 40)
                if i % 10 == 9:  # a few serviced apartments in the towers
                    rows.append(_address(community=community, road=road, lane=None, number=1000 + int(g.code[-3:]),
                                         room=f"{floor}{rng.randint(1, 20):02d}", households=rng.randint(1, 2),
                                         lon=lon, lat=lat))
                elif i % 3 == 0:
                    rows.append(_address(community=community, road=road, lane=None, number=rng.randint(1, 1500),
                                         kind=AddressKind.SHOP, households=0, lon=lon, lat=lat,
                                         label=rng.choice(SHOPS)))
                else:
                    rows.append(_address(community=community, road=road, lane=None, number=1000 + int(g.code[-3:]),
                                         room=f"{floor}{rng.randint(1, 30):02d}", kind=AddressKind.OFFICE, households=0,
                                         lon=lon, lat=lat, label=rng.choice(OFFICES)))
            continue
        households = _split(target[g.pk], RES_ADDRESSES - 10, rng)
        lane = rng.randint(100, 1500)
        for i, h in enumerate(households):
            lon, lat = _random_point_in(shape, rng)
            rows.append(_address(community=community, road=road, lane=lane + i // 40, number=i % 40 + 1,
                                 room=f"{rng.randint(1, 6)}0{rng.randint(1, 4)}" if h == 1 else "",
                                 households=h, lon=lon, lat=lat))
        for _ in range(10):  # shops along the road
            lon, lat = _random_point_in(shape, rng)
            rows.append(_address(community=community, road=road, lane=None, number=rng.randint(1, 1500),
                                 kind=AddressKind.SHOP, households=0, lon=lon, lat=lat, label=rng.choice(SHOPS)))
    # Exactly on shared edges: vertices one micro-grid shares with a neighbour (the edge rule decides).
    shapes = {g.pk: _shape(g) for g in micro}
    on_edge = 0
    for g in sorted(micro, key=lambda g: g.code):
        for x, y in shapely.get_coordinates(shapes[g.pk].exterior if hasattr(shapes[g.pk], "exterior")
                                            else shapes[g.pk].geoms[0].exterior)[:-1]:
            pt = shapely.Point(x, y)
            if any(o != g.pk and shapes[o].covers(pt) for o in shapes) and not shapes[g.pk].buffer(-1e-9).contains(pt):
                rows.append(_address(community=g.parent.name, road=ROADS[on_edge % len(ROADS)], lane=None,
                                     number=900 + on_edge, households=rng.randint(2, 6), lon=x, lat=y))
                on_edge += 1
                break
        if on_edge >= 12:
            break
    # Outside every grid on purpose: just beyond the street's boundary (coverage gaps to list).
    street = Grid.objects.filter(valid_to__isnull=True, kind=GridKind.BASE, parent__isnull=True).first()
    ring = shapely.from_wkb(bytes(street.geometry.wkb)).buffer(0.0015).exterior
    for k in range(6):
        p = ring.interpolate(k / 6, normalized=True)
        rows.append(_address(community="", road=ROADS[k], lane=None, number=2000 + k, households=rng.randint(1, 3),
                             lon=p.x, lat=p.y, label="（网格外）"))
    created = Address.objects.bulk_create(rows, batch_size=1000)
    report = addresses_assign_ids(ids=[a.pk for a in created])
    if stdout:
        stdout.write(f"demo addresses: {len(created)} ({on_edge} on shared edges, {report.gap_count} outside every "
                     f"micro-grid, {report.near_boundary} near a boundary)")
