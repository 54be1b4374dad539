#!/usr/bin/env bash
# Installs the Debian packages ChatAspire needs that a fresh machine lacks, and only those:
#   redis-server   when no container runtime is healthy (the AppHost then runs Redis as a local process)
#   prometheus     for promtool (tests) and the local Prometheus the AppHost can run
#   chromium       for the browser tests (only with --tests)
#   fonts-noto-color-emoji  colour emoji in the browser tests' screenshots and Lighthouse runs (only with --tests)
# PostgreSQL 15 server binaries are expected in /usr/lib/postgresql/*/bin (or a container runtime).
set -euo pipefail

want=()
container_ok=false
if command -v docker >/dev/null 2>&1 && timeout 10 docker container ls -n 1 >/dev/null 2>&1; then
  container_ok=true
fi
if [ "$container_ok" = false ] && ! command -v redis-server >/dev/null 2>&1; then want+=(redis-server); fi
if ! command -v promtool >/dev/null 2>&1; then want+=(prometheus); fi
if [ "${1:-}" = "--tests" ] && ! command -v chromium >/dev/null 2>&1; then want+=(chromium); fi
if [ "${1:-}" = "--tests" ] && ! fc-list 2>/dev/null | grep -qi "Noto Color Emoji"; then want+=(fonts-noto-color-emoji); fi
if [ "$container_ok" = false ] && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && ! command -v postgres >/dev/null 2>&1; then
  want+=(postgresql)
fi

if [ ${#want[@]} -gt 0 ]; then
  echo "install-deps: installing ${want[*]} with apt-get"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
  # The Debian packages start their own daemons; ChatAspire starts its own servers on free ports.
  for svc in redis-server prometheus; do
    $sudo systemctl disable --now "$svc" >/dev/null 2>&1 || $sudo service "$svc" stop >/dev/null 2>&1 || true
  done
else
  echo "install-deps: nothing to install"
fi
