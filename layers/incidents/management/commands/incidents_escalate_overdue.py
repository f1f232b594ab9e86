from django.core.management.base import BaseCommand

from layers.incidents.services import incidents_escalate_overdue


class Command(BaseCommand):
    help = ("Escalate every overdue open incident by one level (grid -> community -> street -> district -> "
            "department). Run it from a scheduler; a second run in the same period escalates nothing.")

    def handle(self, *args, **options):
        done = incidents_escalate_overdue(stdout=self.stdout)
        self.stdout.write(f"escalated {len(done)} incident(s)")
