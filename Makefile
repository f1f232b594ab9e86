# geogrid: the two commands are `make run` (set up + serve the demo) and `make test`.
# Every target sets up what is missing first; all are safe to repeat.
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
# Province sizes of the growth curves (bench/province.py: xs s m l xl), smallest first.
BENCH_SIZES ?= xs,s,m

.PHONY: db setup run test bench messages demo serve clean-db backup restore

db:
	@scripts/bootstrap.sh

setup: db
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py createcachetable -v 0
	@$(PY) manage.py fieldkey_rotate --pending
	@$(PY) manage.py compilemessages -v 0 --ignore=.venv --ignore=node_modules

demo: setup
	@$(PY) manage.py demo_load
	@$(PY) manage.py partitions_ensure -v 0

run: demo
	@$(PY) manage.py demo_banner --url http://$(HOST):$(PORT)
	@DJANGO_SETTINGS_MODULE=geogrid.settings.production SECURE_COOKIES=0 $(PY) manage.py collectstatic --noinput -v 0
	@DJANGO_SETTINGS_MODULE=geogrid.settings.production SECURE_COOKIES=0 GUNICORN_WORKERS=$(WORKERS) .venv/bin/gunicorn -c geogrid/gunicorn.conf.py geogrid.wsgi -b $(HOST):$(PORT) --access-logfile - --error-logfile -

test: db
	@$(PY) manage.py compilemessages -v 0 --ignore=.venv --ignore=node_modules
	@.venv/bin/pytest -q -p no:cacheprovider tests

bench: setup
	@$(PY) -m bench.run
	@$(PY) -m bench.run --suite maps
	@$(PY) -m bench.pages
	@$(PY) -m bench.run --suite growth --sizes $(BENCH_SIZES)

backup: setup
	@$(PY) manage.py backup_create

# make restore FILE=var/backups/<timestamp>.tar   (the current database is backed up first)
restore: setup
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/<timestamp>.tar" >&2; exit 2; }
	@$(PY) manage.py backup_restore "$(FILE)" --replace
	@$(PY) manage.py migrate --noinput -v 0

messages:
	@$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=node_modules --ignore=static

clean-db:
	@scripts/pg.sh stop; rm -rf var/pg
