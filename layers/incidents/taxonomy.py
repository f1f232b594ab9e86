"""The default two-level taxonomy of matters (category -> type) with time limits in hours.
It is configuration: the admin edits it; `taxonomy_ensure` only adds what is missing."""
from django.db import transaction

# (code, name, accept_hours, handle_hours, [(code, name, accept_hours, handle_hours)])
DEFAULT_TAXONOMY = [
    ("CA", "市容环境", 24, 72, [
        ("CA01", "乱堆物料", None, None),
        ("CA02", "占道经营", 4, 24),
        ("CA03", "垃圾满溢", 4, 24),
        ("CA04", "违规张贴小广告", None, None),
    ]),
    ("PF", "公共设施", 24, 168, [
        ("PF01", "井盖缺损", 1, 24),
        ("PF02", "路灯损坏", None, None),
        ("PF03", "道路破损", None, None),
        ("PF04", "电梯故障", 2, 48),
    ]),
    ("DS", "矛盾纠纷", 24, 240, [
        ("DS01", "邻里纠纷", None, None),
        ("DS02", "物业纠纷", None, None),
        ("DS03", "噪声扰民", 8, 72),
    ]),
    ("SH", "安全隐患", 2, 48, [
        ("SH01", "消防通道堵塞", None, None),
        ("SH02", "电动车违规充电", None, None),
        ("SH03", "燃气隐患", 1, 12),
        ("SH04", "高空坠物隐患", None, None),
    ]),
    ("PS", "民生服务", 24, 168, [
        ("PS01", "证照办理咨询", None, None),
        ("PS02", "困难帮扶", None, None),
    ]),
]
# Departments that report when the district platform blows the whistle (fictional codes).
DEFAULT_DEPARTMENTS = [
    ("CGJ", "区城管执法局", "CA"), ("JSW", "区建管委", "PF"), ("SFJ", "区司法局", "DS"),
    ("XFJ", "区消防救援支队", "SH"), ("MZJ", "区民政局", "PS"),
]


@transaction.atomic
def taxonomy_ensure(apps=None) -> None:
    """Create the default categories, types and departments that do not exist yet."""
    if apps is None:
        from .models import Department, IncidentType
    else:
        Department = apps.get_model("incidents", "Department")
        IncidentType = apps.get_model("incidents", "IncidentType")
    for code, name, accept, handle, children in DEFAULT_TAXONOMY:
        cat, _ = IncidentType.objects.get_or_create(
            code=code, defaults={"name": name, "accept_hours": accept, "handle_hours": handle})
        for ccode, cname, caccept, chandle in children:
            IncidentType.objects.get_or_create(code=ccode, defaults={
                "name": cname, "parent": cat, "accept_hours": caccept, "handle_hours": chandle})
    for code, name, category in DEFAULT_DEPARTMENTS:
        dept, _ = Department.objects.get_or_create(code=code, defaults={"name": name})
        IncidentType.objects.filter(code=category, department__isnull=True).update(department=dept)
