#!/bin/sh
# Run by the postgres image once, when it initialises an empty data volume (/docker-entrypoint-initdb.d): the
# application's own role and database, beside Temporal's (temporal-sql-tool creates those). The application's
# DATABASE_URL logs in as this role, which owns its database and nothing else.
# Only on an empty volume: to change the password later, ALTER ROLE collections PASSWORD '...'.
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  --set=password="${COLLECTIONS_DB_PASSWORD:?COLLECTIONS_DB_PASSWORD is not set}" <<'SQL'
CREATE ROLE collections LOGIN PASSWORD :'password';
CREATE DATABASE collections OWNER collections;
SQL
