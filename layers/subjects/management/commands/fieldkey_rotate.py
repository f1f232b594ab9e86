from django.core.management.base import BaseCommand, CommandError

from geogrid import keyfile
from layers.subjects.rotation import RotationError, fieldkey_rotate


class Command(BaseCommand):
    help = ("Re-encrypt every sensitive value under the field key named current in the key file "
            "(var/keys.json); --new-key adds a fresh key first. Old keys read until the work is done "
            "and checked, then they are dropped from the file (unless --keep-old).")

    def add_arguments(self, parser):
        parser.add_argument("--new-key", action="store_true", help="add a new key and make it current first")
        parser.add_argument("--keep-old", action="store_true", help="keep the old keys in the file afterwards")
        parser.add_argument("--pending", action="store_true",
                            help="only finish an unfinished rotation (the key file holds more than one key); "
                                 "otherwise do nothing (make setup runs this)")

    def handle(self, *args, new_key=False, keep_old=False, pending=False, **options):
        if pending:
            if new_key:
                raise CommandError("--pending and --new-key do not go together")
            if len(keyfile.read().get("field_keys") or {}) <= 1:
                return
        try:
            report = fieldkey_rotate(new_key=new_key, keep_old=keep_old)
        except RotationError as exc:
            raise CommandError(str(exc))
        self.stdout.write(f"re-encrypted {report.values} value(s) in {len(report.columns)} column(s) "
                          f"under key {report.key}")
        if report.dropped:
            self.stdout.write(f"dropped old key(s) from {keyfile.path()}: {', '.join(report.dropped)}")
