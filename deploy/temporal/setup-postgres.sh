#!/bin/sh
# One-shot job (temporalio/admin-tools image): create Temporal's two databases and bring their
# schemas to the version this image ships, then create the application's database. Safe to
# re-run: existing databases are kept and the schema update applies only missing versions.
set -eu

: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}" "${APP_DATABASE:?}"
DB_PORT=${DB_PORT:-5432}
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

# temporal-sql-tool reads the password from SQL_PASSWORD.
sql() {
    temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

sql --db temporal create
sql --db temporal setup-schema -v 0.0
sql --db temporal update-schema -d "$SCHEMA_DIR/temporal/versioned"

sql --db temporal_visibility create
sql --db temporal_visibility setup-schema -v 0.0
sql --db temporal_visibility update-schema -d "$SCHEMA_DIR/visibility/versioned"

sql --db "$APP_DATABASE" create
echo "setup-postgres: schemas of temporal and temporal_visibility are current; $APP_DATABASE exists"
