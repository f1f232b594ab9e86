from django.core.management.base import BaseCommand, CommandError

from layers.audit.services import MIN_KEEP_DAYS, audit_purge, keep_days


class Command(BaseCommand):
    help = "Delete audit events older than the retention period (at least 180 days); nothing without --commit."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help=f"keep this many days (default GEOGRID_AUDIT_KEEP_DAYS; never below {MIN_KEEP_DAYS})")
        parser.add_argument("--commit", action="store_true", help="delete; without it, only count")

    def handle(self, *args, days=None, commit=False, **options):
        if days is not None and days < MIN_KEEP_DAYS:
            raise CommandError(f"audit events are kept at least {MIN_KEEP_DAYS} days")
        days = days if days is not None else keep_days()
        n = audit_purge(days=days, commit=commit)
        verb = "deleted" if commit else "would delete (add --commit)"
        self.stdout.write(f"{verb} {n} audit event(s) older than {days} days")
