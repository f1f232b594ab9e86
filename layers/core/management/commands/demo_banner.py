from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from layers.core.pages import PAGES

DEMO_PASSWORD = "geogrid-demo"


class Command(BaseCommand):
    help = "Print the main pages and the demo accounts."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")

    def handle(self, *args, url, **options):
        users = list(get_user_model().objects.order_by("username").values_list("username", flat=True))
        self.stdout.write(f"\ngeogrid is starting on {url}\n\nMain pages:")
        for path, label in PAGES:
            self.stdout.write(f"  {url}{path}  ({label})")
        # Numbered accounts (one per grid or station) are shown as a range, not one per line.
        groups: dict[str, list[str]] = {}
        for u in users:
            prefix = u.split("-", 1)[0] + "-" if "-" in u else u
            groups.setdefault(prefix, []).append(u)
        self.stdout.write(f"\nDemo accounts (password: {DEMO_PASSWORD}):")
        for prefix, names in groups.items():
            if len(names) == 1:
                self.stdout.write(f"  {names[0]}")
            else:
                self.stdout.write(f"  {names[0]} ... {names[-1]}  ({len(names)} accounts {prefix}<code>)")
        self.stdout.write("")
