#!/usr/bin/env bash
# Runs once in the official postgres image on the first start of the primary (docker-entrypoint-initdb.d):
# the replication role and slot for the streaming replica, and one database per service.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '${REPLICATION_PASSWORD}';
SELECT pg_create_physical_replication_slot('replica_1');
$(for db in $SERVICE_DATABASES; do echo "CREATE DATABASE \"$db\";"; done)
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
