#!/usr/bin/env bash
# Loads a backup made by scripts/backup.sh into a fresh, stopped data folder; then start the system on it:
#   scripts/restore.sh DIR DATA_ROOT
#   scripts/run.sh --ChatAspire:DataPath=DATA_ROOT
# The new cluster's postgres password is PGPASSWORD, else the AppHost's (its user secrets): the one the AppHost will
# connect with. Redis starts empty; the services refill it (outbox events not yet handled are published again).
set -euo pipefail
source "$(dirname "$0")/pg-common.sh"

backup=${1:?usage: scripts/restore.sh DIR DATA_ROOT}
data=${2:?usage: scripts/restore.sh DIR DATA_ROOT}
[ -f "$backup/BACKUP" ] || { echo "restore: $backup is not a ChatAspire backup (no BACKUP file)" >&2; exit 1; }
if [ -e "$data/postgres/PG_VERSION" ] || { [ -d "$data/files/blobs" ] && [ -n "$(ls -A "$data/files/blobs")" ]; }; then
  echo "restore: $data already holds data; restore into a fresh folder" >&2; exit 1
fi
bin=$(pg_bin_dir)
password=$(pg_password)
[ -n "$password" ] || { echo "restore: no Postgres password (set PGPASSWORD, or run the AppHost once to create it)" >&2; exit 1; }

start=$(date +%s%N)
# Check the blobs first: a damaged backup is refused before anything is written.
(cd "$backup/files" && sha256sum --quiet --check "$backup/files.sha256")

mkdir -p "$data/postgres" "$data/files"
chmod 755 "$data"
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
printf '%s' "$password" > "$work/pw"
if [ "$(id -u)" = "0" ]; then
  chown postgres:postgres "$data/postgres" "$work" "$work/pw"
  as_postgres test -w "$data/postgres" || { echo "restore: the postgres user cannot reach $data/postgres (a parent folder is private); choose a folder it can traverse" >&2; exit 1; }
fi
as_postgres "$bin/initdb" -D "$data/postgres" -U postgres --auth=scram-sha-256 --pwfile="$work/pw" -E UTF8 --locale=C >/dev/null

# A private server on a free port for the load, stopped again at the end.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
as_postgres "$bin/pg_ctl" -D "$data/postgres" -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=" -w -l "$work/postgres.log" start >/dev/null
stop() { as_postgres "$bin/pg_ctl" -D "$data/postgres" -m fast -w stop >/dev/null || true; rm -rf "$work"; }
trap stop EXIT
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGPASSWORD=$password
for db in chatdb filesdb ragdb; do
  "$bin/createdb" "$db"
  "$bin/pg_restore" --no-owner --exit-on-error --dbname="$db" "$backup/$db.dump"
done
stop
trap - EXIT

cp -a "$backup/files/blobs" "$data/files/"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
printf 'restore: 3 databases, %d blobs into %s (%d.%03d s)\n' "$(find "$data/files/blobs" -type f | wc -l)" "$data" $((elapsed_ms / 1000)) $((elapsed_ms % 1000))
