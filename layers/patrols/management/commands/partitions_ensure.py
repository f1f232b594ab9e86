"""Give each district its own partition of the partitioned tables (layers/core/partitions.py).
Here, not in core: it reads the grids, a later layer than core.

    python manage.py partitions_ensure                 every district among the current grids
    python manage.py partitions_ensure --district 310106

Safe to repeat: a district that has its partition is left alone; rows already in the default
partition move to the new one in the same transaction."""
from django.core.management.base import BaseCommand, CommandError

from layers.core.partitions import PARTITIONED, district_code_of, partition_ensure


class Command(BaseCommand):
    help = "Give each district its own partition of the partitioned tables"

    def add_arguments(self, parser):
        parser.add_argument("--district", action="append", default=[], help="a six-digit district code (repeatable)")

    def handle(self, *args, **opts):
        from layers.grids.models import Grid

        districts = opts["district"] or sorted({district_code_of(c) for c in
                                                Grid.all_networks.filter(valid_to__isnull=True)
                                                .values_list("code", flat=True)} - {"000000"})
        made = 0
        for district in districts:
            for table in PARTITIONED:
                try:
                    made += partition_ensure(table, district)
                except ValueError as e:
                    raise CommandError(str(e))
        if opts["verbosity"]:
            self.stdout.write(f"{len(districts)} districts, {made} partitions made")
