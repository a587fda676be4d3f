#!/usr/bin/env bash
# Streaming replica for the official postgres image: clone the primary once with pg_basebackup -R
# (writes standby.signal and primary_conninfo, uses the replication slot), then run as a hot standby.
set -euo pipefail
until pg_isready -h "$PRIMARY_HOST" -p 5432 -U "$POSTGRES_USER"; do sleep 1; done
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  rm -rf "${PGDATA:?}"/* 2>/dev/null || true
  PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h "$PRIMARY_HOST" -p 5432 -U replicator \
    -D "$PGDATA" -R -X stream -S replica_1
  chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on
