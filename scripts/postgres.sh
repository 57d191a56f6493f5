#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 with trust authentication and a
# database named `test`, starting (or configuring) Debian's cluster when none answers.
set -euo pipefail
host=127.0.0.1 port=5432
if pg_isready -q -h "$host" -p "$port" 2>/dev/null; then
  exit 0
fi
version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
if [ -z "$version" ]; then
  echo "postgres: no cluster found; is the postgresql package installed?" >&2
  exit 1
fi
conf=/etc/postgresql/$version/main
# A fresh Debian cluster asks for passwords over TCP; the test database is local and
# throwaway, so let loopback connections in without one.
if ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$conf/pg_hba.conf"; then
  sed -i '1i host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"
fi
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do
  pg_isready -q -h "$host" -p "$port" && break
  sleep 1
done
pg_isready -q -h "$host" -p "$port" || { echo "postgres: server did not start" >&2; exit 1; }
psql -h "$host" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 \
  || psql -h "$host" -U postgres -c "CREATE DATABASE test" >/dev/null
