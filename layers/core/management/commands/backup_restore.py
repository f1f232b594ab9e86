from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from layers.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = ("Restore a backup tar (make restore FILE=...): its keys join the key file, its dump becomes the "
            "database. An existing database is replaced only with --replace, after a backup of it is taken.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--database", help="restore into this database name (default: the project's)")
        parser.add_argument("--replace", action="store_true", help="replace an existing database")

    def handle(self, *args, file, database=None, replace=False, **options):
        if not Path(file).is_file():
            raise CommandError(f"no such backup: {file}")
        try:
            done = backup_restore(path=Path(file), target=database, replace=replace)
        except BackupError as exc:
            raise CommandError(str(exc))
        if done["safety_backup"]:
            self.stdout.write(f"the database that was replaced is kept in {done['safety_backup']}")
        counts = ", ".join(f"{k} {v}" for k, v in done["manifest"]["counts"].items())
        self.stdout.write(f"restored {done['database']} from the backup of {done['manifest']['created_at']} ({counts})")
