# Shared by scripts/backup.sh and scripts/restore.sh (sourced, not run): where the data lives and how to reach Postgres.
# Local-process mode keeps everything under one data folder: postgres/ (the cluster), files/ (uploads), redis/.

# The AppHost's default data folder (ChatAspire:DataPath): /var/lib/chataspire for root, else $XDG_DATA_HOME/chataspire.
default_data_root() {
  if [ "$(id -un)" = "root" ]; then echo /var/lib/chataspire; else echo "${XDG_DATA_HOME:-$HOME/.local/share}/chataspire"; fi
}

pg_bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$dir" ]; then dir=$(dirname "$(command -v pg_dump)"); fi
  echo "$dir"
}

# The postgres superuser's password: PGPASSWORD if set, else the AppHost's generated parameter (its user secrets).
pg_password() {
  if [ -n "${PGPASSWORD:-}" ]; then echo "$PGPASSWORD"; return; fi
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  dotnet user-secrets list --project "$root/ChatAspire.AppHost" 2>/dev/null | sed -n 's/^Parameters:postgres-password = //p' | head -n 1
}

# Runs a Postgres server binary as the postgres user when we are root (initdb and postgres refuse to run as root).
as_postgres() {
  if [ "$(id -u)" = "0" ]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi
}
