"""The Dask cluster that batch work runs on (bulk assignment and re-assignment, see
layers/addresses/dask_engine.py).

`dask_client()` connects to the scheduler named by the `scheduler` argument or by the setting
GEOGRID_DASK_SCHEDULER (env GEOGRID_DASK_SCHEDULER, e.g. tcp://dask-scheduler:8786: a real
cluster, whose workers run geogrid's image so they import the same task functions); without one
it starts a LocalCluster of GEOGRID_DASK_WORKERS single-threaded workers on this machine for the
length of the block. Tasks read their share of the data from PostgreSQL themselves, so workers
need the database's address (the DSN from `database_dsn()`, sent with each task), nothing else of
Django; what they return is written by the driver.
"""
import logging
from contextlib import contextmanager

from django.conf import settings
from django.db import connection


def database_dsn() -> dict:
    """psycopg2.connect() keywords for the database this process uses (the test database in tests)."""
    db = connection.settings_dict
    dsn = {"dbname": db["NAME"], "user": db.get("USER") or None, "password": db.get("PASSWORD") or None,
           "host": db.get("HOST") or None, "port": db.get("PORT") or None}
    return {k: v for k, v in dsn.items() if v}


@contextmanager
def dask_client(*, scheduler: str | None = None, workers: int | None = None, processes: bool | None = None):
    """A distributed.Client for the block: the scheduler given or configured, else a LocalCluster
    of `workers` (default GEOGRID_DASK_WORKERS) worker processes (threads with processes=False:
    quick to start, for small runs and tests)."""
    from distributed import Client, LocalCluster

    address = scheduler if scheduler is not None else settings.GEOGRID_DASK_SCHEDULER
    if address:
        client = Client(address, timeout="30s")
        try:
            yield client
        finally:
            client.close()
        return
    n = int(workers or settings.GEOGRID_DASK_WORKERS)
    with LocalCluster(n_workers=n, threads_per_worker=1,
                      processes=settings.GEOGRID_DASK_PROCESSES if processes is None else processes,
                      dashboard_address=":0", silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client
