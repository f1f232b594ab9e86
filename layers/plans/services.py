"""Writes to plans (and the checks a planner runs on a draft): drafts of a parent's base
children, edited with undo/redo and published atomically through the grids services. The work
is split by job; this module is the one door the views, the auto-partition and other layers use:

- edits.py      create, discard, split, merge, draw, update, replace;
- history.py    snapshots of each edit, undo and redo;
- validation.py problems of a draft (overlap, gap, outside the parent, household band);
- impact.py     what publishing would move;
- publish.py    the draft becomes the live grids.
"""
from .edits import (parent_fingerprint, plan_create, plan_discard, plan_draw, plan_merge, plan_replace_grids,
                    plan_split, plan_update_grid)
from .history import plan_redo, plan_undo
from .impact import plan_impact, plan_impact_for
from .publish import PlanConflict, plan_publish
from .validation import plan_households, plan_validate

__all__ = ["PlanConflict", "parent_fingerprint", "plan_create", "plan_discard", "plan_draw", "plan_households",
           "plan_impact", "plan_impact_for", "plan_merge", "plan_publish", "plan_redo", "plan_replace_grids", "plan_split", "plan_undo",
           "plan_update_grid", "plan_validate"]
