#!/usr/bin/env bash
# Runs the whole system: installs what is missing (scripts/install-deps.sh), then starts the AppHost with
# the Aspire dashboard at http://localhost:15080 (the login link with its token is printed below).
# Postgres and Redis run as containers when a container runtime is healthy, as local processes otherwise,
# with data kept under the data folder (see README). Extra arguments go to the AppHost, e.g.
#   scripts/run.sh --ChatAspire:Ephemeral=true
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
exec dotnet run -c Release --project ChatAspire.AppHost --launch-profile http -- "$@"
