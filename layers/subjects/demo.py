"""Demo subjects: a few hundred fictional people and organisations at demo addresses, spread
over every micro-grid, with a year of visits by their grid's staff. Seeded, idempotent (a
second run finds subjects and adds nothing). Needs the addresses demo; skips without it."""
import datetime as dt
import random

from django.utils import timezone

from layers.addresses.models import Address
from layers.core.partitions import district_code_of
from layers.grids.models import Grid
from layers.staff.models import FIELD_ROLES, Assignment
from layers.staff.names import SURNAMES, chinese_name, mobile

from .cadence import cadence_days
from .models import Subject, SubjectCategory, SubjectKind, Visit, VisitKind

SEED = 20250101
CATEGORY_WEIGHTS = {
    SubjectCategory.ETHNIC_MINORITY: 14, SubjectCategory.RELIGIOUS_FIGURE: 6,
    SubjectCategory.RETURNED_OVERSEAS: 14, SubjectCategory.HK_MACAO_TAIWAN: 10,
    SubjectCategory.NON_PARTY_INTELLECTUAL: 16, SubjectCategory.NEW_SOCIAL_STRATUM: 18,
    SubjectCategory.PRIVATE_ECONOMY: 14, SubjectCategory.OTHER: 8,
}
ETHNICITIES = ["回族", "满族", "蒙古族", "朝鲜族", "壮族", "苗族", "土家族", "藏族", "维吾尔族", "彝族"]
RELIGIONS = ["佛教", "道教", "伊斯兰教", "天主教", "基督教"]
NEEDS = ["", "", "子女入学咨询", "老年助餐", "医疗陪护", "政策解读", "房屋修缮协调", "就业信息",
         "企业融资对接", "社区活动参与", "法律咨询"]
ORG_KINDS = ["科技有限公司", "商贸有限公司", "律师事务所", "文化传媒工作室", "餐饮管理有限公司", "商会"]
VISIT_NOTES = ["了解近况，无特殊诉求。", "宣传社区政策。", "反映楼道照明问题，已记录。", "节日慰问。",
               "家属住院，送去慰问。", "协调邻里矛盾。", "征求对社区工作的意见。"]


def _id_number(rng: random.Random) -> str:
    """A fictional 18-character resident ID with a valid check character."""
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 65))
    body = f"310106{birth:%Y%m%d}{rng.randrange(1000):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]
    return body + check


def load(stdout=None) -> None:
    def say(msg):
        if stdout:
            stdout.write(msg)

    if Subject.objects.exists():
        say("demo subjects: already loaded")
        return
    addresses = list(Address.objects.filter(grid__isnull=False, grid__valid_to__isnull=True)
                     .order_by("id").values("id", "grid_id", "kind"))
    if not addresses:
        say("demo subjects: skipped (no addresses; load the addresses demo first)")
        return
    rng = random.Random(SEED)
    by_grid: dict[int, list[dict]] = {}
    for a in addresses:
        by_grid.setdefault(a["grid_id"], []).append(a)
    staff_by_grid: dict[int, list[int]] = {}
    for grid_id, user_id in (Assignment.objects.filter(active=True, role__in=list(FIELD_ROLES), grid_id__in=by_grid)
                             .order_by("id").values_list("grid_id", "user_id")):
        staff_by_grid.setdefault(grid_id, []).append(user_id)
    categories, weights = list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values())
    subjects = []
    for grid_id in sorted(by_grid):
        for _ in range(rng.randint(5, 12)):
            a = rng.choice(by_grid[grid_id])
            category = rng.choices(categories, weights)[0]
            is_org = category in (SubjectCategory.PRIVATE_ECONOMY, SubjectCategory.NEW_SOCIAL_STRATUM) and rng.random() < 0.3
            if is_org:
                name = f"{rng.choice('静华安嘉裕联景达恒泰')}{rng.choice('安华新盛源鑫')}{rng.choice(ORG_KINDS)}"
                contact = f"联系人：{rng.choice(SURNAMES)}经理"
            else:
                last, first = chinese_name(rng)
                name, contact = last + first, ""
            subjects.append(Subject(
                kind=SubjectKind.ORGANISATION if is_org else SubjectKind.PERSON, name=name, category=category,
                address_id=a["id"], grid_id=grid_id, needs=rng.choice(NEEDS), contact=contact,
                ethnicity=rng.choice(ETHNICITIES) if category == SubjectCategory.ETHNIC_MINORITY else "",
                religion=rng.choice(RELIGIONS) if category == SubjectCategory.RELIGIOUS_FIGURE else "",
                id_number="" if is_org else _id_number(rng), phone=mobile(rng)))
    codes = dict(Grid.objects.filter(pk__in={s.grid_id for s in subjects}).values_list("id", "code"))
    for s in subjects:   # each in its grid's district (layers/core/partitions.py)
        s.district_code = district_code_of(codes.get(s.grid_id))
    Subject.objects.bulk_create(subjects, batch_size=500)
    # A year of visits: each subject roughly on its cadence, some falling behind.
    today = timezone.localdate()
    cadence = cadence_days()
    festivals = [today - dt.timedelta(days=d) for d in (300, 240, 100)]
    visits = []
    for s in Subject.objects.order_by("id").only("id", "grid_id", "district_code", "category"):
        staff = staff_by_grid.get(s.grid_id) or [None]
        district = s.district_code
        every = cadence.get(s.category, 90)
        day = today - dt.timedelta(days=365 - rng.randrange(every))
        lag = rng.random() < 0.25  # a quarter of the subjects are behind schedule
        while day <= today - dt.timedelta(days=(every + 20) if lag else 0):
            visits.append(Visit(subject_id=s.pk, staff_id=rng.choice(staff), date=day, district_code=district,
                                kind=VisitKind.ROUTINE, notes=rng.choice(VISIT_NOTES)))
            day += dt.timedelta(days=int(every * rng.uniform(0.6, 1.0)))
        if rng.random() < 0.3:
            visits.append(Visit(subject_id=s.pk, staff_id=rng.choice(staff), date=rng.choice(festivals),
                                district_code=district, kind=VisitKind.FESTIVAL, notes="节日慰问。"))
        if rng.random() < 0.1:
            kind = rng.choice([VisitKind.ILLNESS, VisitKind.HARDSHIP, VisitKind.FAMILY_CONFLICT,
                               VisitKind.DEATH, VisitKind.IMPORTANT_EVENT])
            visits.append(Visit(subject_id=s.pk, staff_id=rng.choice(staff), district_code=district,
                                date=today - dt.timedelta(days=rng.randrange(365)), kind=kind,
                                notes=rng.choice(VISIT_NOTES), follow_up=rng.choice(["", "两周后回访"])))
    Visit.objects.bulk_create(visits, batch_size=1000)
    say(f"demo subjects: {len(subjects)} subjects, {len(visits)} visits")
