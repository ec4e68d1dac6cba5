#!/bin/sh
# Starts MariaDB for docker-compose.yml (see docker/Dockerfile.mariadb). Runs as mysql.
set -eu
: "${MARIADB_DATABASE:=journeys}"
: "${MARIADB_USER:=journeys}"
: "${MARIADB_PASSWORD:?set MARIADB_PASSWORD}"
case "$MARIADB_DATABASE$MARIADB_USER$MARIADB_PASSWORD" in
  *\'* | *\\* | *\`*) echo "MARIADB_DATABASE, MARIADB_USER and MARIADB_PASSWORD may not hold quotes or backslashes" >&2; exit 2 ;;
esac
if [ ! -d /var/lib/mysql/mysql ]; then
  echo "mariadb-entrypoint: creating the data folder"
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db --auth-root-authentication-method=socket >/dev/null
fi
# Run at every start, so a changed password or a dropped database is put back.
cat >/tmp/init.sql <<SQL
CREATE DATABASE IF NOT EXISTS \`$MARIADB_DATABASE\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS '$MARIADB_USER'@'%' IDENTIFIED BY '$MARIADB_PASSWORD';
ALTER USER '$MARIADB_USER'@'%' IDENTIFIED BY '$MARIADB_PASSWORD';
GRANT ALL PRIVILEGES ON \`$MARIADB_DATABASE\`.* TO '$MARIADB_USER'@'%';
SQL
# Durable commits: the engine refuses to start on anything less (README, "MariaDB").
exec mariadbd --user=mysql --datadir=/var/lib/mysql --bind-address=0.0.0.0 --port=3306 \
  --init-file=/tmp/init.sql \
  --innodb-flush-log-at-trx-commit=1 --sync-binlog=1 \
  --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
  "$@"
