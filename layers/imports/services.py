"""Writes of the web import: store an upload and preview it, then run the dry run or the commit
in a worker thread that records its progress on the job. The import itself is the same service
as on the command line (grids.importing.grids_import, addresses.services.addresses_import)."""
import math
import threading
import uuid
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils.translation import gettext as _

from layers.addresses.registry import read_registry
from layers.addresses.services import DUPLICATE_RULE, addresses_import
from layers.core.crs import normalise_crs
from layers.core.errors import RuleViolation
from layers.grids.importing import CLIP_MAX_M2, SLIVER_MAX_M2, grids_import
from layers.grids.io import read_grid_file
from layers.grids.models import Grid, GridNetwork
from layers.staff.scope import scope_for

from .models import ImportJob, ImportKind

GRID_SUFFIXES = (".geojson", ".json", ".zip", ".gpkg", ".shp")
ADDRESS_SUFFIXES = (".csv", ".txt", ".xlsx", ".geojson", ".json", ".gpkg")
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def _upload_dir() -> Path:
    path = Path(getattr(settings, "GEOGRID_IMPORT_DIR", settings.BASE_DIR / "var" / "imports"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _options(kind: str, data: dict, user) -> dict:
    opts = {"crs": (data.get("crs") or "").strip() or None, "encoding": (data.get("encoding") or "").strip() or None}
    if opts["crs"]:
        opts["crs"] = normalise_crs(opts["crs"])
    if kind == ImportKind.GRIDS:
        try:
            opts["level"] = int(data.get("level") or 0)
            opts["snap_m"] = float(data.get("snap_m") or 0)
            # The command line's --clip-max-m2 and --sliver-max-m2, with the same defaults.
            opts["clip_max_m2"] = float(data.get("clip_max_m2") or CLIP_MAX_M2)
            opts["sliver_max_m2"] = float(data.get("sliver_max_m2") or SLIVER_MAX_M2)
        except ValueError:
            raise RuleViolation("options", _("Level, snapping distance and area limits must be numbers"))
        if not all(math.isfinite(opts[k]) for k in ("snap_m", "clip_max_m2", "sliver_max_m2")):
            raise RuleViolation("options", _("Level, snapping distance and area limits must be numbers"))
        if not (0 <= opts["clip_max_m2"] <= 10_000_000 and 0 <= opts["sliver_max_m2"] <= 10_000_000):
            raise RuleViolation("options", _("The clip and sliver limits are 0 to 10,000,000 m²"))
        if opts["level"] not in settings.GEOGRID_LEVELS:
            raise RuleViolation("level_unknown", _("Choose a level: %(levels)s") % {"levels": sorted(settings.GEOGRID_LEVELS)})
        if not 0 <= opts["snap_m"] <= 100:
            raise RuleViolation("options", _("The snapping distance is 0 to 100 metres"))
        # The network the boundaries belong to: the administrative tiling, or the party-building
        # grid (its parent, codes and no-overlap rule within that network; see grids_import).
        opts["network"] = (data.get("network") or "").strip() or GridNetwork.BASE
        if opts["network"] not in GridNetwork.values:
            raise RuleViolation("network_unknown", _("Choose the grid network: %(networks)s")
                                % {"networks": "、".join(str(label) for label in GridNetwork.labels)})
        parent = (data.get("parent") or "").strip()
        scope = scope_for(user)
        if parent:
            grid = Grid.all_networks.filter(code=parent, network=opts["network"], valid_to__isnull=True).first()
            if grid is None or not scope.holds(grid):
                raise RuleViolation("parent", _("No current grid %(code)s in your area") % {"code": parent})
        elif not scope.is_admin:
            raise RuleViolation("parent", _("Only an administrator imports top-level grids; give a parent grid code"))
        opts["parent"] = parent
        opts["name_field"] = (data.get("name_field") or "").strip() or None
        opts["code_field"] = (data.get("code_field") or "").strip() or None
    return opts


def _preview(kind: str, path: Path, opts: dict) -> dict:
    """What the planner checks before a run: encoding, CRS, the column mapping, the first rows."""
    if kind == ImportKind.GRIDS:
        read = read_grid_file(path, encoding=opts.get("encoding"), crs=opts.get("crs"), dry_run=True,
                              name_field=opts.get("name_field"), code_field=opts.get("code_field"))
        return {"features": len(read.frame), "encoding": read.encoding, "crs": read.crs, "crs_source": read.crs_source,
                "warnings": read.warnings, "notes": read.notes,
                "mapping": {"name": read.name_field, "code": read.code_field},
                "columns": [c for c in read.frame.columns if c != "geometry"],
                "rows": [{"name": str(read.attributes[i].get(read.name_field, "")) if read.name_field else "",
                          "code": read.codes[i], "attributes": read.attributes[i]}
                         for i in range(min(5, len(read.attributes)))]}
    reg = read_registry(path, encoding=opts.get("encoding"))
    has_row_crs = "crs" in reg.mapping and any(str(r.get("crs") or "").strip() for _n, r in reg.rows)
    return {"rows_total": len(reg.rows), "encoding": reg.encoding,
            "crs": opts.get("crs") or reg.declared_crs or ("per row" if has_row_crs else None),
            "crs_source": "given" if opts.get("crs") else ("file" if reg.declared_crs else
                                                          ("column" if has_row_crs else "")),
            "mapping": reg.mapping, "unknown": reg.unknown, "blank": reg.blank,
            "columns": reg.columns, "rows": [{"row": n, **r} for n, r in reg.rows[:5]],
            "duplicate_rule": DUPLICATE_RULE}


@transaction.atomic
def import_job_create(*, user, kind: str, upload, data: dict) -> ImportJob:
    """Keep an uploaded file and its preview; nothing is imported yet."""
    if kind not in ImportKind.values:
        raise RuleViolation("kind", _("Choose what the file holds: boundaries or addresses"))
    name = Path(upload.name or "upload").name
    suffix = Path(name).suffix.lower()
    allowed = GRID_SUFFIXES if kind == ImportKind.GRIDS else ADDRESS_SUFFIXES
    if suffix not in allowed:
        raise RuleViolation("file_format", _("A %(kind)s file must be one of %(sfx)s")
                            % {"kind": ImportKind(kind).label, "sfx": ", ".join(allowed)})
    if upload.size > MAX_UPLOAD_BYTES:
        raise RuleViolation("file_size", _("The file is larger than 200 MB"))
    opts = _options(kind, data, user)
    target = _upload_dir() / f"{uuid.uuid4().hex}{suffix}"
    with open(target, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    try:
        preview = _preview(kind, target, opts)
    except RuleViolation:
        target.unlink(missing_ok=True)
        raise
    job = ImportJob(user=user, kind=kind, filename=name, stored_path=str(target), options=opts, preview=preview)
    job.full_clean()
    job.save()
    return job


def _run(job_id: int, mode: str) -> None:
    close_old_connections()
    job = ImportJob.objects.get(pk=job_id)
    commit = mode == "commit"
    last = {"n": -1}

    def save_progress(step, done, total):
        # Progress is written at most every 1% so a large file does not spend its time here.
        if total and done != total and done - last["n"] < max(1, total // 100):
            return
        last["n"] = done
        ImportJob.objects.filter(pk=job_id).update(step=step, done=done, total=total)

    try:
        opts = job.options
        if job.kind == ImportKind.GRIDS:
            network = opts.get("network") or GridNetwork.BASE
            parent = Grid.all_networks.get(code=opts["parent"], network=network, valid_to__isnull=True) \
                if opts.get("parent") else None
            report = grids_import(path=job.stored_path, level=opts["level"], parent=parent, crs=opts.get("crs"),
                                  encoding=opts.get("encoding"), name_field=opts.get("name_field"),
                                  code_field=opts.get("code_field"), snap_m=opts.get("snap_m") or 0.0,
                                  clip_max_m2=opts.get("clip_max_m2", CLIP_MAX_M2),
                                  sliver_max_m2=opts.get("sliver_max_m2", SLIVER_MAX_M2),
                                  commit=commit, user=job.user, progress=save_progress,
                                  network=network).as_dict()
            ok = not report["problems"]
        else:
            total = job.preview.get("rows_total") or 0
            report = addresses_import(path=job.stored_path, crs=opts.get("crs"), encoding=opts.get("encoding"),
                                      commit=commit, skip_bad=bool(opts.get("skip_bad")),
                                      progress=lambda n, written=False: save_progress(
                                          "written" if written else "read", n, total), batch_size=500).as_dict()
            ok = not report["bad"] or bool(opts.get("skip_bad"))
        status = ("committed" if ok else "checked") if commit else "checked"
        ImportJob.objects.filter(pk=job_id).update(status=status, report=report, step="done", error="",
                                                   done=job.preview.get("features") or job.preview.get("rows_total") or 0)
    except RuleViolation as exc:
        ImportJob.objects.filter(pk=job_id).update(status="failed", error=exc.messages[0], step="")
    except Exception as exc:  # a bug must not leave the job "running" forever; the page shows it
        ImportJob.objects.filter(pk=job_id).update(status="failed", error=f"{type(exc).__name__}: {exc}", step="")
        raise
    finally:
        connection.close()


def import_job_run(*, job: ImportJob, mode: str, skip_bad: bool = False, wait: bool = False) -> ImportJob:
    """Start the dry run ("dry") or the commit ("commit") of a job in a worker thread. A commit
    needs a dry run first, so the planner has seen the report."""
    if mode not in ("dry", "commit"):
        raise RuleViolation("mode", _("Run a dry run or a commit"))
    if job.status == "running":
        raise RuleViolation("running", _("This import is already running"))
    if job.status == "committed":
        raise RuleViolation("committed", _("This import has been committed already"))
    if mode == "commit" and job.status != "checked":
        raise RuleViolation("dry_run_first", _("Run the dry run first and read its report"))
    job.options = {**job.options, "skip_bad": skip_bad}
    job.status, job.run_mode, job.done, job.step = "running", mode, 0, "start"
    job.total = job.preview.get("features") or job.preview.get("rows_total") or 0
    job.save()
    thread = threading.Thread(target=_run, args=(job.pk, mode), daemon=True, name=f"import-{job.pk}")
    thread.start()
    if wait:
        thread.join()
    return job
