"""Demo incidents: a year of fictional cases over the demo street, with one planted hotspot
(repeated hazards around a wet market in one micro-grid, spilling into its neighbours) and
one planted quiet area (a micro-grid and its neighbours with almost nothing), so that the
hotspot map has something true to find. Seeded: the same shape every time."""
import datetime as dt
import math
import random

import shapely
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone

from layers.core.partitions import district_code_of
from layers.grids.models import Grid
from layers.grids.selectors import grid_leaf_base_ids

from .models import (Escalation, EscalationLevel, EventKind, Incident, IncidentClass, IncidentEvent, IncidentType,
                     Rating, Source)
from .services import ESCALATION_GRID_LEVEL, incident_limits
from .taxonomy import taxonomy_ensure

# The planted patterns (the maps helper tests its hotspot map against these).
HOT_GRID_CODE = "310106013008001"   # 景华第1微网格, with the fictional 景华菜市场 inside
COLD_GRID_CODE = "310106013005003"  # 嘉园第3微网格: it and its neighbours are quiet
REF_PREFIX = "DEMO-"
SEED = 20260101
BACKGROUND = 1500          # ordinary cases spread over the street, by grid size
HOTSPOT = 650              # cases around the market
HOTSPOT_SIGMA_M = 140.0    # spread of the market cluster
QUIET_SHARE = 0.04         # the quiet area keeps 4% of its ordinary share

CLASS_WEIGHTS = [(IncidentClass.GENERAL, 70), (IncidentClass.COORDINATION, 15),
                 (IncidentClass.EMERGENCY, 5), (IncidentClass.APPROVAL, 10)]
SOURCE_WEIGHTS = [(Source.GRID_PATROL, 45), (Source.RESIDENT, 25), (Source.HOTLINE_12345, 20),
                  (Source.DEPARTMENT, 10)]
TYPE_WEIGHTS = {"CA01": 12, "CA02": 8, "CA03": 10, "CA04": 6, "PF01": 3, "PF02": 6, "PF03": 5, "PF04": 4,
                "DS01": 8, "DS02": 6, "DS03": 7, "SH01": 5, "SH02": 6, "SH03": 2, "SH04": 3, "PS01": 4, "PS02": 5}
HOTSPOT_TYPES = {"SH01": 5, "SH02": 4, "SH03": 2, "CA02": 6, "CA03": 5, "PF03": 2}
DESCRIPTIONS = {
    "CA01": ["楼道内堆放杂物", "小区空地乱堆建筑垃圾", "绿化带内堆放旧家具"],
    "CA02": ["沿街商户占道经营", "人行道上摆摊设点", "早点摊占用盲道"],
    "CA03": ["垃圾箱房满溢未清运", "湿垃圾桶满溢有异味", "垃圾分类点清运不及时"],
    "CA04": ["电线杆上张贴小广告", "单元门口贴满小广告"],
    "PF01": ["人行道井盖缺失", "井盖松动有响声"],
    "PF02": ["路灯夜间不亮", "弄堂路灯损坏"],
    "PF03": ["路面坑洼积水", "人行道地砖破损"],
    "PF04": ["电梯运行异响", "电梯困人后未修复"],
    "DS01": ["邻里因漏水发生纠纷", "楼上楼下噪音引发矛盾"],
    "DS02": ["业主与物业因停车费纠纷", "物业维修不及时引发投诉"],
    "DS03": ["夜间施工噪声扰民", "商铺音响声音过大"],
    "SH01": ["消防通道被车辆堵塞", "楼道消防通道堆物"],
    "SH02": ["电动车在楼道内充电", "飞线充电存在隐患"],
    "SH03": ["闻到燃气异味", "燃气软管老化"],
    "SH04": ["阳台花盆有坠落风险", "外墙瓷砖松动"],
    "PS01": ["咨询居住证办理", "咨询老年卡办理"],
    "PS02": ["独居老人需要帮扶", "困难家庭申请救助"],
}
MARKET_DESCRIPTIONS = {
    "SH01": ["景华菜市场后巷消防通道被货车堵塞", "菜市场卸货区堆物堵塞消防通道"],
    "SH02": ["菜市场摊位电动三轮车违规充电", "菜市场门口飞线充电"],
    "SH03": ["菜市场熟食摊位燃气瓶摆放不规范", "菜市场闻到燃气异味"],
    "CA02": ["菜市场门口摊贩占道经营", "菜市场外人行道摆摊"],
    "CA03": ["菜市场湿垃圾满溢", "菜市场垃圾清运不及时有异味"],
    "PF03": ["菜市场门口路面破损积水", "菜市场卸货导致路面破损"],
}


