"""Reads of import jobs: a planner sees the jobs they uploaded; an administrator sees all."""
from django.db.models import QuerySet
from django.http import Http404

from layers.staff.scope import scope_for

from .models import ImportJob


def import_job_list(*, user) -> QuerySet[ImportJob]:
    """The acting user's jobs (every job for an administrator), newest first."""
    qs = ImportJob.objects.all()
    return qs if scope_for(user).is_admin else qs.filter(user=user)


def import_job_get(*, user, pk: int) -> ImportJob:
    """One job of the acting user; someone else's is 404."""
    job = import_job_list(user=user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job
