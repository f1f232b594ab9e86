from importlib import import_module
from importlib.util import find_spec

from django.core.management.base import BaseCommand
from django.db import transaction

# Order matters: each layer's demo builds on the ones before it.
DEMO_MODULES = ["layers.grids.demo", "layers.addresses.demo", "layers.staff.demo",
                "layers.subjects.demo", "layers.incidents.demo", "layers.networks.demo"]


class Command(BaseCommand):
    help = "Load the demo street and its data; safe to run again (nothing is duplicated)."

    def handle(self, *args, **options):
        for name in DEMO_MODULES:
            if not find_spec(name):
                continue
            with transaction.atomic():
                import_module(name).load(stdout=self.stdout)