def _pick(rng: random.Random, weighted) -> str:
    items = list(weighted.items()) if isinstance(weighted, dict) else list(weighted)
    return rng.choices([k for k, _w in items], weights=[w for _k, w in items])[0]


def _grids():
    ids = list(grid_leaf_base_ids())
    grids = list(Grid.objects.filter(pk__in=ids).order_by("code"))
    shapes = [shapely.from_wkb(bytes(g.geometry.wkb)) for g in grids]
    return grids, shapes


def _point_in(rng: random.Random, shape) -> tuple[float, float]:
    # Keep clear of the edges (~5 m) so the demo never depends on the edge tie-break rule.
    inner = shape.buffer(-0.00005)
    inner = inner if not inner.is_empty else shape
    minx, miny, maxx, maxy = inner.bounds
    shapely.prepare(inner)
    while True:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(inner, x, y):
            return x, y


def _neighbours(grids, shapes, code: str) -> set[str]:
    i = next(n for n, g in enumerate(grids) if g.code == code)
    return {g.code for g, s in zip(grids, shapes) if g.code != code and s.intersects(shapes[i])}


def _timeline(rng: random.Random, reported: dt.datetime, now: dt.datetime, accept_h: int, handle_h: int):
    """Status and timestamps a case of this age would plausibly have reached by now."""
    t = {"reported_at": reported, "accepted_at": None, "resolved_at": None, "closed_at": None,
         "deadline": reported + dt.timedelta(hours=accept_h)}
    steps = [("reported", reported)]
    late_accept = rng.random() < 0.08
    accepted = reported + dt.timedelta(hours=accept_h * (rng.uniform(1.1, 2.0) if late_accept else rng.uniform(0.05, 0.9)))
    if rng.random() < 0.04:  # not a grid matter
        when = min(accepted, now)
        if when < now and rng.random() < 0.95:
            steps.append(("rejected", when))
            t["closed_at"] = when
        return "rejected" if t["closed_at"] else "reported", t, steps
    if accepted >= now:
        return "reported", t, steps
    t["accepted_at"] = accepted
    t["deadline"] = accepted + dt.timedelta(hours=handle_h)
    steps.append(("accepted", accepted))
    late = rng.random() < 0.12
    total = handle_h * (rng.uniform(1.05, 1.8) if late else rng.uniform(0.1, 0.95))
    marks = [("dispatched", 0.1), ("in_progress", 0.25), ("resolved", 1.0)]
    status = "accepted"
    for name, share in marks:
        when = accepted + dt.timedelta(hours=total * share)
        if when >= now:
            return status, t, steps
        steps.append((name, when))
        status = name
    t["resolved_at"] = steps[-1][1]
    if rng.random() < 0.02:
        return "resolved", t, steps
    verified = t["resolved_at"] + dt.timedelta(hours=rng.uniform(2, 48))
    if verified >= now:
        return "resolved", t, steps
    steps.append(("verified", verified))
    closed = verified + dt.timedelta(hours=rng.uniform(1, 24))
    if closed >= now:
        return "verified", t, steps
    steps.append(("closed", closed))
    t["closed_at"] = closed
    return "closed", t, steps


