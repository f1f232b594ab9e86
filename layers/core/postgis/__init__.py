"""geogrid's database backend (settings ENGINE "layers.core.postgis"): Django's PostGIS backend,
told which tables have no primary key (base.py)."""
