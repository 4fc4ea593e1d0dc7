#!/usr/bin/env bash
# Starts the services the test suite needs when they are not running: PostgreSQL on 127.0.0.1:5432
# (trust auth; the scale tests create and drop their own databases). Installs postgresql with apt
# when missing and running as root. Safe to run again.
set -euo pipefail

log() { printf '[test-services] %s\n' "$*" >&2; }

pg_up() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h 127.0.0.1 -p 5432
  else
    (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
  fi
}

if pg_up; then
  exit 0
fi

if [ "$(id -u)" != "0" ]; then
  log "PostgreSQL is not listening on 127.0.0.1:5432 and this is not root; the Postgres tests will fail"
  exit 0
fi

if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  log "installing postgresql with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

version=$(ls /etc/postgresql | sort -V | tail -1)
conf=/etc/postgresql/$version/main
# Loopback only, trust auth: a throwaway test server.
if ! grep -q '^# wren-test' "$conf/pg_hba.conf"; then
  {
    echo '# wren-test: trust on loopback'
    echo 'host all all 127.0.0.1/32 trust'
    echo 'host all all ::1/128 trust'
    cat "$conf/pg_hba.conf"
  } >"$conf/pg_hba.conf.new"
  mv "$conf/pg_hba.conf.new" "$conf/pg_hba.conf"
  chown postgres:postgres "$conf/pg_hba.conf"
fi
log "starting PostgreSQL $version"
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do
  pg_up && break
  sleep 1
done
pg_up || { log "PostgreSQL did not start"; exit 1; }
