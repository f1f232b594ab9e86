from django.core.management.base import BaseCommand, CommandError

from layers.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Write var/backups/<timestamp>.tar: the database (pg_dump) and the key file (make backup)."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="write here instead of var/backups/<timestamp>.tar")

    def handle(self, *args, output=None, **options):
        try:
            path = backup_create(dest=output)
        except BackupError as exc:
            raise CommandError(str(exc))
        self.stdout.write(f"backup written: {path} (mode 0600; it holds the keys: keep it safe)")
