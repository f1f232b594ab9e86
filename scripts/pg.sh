#!/usr/bin/env bash
# The project's own PostGIS cluster, in var/pg of the checkout, reachable only through a
# unix socket in that folder (no TCP port, so it never clashes with another server).
# Only the OS user who runs the project (root, or whoever ran this) and the cluster's own OS
# user get in, by peer authentication mapped to the postgres role; the socket folder is closed
# to everyone else (0700, owned by the cluster's user). No password exists to steal; another
# local account (nobody, www-data...) cannot even reach the socket. An older cluster that
# trusted every local connection is switched over on the next start.
#   scripts/pg.sh start|stop|status
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PGBIN=/usr/lib/postgresql/15/bin
DATA=$ROOT/var/pg/data
SOCK=$ROOT/var/pg/run
DB=${GEOGRID_DB_NAME:-geogrid}
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }

case "${1:-start}" in
start)
  mkdir -p "$ROOT/var/pg"
  if [ "$(id -u)" = 0 ]; then
    # postgres must be able to reach the folder; a checkout under a private home is not.
    d=$ROOT
    while [ "$d" != / ]; do
      if ! su postgres -s /bin/sh -c "test -x '$d'"; then chmod o+x "$d"; fi
      d=$(dirname "$d")
    done
    chown postgres:postgres "$ROOT/var/pg"
    chmod 0700 "$ROOT/var/pg"
  fi
  if [ ${#SOCK} -gt 90 ]; then echo "checkout path too long for a unix socket: $SOCK" >&2; exit 1; fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    echo "[geogrid] initialising PostGIS cluster in var/pg"
    as_pg "$PGBIN/initdb -D '$DATA' -U postgres --auth-local=peer --auth-host=reject -E UTF8 --locale=C.UTF-8 >/dev/null"
    as_pg "mkdir -p '$SOCK'"
    cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$SOCK'
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 512MB
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
max_parallel_workers_per_gather = 2
jit = off
CONF
  fi
  # Authentication, rewritten on every start (this is how an older, trusting cluster is upgraded).
  me=$(id -un)
  as_pg "cat > '$DATA/pg_hba.conf'" <<HBA
# geogrid (scripts/pg.sh rewrites this file): unix socket only, peer authentication, and only
# the OS users mapped in pg_ident.conf. Nothing over TCP.
local   all   all   peer map=geogrid
HBA
  as_pg "cat > '$DATA/pg_ident.conf'" <<IDENT
# geogrid: OS user -> database role
geogrid   postgres   postgres
geogrid   $me   postgres
IDENT
  as_pg "chmod 0600 '$DATA/pg_hba.conf' '$DATA/pg_ident.conf'"
  as_pg "mkdir -p '$SOCK' && chmod 0700 '$SOCK'"
  if ! as_pg "$PGBIN/pg_ctl -D '$DATA' status" >/dev/null 2>&1; then
    as_pg "$PGBIN/pg_ctl -D '$DATA' -l '$ROOT/var/pg/server.log' -w -t 60 start" >/dev/null
  else
    as_pg "$PGBIN/pg_ctl -D '$DATA' reload" >/dev/null
  fi
  if ! psql -h "$SOCK" -U postgres -Atqc "select 1 from pg_database where datname='$DB'" postgres | grep -q 1; then
    psql -h "$SOCK" -U postgres -qc "create database \"$DB\"" postgres
  fi
  psql -h "$SOCK" -U postgres -qc "create extension if not exists postgis; create extension if not exists pg_trgm" "$DB" 2>&1 | grep -v NOTICE || true
  # test databases are created from template1, so it carries the extensions too
  psql -h "$SOCK" -U postgres -qc "create extension if not exists postgis; create extension if not exists pg_trgm" template1 2>&1 | grep -v NOTICE || true
  ;;
stop)
  as_pg "$PGBIN/pg_ctl -D '$DATA' -m fast stop" || true ;;
status)
  as_pg "$PGBIN/pg_ctl -D '$DATA' status" ;;
esac