@transaction.atomic
def load(stdout=None) -> None:
    """Create a year of demo incidents once; a second run finds them and does nothing."""
    taxonomy_ensure()
    if Incident.objects.filter(ref__startswith=REF_PREFIX).exists():
        return
    grids, shapes = _grids()
    by_code = {g.code: i for i, g in enumerate(grids)}
    if HOT_GRID_CODE not in by_code or COLD_GRID_CODE not in by_code:
        if stdout:
            stdout.write("demo incidents: the demo grids are not loaded; skipped")
        return
    rng = random.Random(SEED)
    now = timezone.now().replace(microsecond=0)
    start = now - dt.timedelta(days=360)
    types = {t.code: t for t in IncidentType.objects.select_related("parent", "parent__department", "department")}
    quiet = {COLD_GRID_CODE} | _neighbours(grids, shapes, COLD_GRID_CODE)
    users = {u.username: u for u in get_user_model().objects.filter(username__startswith="head-")}

    # Where: background cases by grid area (a stand-in for households), the quiet area thinned.
    weights = [s.area * (QUIET_SHARE if g.code in quiet else 1.0) for g, s in zip(grids, shapes)]
    places = []
    for _ in range(BACKGROUND):
        i = rng.choices(range(len(grids)), weights=weights)[0]
        places.append((i, _point_in(rng, shapes[i]), False))
    market = shapes[by_code[HOT_GRID_CODE]].buffer(-0.0004).representative_point()
    street = shapely.union_all(shapes)
    tree = shapely.STRtree(shapes)
    m_per_deg_x = 111320 * math.cos(math.radians(market.y))
    while sum(1 for p in places if p[2]) < HOTSPOT:
        x = market.x + rng.gauss(0, HOTSPOT_SIGMA_M) / m_per_deg_x
        y = market.y + rng.gauss(0, HOTSPOT_SIGMA_M) / 110574
        if not shapely.contains_xy(street, x, y):
            continue
        hits = [int(j) for j in tree.query(shapely.Point(x, y), predicate="within")]
        if len(hits) != 1 or grids[hits[0]].code in quiet:
            continue
        places.append((hits[0], (x, y), True))

    incidents, plans = [], []
    for n, (i, (x, y), hot) in enumerate(places, start=1):
        code = _pick(rng, HOTSPOT_TYPES if hot else TYPE_WEIGHTS)
        itype = types[code]
        klass = _pick(rng, CLASS_WEIGHTS)
        if code in ("SH03", "PF01") and rng.random() < 0.6:
            klass = IncidentClass.EMERGENCY
        source = _pick(rng, SOURCE_WEIGHTS)
        # Daytime, a little more on weekdays: patrols and the hotline keep office hours mostly.
        day = start + dt.timedelta(days=rng.uniform(0, 360))
        reported = timezone.localtime(day).replace(hour=rng.choice([8, 9, 9, 10, 10, 11, 13, 14, 14, 15, 16, 17, 19, 21]),
                                                   minute=rng.randrange(60), second=rng.randrange(60))
        if reported >= now:
            reported = now - dt.timedelta(hours=rng.uniform(1, 48))
        accept_h, handle_h = incident_limits(incident_class=klass, type=itype)
        status, times, steps = _timeline(rng, reported, now, accept_h, handle_h)
        # Some recent cases stalled in handling: the overdue ones a grid head must chase.
        if reported > now - dt.timedelta(days=30) and status in ("resolved", "verified", "closed") \
                and rng.random() < 0.2:
            steps = [st for st in steps if st[0] in ("reported", "accepted", "dispatched", "in_progress")]
            status = "in_progress"
            times["resolved_at"] = times["closed_at"] = None
        if status not in ("closed", "rejected") and rng.random() < 0.03:
            steps.append(("shelved", steps[-1][1] + dt.timedelta(hours=1)))
            status = "shelved" if steps[-1][1] < now else status
            if steps[-1][1] >= now:
                steps.pop()
        grid = grids[i]
        reporter = users.get(f"head-{grid.code}") if source == Source.GRID_PATROL else None
        text = rng.choice((MARKET_DESCRIPTIONS if hot else DESCRIPTIONS)[code])
        running = status in ("reported", "accepted", "dispatched", "in_progress")
        incidents.append(Incident(
            ref=f"{REF_PREFIX}{n:06d}", geometry=Point(x, y, srid=settings.GEOGRID_SRID), source_crs="wgs84",
            grid=grid, district_code=district_code_of(grid.code), log_district=district_code_of(grid.code),
            description=text, incident_class=klass, type=itype, source=source, reporter=reporter,
            status=status, reported_at=times["reported_at"], accepted_at=times["accepted_at"],
            resolved_at=times["resolved_at"], closed_at=times["closed_at"], deadline=times["deadline"],
            escalation_due=times["deadline"] if running else None))
        plans.append((steps, hot, reporter))
    Incident.objects.bulk_create(incidents, batch_size=1000)

    events, escalations, ratings = [], [], []
    for incident, (steps, hot, reporter) in zip(incidents, plans):
        events.append(IncidentEvent(incident=incident, kind=EventKind.CREATED, actor=reporter,
                                    role="grid_member" if reporter else "system", at=steps[0][1],
                                    to_status="reported", data={"grid": incident.grid.code, "demo": True}))
        for (frm, _t0), (to, when) in zip(steps, steps[1:]):
            events.append(IncidentEvent(incident=incident, kind=EventKind.TRANSITION, role="grid_head", at=when,
                                        from_status=frm, to_status=to, note="演示数据"))
        # Some cases the grid could not solve alone went up: more of them at the market.
        if incident.accepted_at and rng.random() < (0.25 if hot else 0.06):
            levels = rng.choices([1, 2, 3], weights=[6, 3, 1])[0]
            when = incident.accepted_at + dt.timedelta(hours=rng.uniform(1, 12))
            for level in range(1, levels + 1):
                if when >= now:
                    break
                target = next((g for g in Grid.objects.filter(
                    pk__in=[int(x) for x in incident.grid.path.strip("/").split("/") if x],
                    level=ESCALATION_GRID_LEVEL[EscalationLevel(level)])), None)
                done = incident.status in ("resolved", "verified", "closed")
                escalations.append(Escalation(
                    incident=incident, level=level, grid=target, escalated_at=when,
                    acknowledged_at=when + dt.timedelta(hours=1), acted_at=when + dt.timedelta(hours=4) if done else None,
                    fed_back_at=when + dt.timedelta(hours=24) if done else None,
                    feedback="已协调相关部门处置" if done else ""))
                events.append(IncidentEvent(incident=incident, kind=EventKind.ESCALATED, role="grid_head", at=when,
                                            data={"level": level, "grid": target.code if target else None}))
                incident.escalation_level = level
                when += dt.timedelta(hours=rng.uniform(4, 30))
        if incident.status == "closed" and rng.random() < 0.6:
            late = incident.resolved_at and incident.resolved_at > incident.deadline
            score = rng.choices([1, 2, 3, 4, 5], weights=[3, 6, 12, 30, 49] if not late else [15, 20, 30, 20, 15])[0]
            at = incident.closed_at + dt.timedelta(hours=rng.uniform(1, 72))
            if at < now:
                ratings.append(Rating(incident=incident, score=score, rated_at=at,
                                      note=rng.choice(["", "处理及时", "态度很好", "希望加强巡查", "还需要跟进"])))
                events.append(IncidentEvent(incident=incident, kind=EventKind.RATED, role="resident", at=at,
                                            data={"score": score}))
    Incident.objects.bulk_update([i for i in incidents if i.escalation_level], ["escalation_level"], batch_size=1000)
    for event in events:   # the log lives in its case's district (layers/core/partitions.py)
        event.district_code = event.incident.log_district
    IncidentEvent.objects.bulk_create(events, batch_size=2000)
    Escalation.objects.bulk_create(escalations, batch_size=1000)
    Rating.objects.bulk_create(ratings, batch_size=1000)
    with connection.cursor() as cur:
        # Special grids by the same rule as intake: current special grids covering the point.
        cur.execute("""
            INSERT INTO incidents_incident_special_grids (incident_id, grid_id)
            SELECT i.id, g.id FROM incidents_incident i
            JOIN grids_grid g ON g.kind <> 'base' AND g.valid_to IS NULL AND ST_Covers(g.geometry, i.geometry)
            WHERE i.ref LIKE %s
            ON CONFLICT DO NOTHING""", [REF_PREFIX + "%"])
    if stdout:
        stdout.write(f"demo incidents: {len(incidents)} cases, {len(events)} events, "
                     f"{len(escalations)} escalations, {len(ratings)} ratings "
                     f"(hotspot {HOT_GRID_CODE}, quiet {COLD_GRID_CODE})")
