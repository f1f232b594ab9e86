"""Writes to incidents: intake and routing, the handling workflow, escalation, ratings.
Every change appends an IncidentEvent; the log is never edited."""
import datetime as dt

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layers.core.crs import normalise_crs, to_storage
from layers.core.errors import Conflict, RuleViolation
from layers.core.params import id_or_none
from layers.core.partitions import district_code_of
from layers.grids.models import Grid, GridNetwork
from layers.grids.locate import Location, locate
from layers.staff.models import Role
from layers.staff.scope import scope_for

from .hooks import intake_links_apply
from .models import (FINAL_STATUSES, RUNNING_STATUSES, Department, Escalation, EscalationLevel, EventKind,
                     Incident, IncidentClass, IncidentEvent, IncidentType, IntakeKey, Photo, Rating, Source,
                     Status)
from .photos import CleanPhoto
from .selectors import escalation_may_respond

S = Status
# The workflow. Practice: a report is accepted (case filed) or rejected (not a grid matter);
# a filed case is dispatched to a handler, who may send it back; work can be shelved
# (waiting on something outside the grid) and resumed; a resolution is verified on site or
# reopened; a closed case reopens on a justified complaint; a rejection can be appealed.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.REPORTED: (S.ACCEPTED, S.REJECTED),
    S.ACCEPTED: (S.DISPATCHED, S.SHELVED, S.REJECTED),
    S.DISPATCHED: (S.IN_PROGRESS, S.ACCEPTED, S.SHELVED),
    S.IN_PROGRESS: (S.RESOLVED, S.SHELVED),
    S.RESOLVED: (S.VERIFIED, S.REOPENED),
    S.VERIFIED: (S.CLOSED, S.REOPENED),
    S.CLOSED: (S.REOPENED,),
    S.REJECTED: (S.REOPENED,),
    S.SHELVED: (S.ACCEPTED, S.CLOSED),
    S.REOPENED: (S.DISPATCHED, S.IN_PROGRESS),
}
# Decisions that bind the grid: only someone who answers for it (not a member) may take them.
SUPERVISOR_ROLES = {Role.GRID_HEAD, Role.STATION_CHIEF, Role.COMMUNITY_LEADER, Role.STREET_LEADER,
                    Role.DISTRICT_LEADER, Role.ADMIN}
SUPERVISED_TARGETS = {S.REJECTED, S.VERIFIED, S.CLOSED, S.SHELVED}
# Class rules on top of the type's limits: an emergency is accepted within the hour and
# handled within a day; a coordination matter involves several parties and gets twice the time.
EMERGENCY_LIMITS = (1, 24)
COORDINATION_HANDLE_FACTOR = 2
# Grid level each escalation step goes to (settings.GEOGRID_LEVELS: 3 community, 2 street, 1 district).
ESCALATION_GRID_LEVEL = {EscalationLevel.COMMUNITY: 3, EscalationLevel.STREET: 2, EscalationLevel.DISTRICT: 1}


def incident_limits(*, incident_class: str, type: IncidentType) -> tuple[int, int]:
    """(hours to accept, hours to handle) for a class and type."""
    accept, handle = type.limits()
    if incident_class == IncidentClass.EMERGENCY:
        accept, handle = min(accept, EMERGENCY_LIMITS[0]), min(handle, EMERGENCY_LIMITS[1])
    elif incident_class == IncidentClass.COORDINATION:
        handle *= COORDINATION_HANDLE_FACTOR
    return accept, handle


