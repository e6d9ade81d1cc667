#!/usr/bin/env bash
# Run a command against a throwaway local PostgreSQL warehouse (used by `make demo` for load_warehouse):
#
#   deploy/local-warehouse.sh <command> [args]
#
# Starts Debian's PostgreSQL (as the `postgres` user when run as root: the server refuses root) in a temp folder
# on 127.0.0.1 and a free port, with role and database `voc` and a random password that only this process tree
# sees ($VOCSPARK_WAREHOUSE_PASSWORD). Runs the command with `--set warehouse.url=... --set warehouse.user=voc`
# appended, prints the row counts of the warehouse tables, then stops the server and removes the folder.
# Without the server binaries (make system-deps installs them) it says so and exits 0.
set -euo pipefail
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ -z "$BIN" || ! -x "$BIN/initdb" ]]; then
  echo "local-warehouse: PostgreSQL server not installed (make system-deps): skipping: $*"; exit 0
fi
AS=()
[[ $(id -u) -eq 0 ]] && AS=(runuser -u postgres --)
DIR=$(mktemp -d /tmp/vocspark-warehouse-XXXXXX)
[[ ${#AS[@]} -gt 0 ]] && chown postgres "$DIR"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export VOCSPARK_WAREHOUSE_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
stop() {
  "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap stop EXIT
"${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 \
  --locale=C.UTF-8 >/dev/null
"${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -w -l "$DIR/server.log" \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$DIR" start >/dev/null
PSQL=("${AS[@]}" "$BIN/psql" -h "$DIR" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -q)
# the password goes to psql on stdin, never on a command line
printf "CREATE ROLE voc LOGIN PASSWORD '%s';\nCREATE DATABASE voc OWNER voc;\n" "$VOCSPARK_WAREHOUSE_PASSWORD" | "${PSQL[@]}" >/dev/null
echo "local-warehouse: PostgreSQL on 127.0.0.1:$PORT (database voc), removed on exit"
"$@" --set "warehouse.url=jdbc:postgresql://127.0.0.1:$PORT/voc" --set warehouse.user=voc
"${PSQL[@]}" -d voc -c "SELECT 'voc_comment_topics' AS table_name, count(*) AS rows FROM voc_comment_topics
  UNION ALL SELECT 'voc_user_subjects', count(*) FROM voc_user_subjects" || true
