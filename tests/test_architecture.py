"""The rules of ARCHITECTURE.md, checked on the source: layers only look down, no optional-layer
branches, and no view module touches the manager of a scoped model (reads go through selectors
that take the acting user)."""
import ast
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. A module may import from its own layer and the layers before it, never after.
LAYERS = ["core", "audit", "idempotency", "grids", "staff", "addresses", "incidents", "subjects", "patrols",
          "networks", "overview", "residents", "routines", "plans", "imports", "open311", "ogc", "field", "offline", "maps"]
# Apps whose rows are people, incidents, visits or patrols (and what hangs off them): read
# only through scoped selectors.
SCOPED_APPS = {"staff", "incidents", "subjects", "patrols"}


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "layers" and len(parts) > 1:
        return parts[1]
    if parts[0] == "maps":
        return "maps"
    return None


def _modules():
    for base in ("layers", "maps"):
        for path in sorted((ROOT / base).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            yield path, ".".join(rel.parts)


def _imports(path: Path, module: str):
    """(line, imported module) for every import in the file, top level or inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module.split(".")[:-1] if path.name != "__init__.py" else module.split(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            yield node.lineno, name
            if name in ("layers",):  # from layers import incidents
                for alias in node.names:
                    yield node.lineno, f"layers.{alias.name}"


def layer_violations() -> list[str]:
    rank = {name: i for i, name in enumerate(LAYERS)}
    out = []
    for path, module in _modules():
        own = _layer_of(module)
        if own not in rank:
            continue
        for line, name in _imports(path, module):
            target = _layer_of(name)
            if target in rank and rank[target] > rank[own]:
                out.append(f"{path.relative_to(ROOT)}:{line} ({own}) imports {name} ({target})")
    return out


def test_every_layer_directory_has_a_place_in_the_order():
    found = {p.name for p in (ROOT / "layers").iterdir() if (p / "apps.py").exists()} | {"maps"}
    assert found <= set(LAYERS), f"add {sorted(found - set(LAYERS))} to LAYERS and ARCHITECTURE.md"


def test_no_module_imports_from_a_later_layer():
    assert layer_violations() == []


def test_the_layer_check_sees_an_import_from_a_later_layer(tmp_path, monkeypatch):
    # The check itself must be able to fail: a core module importing staff is reported.
    bad = tmp_path / "layers" / "core"
    bad.mkdir(parents=True)
    (bad / "bad.py").write_text("def f():\n    from layers.staff.scope import scope_for\n")
    (tmp_path / "maps").mkdir()
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert layer_violations() == ["layers/core/bad.py:2 (core) imports layers.staff.scope (staff)"]


def _guarded_imports(path: Path) -> list[int]:
    """Lines of try/except ImportError around imports of geogrid's own layers, and __import__."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            caught = {ast.unparse(h.type) for h in node.handlers if h.type is not None}
            if caught & {"ImportError", "ModuleNotFoundError", "(ImportError, ModuleNotFoundError)"}:
                for inner in node.body:
                    for sub in ast.walk(inner):
                        if isinstance(sub, ast.ImportFrom) and _layer_of(sub.module or "") or (
                                isinstance(sub, ast.ImportFrom) and sub.level):
                            lines.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__import__":
            lines.append(node.lineno)
    return lines


def test_no_optional_layer_branches():
    """Every layer always exists: no guarded imports of a layer, no __import__, no url files
    probed for existence."""
    found = [f"{path.relative_to(ROOT)}:{line}" for path, _m in _modules() for line in _guarded_imports(path)]
    found += [f"geogrid/urls.py:{line}" for line in _guarded_imports(ROOT / "geogrid" / "urls.py")]
    assert found == []
    assert ".exists()" not in (ROOT / "geogrid" / "urls.py").read_text(encoding="utf-8")


def _view_modules() -> list[Path]:
    paths = [p for p in (ROOT / "layers").rglob("views.py")] + [ROOT / "maps" / "views.py",
                                                                  ROOT / "geogrid" / "views.py"]
    return sorted(p for p in paths if p.exists())


def scoped_model_names() -> set[str]:
    return {m.__name__ for m in apps.get_models() if m._meta.app_label in SCOPED_APPS}


def manager_uses(path: Path, names: set[str]) -> list[str]:
    """`Model.objects` / `Model._default_manager` of the named models in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    return [f"{where}:{node.lineno} {node.value.id}.{node.attr}" for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in ("objects", "_default_manager")
            and isinstance(node.value, ast.Name) and node.value.id in names]


def test_the_scoped_models_are_the_people_and_case_models():
    names = scoped_model_names()
    assert {"Incident", "Photo", "Subject", "Visit", "RevealLog", "Assignment", "StaffProfile"} <= names


def test_no_view_module_touches_the_manager_of_a_scoped_model():
    names = scoped_model_names()
    modules = _view_modules()
    assert ROOT / "layers" / "incidents" / "api" / "views.py" in modules and ROOT / "maps" / "views.py" in modules
    assert [use for path in modules for use in manager_uses(path, names)] == []


def test_the_manager_check_sees_a_view_reading_incidents(tmp_path):
    view = tmp_path / "views.py"
    view.write_text("def page(request):\n    return Incident.objects.filter(pk=1)\n")
    assert manager_uses(view, scoped_model_names()) == ["views.py:2 Incident.objects"]


def test_boundary_hooks_run_in_stage_order_whatever_the_registration_order():
    from layers.addresses.services import addresses_reassign_for_grids
    from layers.grids import hooks
    from layers.incidents.services import incident_reroute_open
    from layers.subjects.services import subjects_follow_addresses

    # The layers' own hooks: addresses first, subjects follow their address, then incidents.
    assert hooks.registered() == [addresses_reassign_for_grids, subjects_follow_addresses, incident_reroute_open]
    spies = {}
    for stage in reversed(hooks.STAGES):  # registered last stage first
        def spy(*, grid_ids, area):
            pass
        spies[spy] = stage
        hooks.on_boundaries_changed(spy, stage=stage)
    try:
        order = [spies[fn] for fn in hooks.registered() if fn in spies]
    finally:
        for spy in spies:
            hooks.forget(spy)
    assert order == list(hooks.STAGES)
    with pytest.raises(ValueError):
        hooks.on_boundaries_changed(lambda **kw: None, stage="maps")


def test_no_test_imports_another_test_module_or_a_conftest():
    """Shared test code lives in tests/factories.py and tests/support.py."""
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for line, name in _imports(path, module):
            last = name.rsplit(".", 1)[-1]
            if name.startswith("tests") and (last.startswith("test_") or last == "conftest"):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert found == []