def _acting_role(user, incident: Incident | None = None) -> str:
    """The role in which the user acts on this incident: their assignment over its grid."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "system"
    if user.is_superuser:
        return Role.ADMIN
    scope = scope_for(user)
    roles = [role for role in scope.roles
             if role == Role.ADMIN or (incident is not None and scope.holds(incident.grid, roles=[role]))]
    if roles:
        order = [r.value for r in Role]
        return max(roles, key=lambda r: order.index(r) if r in order else -1)
    if incident is not None and incident.reporter_id == user.pk:
        return "reporter"
    return "resident"


def _log(incident: Incident, kind: str, *, user=None, role: str | None = None, from_status: str = "",
         to_status: str = "", note: str = "", data: dict | None = None) -> IncidentEvent:
    event = IncidentEvent(incident=incident, kind=kind, actor=user if user and user.pk else None,
                          role=role if role is not None else _acting_role(user, incident),
                          at=timezone.now(), from_status=from_status, to_status=to_status, note=note or "",
                          data=data or {}, district_code=incident.log_district)
    event.full_clean()
    event.save()
    return event


def _photo_save(incident: Incident, p: CleanPhoto) -> Photo:
    photo = Photo(incident=incident, width=p.width, height=p.height, sha256=p.sha256)
    photo.file.save(p.name, ContentFile(p.content), save=False)
    photo.save()
    return photo


def _route(lon: float, lat: float) -> Location:
    """Where a case at this point goes: its micro-grid, or in a coverage gap the deepest base
    grid covering the point (flagged in_gap); outside every grid it is refused."""
    located = locate(lon=lon, lat=lat)
    if located is None:
        raise RuleViolation("outside_grids", _("The point (%(lon).6f, %(lat).6f) lies in no grid; "
                                               "check the coordinates and their system")
                            % {"lon": lon, "lat": lat})
    return located


def _resolve_type(value) -> IncidentType:
    if isinstance(value, IncidentType):
        t = value
    else:
        t = None
        if value not in (None, ""):
            s = str(value).strip()
            t = (IncidentType.objects.filter(pk=id_or_none(s)).first() if id_or_none(s) is not None else None) \
                or IncidentType.objects.filter(code=s).first()
        if t is None:
            raise RuleViolation("type_unknown", _("Unknown incident type %(type)r") % {"type": value})
    if t.parent_id is None and t.children.exists():
        raise RuleViolation("type_category", _("%(type)s is a category; choose one of its types: %(children)s")
                            % {"type": t.name, "children": ", ".join(c.code for c in t.children.all())})
    return t


def _check_choice(value, choices, rule: str, what: str) -> str:
    if value not in choices.values:
        raise RuleViolation(rule, _("Unknown %(what)s %(value)r; use one of %(choices)s")
                            % {"what": what, "value": value, "choices": ", ".join(choices.values)})
    return value


@transaction.atomic
def incident_create(*, user=None, lon=None, lat=None, crs: str | None = "wgs84", address=None,
                    description: str, incident_class: str = IncidentClass.GENERAL, type,
                    source: str = Source.RESIDENT, reporter=None, reported_at: dt.datetime | None = None,
                    photos: list[CleanPhoto] = (), origin_grid: Grid | None = None) -> Incident:
    """Take in a report at a point (any accepted coordinate system) or at a registry address,
    route it to its micro-grid and special grids, and start the accept deadline.
    `origin_grid`: the grid of another network (the party-building grid) that raised the matter;
    it comes with source party_grid, and that source only with it. Routing is the one locate,
    over the administrative network, as for every other report."""
    incident_class = _check_choice(incident_class, IncidentClass, "class_unknown", _("class"))
    source = _check_choice(source, Source, "source_unknown", _("source"))
    if origin_grid is not None and (origin_grid.network == GridNetwork.BASE or not origin_grid.is_current):
        raise RuleViolation("origin_network", _("%(grid)s is not a current grid of another network")
                            % {"grid": origin_grid}, grids=[origin_grid.code])
    if (source == Source.PARTY_GRID) != (origin_grid is not None):
        raise RuleViolation("origin_required", _("A matter from the party-building grid is raised there, "
                                                 "with the party grid it came from"))
    itype = _resolve_type(type)
    if not (description or "").strip():
        raise RuleViolation("description_required", _("Describe the matter"))
    if address is not None:
        from layers.addresses.models import Address
        if not isinstance(address, Address):
            address = (Address.objects.filter(pk=id_or_none(address)).first()
                       if id_or_none(address) is not None else None)
            if address is None:
                raise RuleViolation("address_unknown", _("Unknown address"))
        x, y, crs = address.geometry.x, address.geometry.y, "cgcs2000"
    elif lon is None or lat is None:
        raise RuleViolation("location_required", _("Give either lon and lat (with crs) or an address id"))
    else:
        crs = normalise_crs(crs)
        x, y = to_storage(lon, lat, crs)
    located = _route(x, y)
    now = reported_at or timezone.now()
    accept_h, _handle_h = incident_limits(incident_class=incident_class, type=itype)
    deadline = now + dt.timedelta(hours=accept_h)
    if reporter is None and user is not None and user.is_authenticated:
        reporter = user
    incident = Incident(geometry=Point(x, y, srid=settings.GEOGRID_SRID), source_crs=crs, address=address,
                        grid_id=located.route["id"], district_code=district_code_of(located.route["code"]),
                        log_district=district_code_of(located.route["code"]),
                        near_boundary=located.near_boundary, in_gap=located.gap,
                        description=description.strip(), incident_class=incident_class, type=itype,
                        source=source, reporter=reporter, status=Status.REPORTED, reported_at=now,
                        deadline=deadline, escalation_due=deadline, origin_grid=origin_grid)
    incident.full_clean(exclude=["ref"])
    incident.save()
    incident.ref = f"E{timezone.localtime(now):%Y%m%d}{incident.pk:06d}"
    incident.save(update_fields=["ref"])
    incident.special_grids.set([s["id"] for s in located.special])
    for p in photos:
        _photo_save(incident, p)
    data = {"grid": located.route["code"], "special": [s["code"] for s in located.special],
            "crs": crs, "photos": len(photos)}
    if origin_grid is not None:
        # The hand-over: which network and grid raised it, which administrative grid took it.
        data["origin"] = {"network": origin_grid.network, "grid": origin_grid.code, "name": origin_grid.name}
    _log(incident, EventKind.CREATED, user=user, to_status=Status.REPORTED, data=data)
    return incident


class IdempotencyConflict(RuleViolation):
    """The same Idempotency-Key came with another body."""


def incident_intake(*, user, idempotency_key: str | None, body_hash: str, links: dict | None = None,
                    **fields) -> tuple[Incident, bool]:
    """incident_create behind an Idempotency-Key: (incident, created). A replay of a key with
    the same body returns the first incident; with another body it is refused. `links` ties the
    new incident to things of later layers (hooks.on_intake_link), e.g. {"patrol": id}."""
    key = (idempotency_key or "").strip()
    if len(key) > 200:
        raise RuleViolation("idempotency_key", _("Idempotency-Key is longer than 200 characters"))

    def replay():
        seen = IntakeKey.objects.select_related("incident").filter(user=user, key=key).first()
        if seen is None:
            return None
        if seen.body_hash != body_hash:
            raise IdempotencyConflict("idempotency_key_reused",
                                      _("Idempotency-Key %(key)s was already used with a different body "
                                        "(incident %(id)s); use a new key for a new report")
                                      % {"key": key, "id": seen.incident_id})
        return seen.incident

    if key:
        found = replay()
        if found is not None:
            return found, False
    try:
        with transaction.atomic():
            incident = incident_create(user=user, **fields)
            intake_links_apply(incident=incident, user=user, links=links)
            if key:
                IntakeKey.objects.create(user=user, key=key, body_hash=body_hash, incident=incident)
    except IntegrityError:
        # A concurrent request with the same key won the race: answer as its replay.
        found = replay() if key else None
        if found is None:
            raise
        return found, False
    return incident, True


def _set_deadline(incident: Incident, hours: int, now: dt.datetime) -> None:
    incident.deadline = now + dt.timedelta(hours=hours)
    incident.escalation_due = incident.deadline


class StaleAction(Conflict):
    """The case moved since the user looked at it (someone else acted first): the API answers 409
    and the page reloads, rather than apply an action meant for a state that is gone."""


def _check_expected(incident: Incident, *, status: str | None = None, level=None) -> None:
    if status not in (None, "") and incident.status != status:
        raise StaleAction("stale_status",
                          _("Someone else moved this case first: it is now %(now)s. The page shows it as it is now.")
                          % {"now": incident.get_status_display()},
                          extra={"status": incident.status, "expected": status})
    if level not in (None, "") and str(incident.escalation_level) != str(level):
        raise StaleAction("stale_escalation",
                          _("Someone else escalated this case first: it is now at %(now)s. The page shows it as it is now.")
                          % {"now": incident.get_escalation_level_display()},
                          extra={"escalation_level": incident.escalation_level, "expected": level})


def transitions_for(*, incident: Incident, user) -> list[str]:
    """The statuses this user may move the case to now, by the same rules incident_transition
    applies (TRANSITIONS and the supervisor rule): what a page offers as buttons."""
    role = _acting_role(user, incident)
    return [to for to in TRANSITIONS.get(incident.status, ())
            if not (to in SUPERVISED_TARGETS and role not in SUPERVISOR_ROLES)]


def can_escalate(*, incident: Incident) -> bool:
    """Whether incident_escalate would take the case one level up now."""
    return (incident.status not in FINAL_STATUSES and incident.status not in (S.RESOLVED, S.VERIFIED)
            and incident.escalation_level < EscalationLevel.DEPARTMENT)


# Photos an action may carry (the after-photo of a resolution), at most MAX_PHOTOS per action.
PHOTO_TARGETS = {S.RESOLVED}


@transaction.atomic
def incident_transition(*, incident: Incident, user, to: str, note: str = "", expect: str | None = None,
                        photos: list[CleanPhoto] = ()) -> Incident:
    """Move a case one step along the workflow; anything not in TRANSITIONS is refused. With
    `expect`, the move is refused (StaleAction) unless the case is still in that status; a
    resolution may carry after-photos, logged with the event."""
    incident = Incident.objects.select_for_update(of=("self",)).select_related("type__parent", "grid").get(pk=incident.pk)
    _check_expected(incident, status=expect)
    frm = incident.status
    if photos and to not in PHOTO_TARGETS:
        raise RuleViolation("photo_not_here", _("Photos go with a report or a resolution (the after-photo)"))
    if to not in Status.values:
        raise RuleViolation("status_unknown", _("Unknown status %(to)r; statuses are %(all)s")
                            % {"to": to, "all": ", ".join(Status.values)})
    if to not in TRANSITIONS.get(frm, ()):
        allowed = ", ".join(TRANSITIONS.get(frm, ())) or _("none")
        raise RuleViolation("transition_illegal",
                            _("Illegal transition %(frm)s -> %(to)s; from %(frm)s the case can go to: %(allowed)s")
                            % {"frm": frm, "to": to, "allowed": allowed},
                            extra={"from": frm, "to": to, "allowed": list(TRANSITIONS.get(frm, ()))})
    role = _acting_role(user, incident)
    if to in SUPERVISED_TARGETS and role not in SUPERVISOR_ROLES:
        raise RuleViolation("transition_role",
                            _("Transition %(frm)s -> %(to)s needs a grid head or above; you act as %(role)s")
                            % {"frm": frm, "to": to, "role": role}, extra={"from": frm, "to": to})
    if to in (S.REJECTED, S.SHELVED, S.REOPENED) and not (note or "").strip():
        raise RuleViolation("note_required", _("Transition %(frm)s -> %(to)s needs a note saying why")
                            % {"frm": frm, "to": to}, extra={"from": frm, "to": to})
    now = timezone.now()
    _accept_h, handle_h = incident_limits(incident_class=incident.incident_class, type=incident.type)
    if to == S.ACCEPTED:
        if incident.accepted_at is None:
            incident.accepted_at = now
        _set_deadline(incident, handle_h, now)
    elif to == S.REOPENED:
        incident.resolved_at = None
        incident.closed_at = None
        _set_deadline(incident, handle_h, now)
    elif to == S.RESOLVED:
        incident.resolved_at = now
    elif to in FINAL_STATUSES:
        incident.closed_at = now
    incident.status = to
    incident.full_clean()
    incident.save()
    stored = [_photo_save(incident, p) for p in photos]
    _log(incident, EventKind.TRANSITION, user=user, role=role, from_status=frm, to_status=to, note=note,
         data={"photos": [p.pk for p in stored]} if stored else None)
    return incident


def _apply_location(incident: Incident, located: Location) -> dict:
    before = {"grid": incident.grid.code, "special": sorted(incident.special_grids.values_list("code", flat=True))}
    incident.grid_id = located.route["id"]
    # The case lives in its grid's district: a move across a district line moves the row to that
    # district's partition (its log stays where it was reported: log_district).
    incident.district_code = district_code_of(located.route["code"])
    incident.near_boundary = located.near_boundary
    incident.in_gap = located.gap
    incident.full_clean()
    incident.save()
    incident.special_grids.set([s["id"] for s in located.special])
    incident.grid = Grid.objects.get(pk=located.route["id"])
    return {"from": before, "to": {"grid": located.route["code"], "special": [s["code"] for s in located.special]}}


@transaction.atomic
def incident_move(*, incident: Incident, user, lon, lat, crs: str | None = "wgs84", note: str = "") -> Incident:
    """Move the pin of an open case and re-route it; the move is logged with both grids."""
    incident = Incident.objects.select_for_update(of=("self",)).select_related("grid").get(pk=incident.pk)
    if incident.status in FINAL_STATUSES:
        raise RuleViolation("incident_final", _("A %(status)s case cannot be moved; reopen it first")
                            % {"status": incident.status})
    crs = normalise_crs(crs)
    x, y = to_storage(lon, lat, crs)
    located = _route(x, y)
    old = incident.geometry
    incident.geometry = Point(x, y, srid=settings.GEOGRID_SRID)
    incident.source_crs = crs
    change = _apply_location(incident, located)
    change["from"]["point"] = [round(old.x, 7), round(old.y, 7)]
    change["to"]["point"] = [round(x, 7), round(y, 7)]
    _log(incident, EventKind.MOVED, user=user, note=note, data=change)
    return incident


@transaction.atomic
def incident_reroute_open(*, grid_ids: list[int], area=None) -> int:
    """Boundary hook: re-route OPEN cases in the changed grids or area; closed ones keep the
    grid they were handled in. Returns how many changed grid."""
    from django.db.models import Q

    q = Q(grid_id__in=list(grid_ids or []))
    if area is not None:
        q |= Q(geometry__intersects=area)
    moved = 0
    for incident in (Incident.objects.select_for_update(of=("self",)).select_related("grid")
                     .filter(q).exclude(status__in=FINAL_STATUSES)):
        located = locate(lon=incident.geometry.x, lat=incident.geometry.y)
        if located is None or located.gap:
            # Now in a gap of the micro-grid tiling (mid-edit): keep the last grid rather than
            # hand the case up to the community or lose it.
            continue
        current_special = sorted(incident.special_grids.values_list("id", flat=True))
        if located.route["id"] == incident.grid_id and current_special == sorted(s["id"] for s in located.special):
            continue
        change = _apply_location(incident, located)
        _log(incident, EventKind.REROUTED, user=None, role="system", data=change,
             note=_("Grid boundaries changed"))
        moved += 1
    return moved


def _escalation_target(incident: Incident, level: int, department: Department | None):
    grid = None
    if level in ESCALATION_GRID_LEVEL:
        ids = [int(x) for x in incident.grid.path.strip("/").split("/") if x]
        grid = Grid.objects.filter(pk__in=ids, level=ESCALATION_GRID_LEVEL[level]).first()
    if level == EscalationLevel.DEPARTMENT:
        department = department or incident.type.responsible_department()
        if department is None:
            raise RuleViolation("department_required",
                                _("Name the department to report to: type %(type)s has no responsible department")
                                % {"type": incident.type})
    else:
        department = None
    return grid, department


@transaction.atomic
def incident_escalate(*, incident: Incident, user=None, note: str = "", department: Department | None = None,
                      automatic: bool = False, expect_level=None) -> Escalation:
    """Blow the whistle: move the case one level up (grid -> community -> street -> district ->
    department). The new level has one accept period to acknowledge before it goes further.
    With `expect_level`, refused (StaleAction) unless the case is still at that level."""
    incident = Incident.objects.select_for_update(of=("self",)).select_related("grid", "type__parent").get(pk=incident.pk)
    _check_expected(incident, level=expect_level)
    if incident.status in FINAL_STATUSES or incident.status in (S.RESOLVED, S.VERIFIED):
        raise RuleViolation("escalation_closed", _("A %(status)s case is not escalated")
                            % {"status": incident.get_status_display()})
    level = incident.escalation_level + 1
    if level > EscalationLevel.DEPARTMENT:
        raise RuleViolation("escalation_top", _("The case is already with a functional department"))
    grid, department = _escalation_target(incident, level, department)
    now = timezone.now()
    esc = Escalation(incident=incident, level=level, grid=grid, department=department, automatic=automatic,
                     escalated_by=user if user and user.pk else None, escalated_at=now)
    esc.full_clean()
    esc.save()
    accept_h, _handle = incident_limits(incident_class=incident.incident_class, type=incident.type)
    incident.escalation_level = level
    incident.escalation_due = now + dt.timedelta(hours=accept_h)
    incident.full_clean()
    incident.save()
    _log(incident, EventKind.ESCALATED, user=user, role="system" if automatic else None, note=note,
         data={"level": level, "level_name": str(EscalationLevel(level).label), "automatic": automatic,
               "grid": grid.code if grid else None, "department": department.name if department else None,
               "escalation": esc.pk})
    return esc


class NotTheResponder(RuleViolation):
    """The user may see the case but does not answer for the level it was escalated to."""
    status = 403


RESPONSES = {"acknowledge": ("acknowledged_at", None, EventKind.ACKNOWLEDGED),
             "act": ("acted_at", "acknowledged_at", EventKind.ACTED),
             "feedback": ("fed_back_at", "acted_at", EventKind.FED_BACK)}


@transaction.atomic
def escalation_respond(*, incident: Incident, user, action: str, note: str = "") -> Escalation:
    """The level the case was escalated to reports in: acknowledge, then act, then feed back."""
    if action not in RESPONSES:
        raise RuleViolation("response_unknown", _("Unknown response %(a)r; use acknowledge, act or feedback")
                            % {"a": action})
    esc = Escalation.objects.select_for_update().filter(incident=incident).order_by("-escalated_at", "-id").first()
    if esc is None:
        raise RuleViolation("not_escalated", _("The case has not been escalated"))
    if not escalation_may_respond(user=user, escalation=esc):
        raise NotTheResponder("not_responder", _("Only the level the case was escalated to answers it: "
                                                 "the handlers of that department, or the station chief "
                                                 "or leaders of that grid"))
    field, before, kind = RESPONSES[action]
    if getattr(esc, field):
        raise RuleViolation("response_done", _("%(action)s was already recorded for this level") % {"action": action})
    if before and not getattr(esc, before):
        raise RuleViolation("response_order", _("%(action)s needs %(before)s first")
                            % {"action": action, "before": before.replace("_at", "")})
    if action == "feedback" and not (note or "").strip():
        raise RuleViolation("note_required", _("Feedback needs a note saying what was done"))
    setattr(esc, field, timezone.now())
    if action == "feedback":
        esc.feedback = note.strip()
    esc.save()
    _log(incident, kind, user=user, note=note, data={"level": esc.level, "escalation": esc.pk})
    return esc


def incidents_escalate_overdue(*, stdout=None) -> list[int]:
    """Escalate each overdue open case by one level. A case escalates at most once per period
    (escalation_due moves on), so running this twice in a row escalates nothing the second time."""
    now = timezone.now()
    done = []
    candidates = list(Incident.objects.filter(status__in=RUNNING_STATUSES, escalation_due__lte=now,
                                              escalation_level__lt=EscalationLevel.DEPARTMENT)
                      .values_list("pk", flat=True))
    for pk in candidates:
        with transaction.atomic():
            incident = (Incident.objects.select_for_update(skip_locked=True, of=("self",)).select_related("grid", "type__parent")
                        .filter(pk=pk, status__in=RUNNING_STATUSES, escalation_due__lte=now,
                                escalation_level__lt=EscalationLevel.DEPARTMENT).first())
            if incident is None:
                continue
            try:
                incident_escalate(incident=incident, automatic=True,
                                  note=_("Overdue since %(deadline)s")
                                  % {"deadline": timezone.localtime(incident.deadline).strftime("%Y-%m-%d %H:%M")})
            except RuleViolation as err:
                # Typically no department is named for the type: wait a period rather than retry every run.
                accept_h, _h = incident_limits(incident_class=incident.incident_class, type=incident.type)
                incident.escalation_due = now + dt.timedelta(hours=accept_h)
                incident.save(update_fields=["escalation_due"])
                if stdout:
                    stdout.write(f"{incident.ref}: {err.messages[0]}")
                continue
            done.append(pk)
    return done


@transaction.atomic
def rating_create(*, incident: Incident, user, score, note: str = "") -> Rating:
    """一事一评: satisfaction 1-5 with a note, once per person, after the case is resolved."""
    if incident.status not in (S.RESOLVED, S.VERIFIED, S.CLOSED):
        raise RuleViolation("rating_too_early", _("A case can be rated once it is resolved; it is %(status)s")
                            % {"status": incident.get_status_display()})
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise RuleViolation("rating_score", _("Satisfaction is a whole number from 1 to 5"))
    if Rating.objects.filter(incident=incident, rated_by=user).exists():
        raise RuleViolation("rating_twice", _("You have already rated this case"))
    rating = Rating(incident=incident, score=score, note=(note or "").strip(), rated_by=user, rated_at=timezone.now())
    rating.full_clean()
    try:
        # Two requests of one person at once both pass the check above; the unique constraint
        # stops the second here, and that is the same answer as a second rating later.
        with transaction.atomic():
            rating.save()
    except IntegrityError:
        raise RuleViolation("rating_twice", _("You have already rated this case"))
    _log(incident, EventKind.RATED, user=user, note=note, data={"score": score})
    return rating
