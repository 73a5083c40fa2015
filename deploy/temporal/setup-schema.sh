#!/bin/sh
# One-shot (service temporal-schema, temporalio/admin-tools): create Temporal's two databases on PostgreSQL and
# bring their schemas to this image's version, as temporalio/samples-server's compose/scripts/setup-postgres.sh
# does. Safe to run again, and run again on every `docker compose up`: `create` accepts an existing database,
# `setup-schema` leaves a versioned schema alone, and `update-schema` applies only the missing versions (which is
# also how an upgraded admin-tools image migrates the schemas before the upgraded server starts).
# temporal-sql-tool reads the password from SQL_PASSWORD.
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
schemas=/etc/temporal/schema/postgresql/v12

setup() { # DATABASE SCHEMA_FOLDER
  sql_tool="temporal-sql-tool --plugin postgres12 --ep $POSTGRES_SEEDS -p ${DB_PORT:-5432} -u $POSTGRES_USER --db $1"
  $sql_tool create
  $sql_tool setup-schema -v 0.0
  $sql_tool update-schema -d "$schemas/$2/versioned"
}

setup temporal temporal
setup temporal_visibility visibility
echo "Temporal schemas are up to date"
