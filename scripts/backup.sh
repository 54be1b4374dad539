#!/usr/bin/env bash
# Consistent backup of a running ChatAspire (local-process mode): every database and the upload store.
#   scripts/backup.sh DIR [--data DATA_ROOT]
# DATA_ROOT is the AppHost's data folder (default: ChatAspire:DataPath's default, see README "Backup and restore").
# Postgres is found from DATA_ROOT/postgres/postmaster.pid, the password in the AppHost's user secrets; PGHOST, PGPORT,
# PGUSER and PGPASSWORD override them (e.g. for containers). CHATASPIRE_FILES overrides the upload store's folder.
# Consistency: each database is dumped from one snapshot; blobs are content-addressed and never changed, and the
# store is hard-linked aside before the dumps and again after them, so every file a dumped row refers to is copied
# even if it is deleted meanwhile. Redis is not backed up: it holds nothing that Postgres does not (docs/deployment.md).
set -euo pipefail
source "$(dirname "$0")/pg-common.sh"

out=${1:?usage: scripts/backup.sh DIR [--data DATA_ROOT]}
shift
data=$(default_data_root)
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data=$2; shift 2 ;;
    *) echo "backup: unknown argument $1" >&2; exit 2 ;;
  esac
done
files=${CHATASPIRE_FILES:-$data/files}
bin=$(pg_bin_dir)
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres}
if [ -z "${PGPORT:-}" ]; then
  pid="$data/postgres/postmaster.pid"
  [ -f "$pid" ] || { echo "backup: no running Postgres under $data (no $pid); is the system running?" >&2; exit 1; }
  PGPORT=$(sed -n 4p "$pid")
fi
export PGPORT
PGPASSWORD=$(pg_password)
export PGPASSWORD
[ -n "$PGPASSWORD" ] || { echo "backup: no Postgres password (set PGPASSWORD)" >&2; exit 1; }
[ -d "$files" ] || { echo "backup: no upload store at $files" >&2; exit 1; }
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then echo "backup: $out is not empty" >&2; exit 1; fi
mkdir -p "$out/files"

start=$(date +%s%N)
snapshots=()
snapshot() { # hard links: instant, no extra space, and a link outlives the deletion of its original
  local dir="$files/.backup-$$-${#snapshots[@]}"
  mkdir -p "$dir"
  if [ -d "$files/blobs" ]; then cp -al "$files/blobs" "$dir/"; fi
  snapshots+=("$dir")
}
cleanup() { for s in "${snapshots[@]}"; do rm -rf "$s"; done; }
trap cleanup EXIT

snapshot
for db in chatdb filesdb ragdb; do
  "$bin/pg_dump" --format=custom --no-owner --file="$out/$db.dump" "$db"
done
snapshot
for s in "${snapshots[@]}"; do
  if [ -d "$s/blobs" ]; then cp -a --no-clobber "$s/blobs" "$out/files/"; fi
done
mkdir -p "$out/files/blobs"

blobs=$(find "$out/files/blobs" -type f | wc -l)
(cd "$out/files" && find blobs -type f -print0 | sort -z | xargs -0 -r sha256sum) > "$out/files.sha256"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
{
  echo "ChatAspire backup"
  echo "taken: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "postgres: $("$bin/pg_dump" --version)"
  echo "databases: chatdb filesdb ragdb"
  echo "blobs: $blobs"
} > "$out/BACKUP"
printf 'backup: 3 databases, %d blobs in %s (%d.%03d s)\n' "$blobs" "$out" $((elapsed_ms / 1000)) $((elapsed_ms % 1000))
