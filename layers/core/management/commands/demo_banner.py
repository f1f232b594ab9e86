from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from layers.core.views import PAGES

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
        heads = [u for u in users if u.startswith("head-")]
        others = [u for u in users if not u.startswith("head-")]
        self.stdout.write(f"\nDemo accounts (password: {DEMO_PASSWORD}):")
        for u in others:
            self.stdout.write(f"  {u}")
        if heads:
            self.stdout.write(f"  {heads[0]} ... {heads[-1]}  ({len(heads)} grid heads, head-<micro-grid code>)")
        self.stdout.write("")
