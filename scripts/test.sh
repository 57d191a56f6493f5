#!/usr/bin/env bash
# Run the whole test suite: installs what is missing (Debian packages, PostgreSQL, the
# test venv), makes sure PostgreSQL answers, then runs every crate's tests on both
# database backends; then the API suites once more on the scale-out parts — PostgreSQL
# with every object in a real S3 server on loopback (moto's, from the venv). tests/it/s3.rs
# adds several `kho serve` and `kho worker` processes sharing them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
scripts/postgres.sh
export OMP_THREAD_LIMIT=1
export KHO_TEST_POSTGRES_URL="${KHO_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
export KHO_TEST_PYTHON="$PWD/.venv/bin/python"
status=0
cargo test --workspace --no-fail-fast "$@" || status=$?
if [ $# -eq 0 ]; then
  port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  .venv/bin/moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
  moto=$!
  trap 'kill "$moto" 2>/dev/null || true' EXIT
  for _ in $(seq 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.2
  done
  echo "== the API suites on PostgreSQL + S3 (moto on 127.0.0.1:$port) ==" >&2
  KHO_TEST_S3_ENDPOINT="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
    AWS_REGION=us-east-1 cargo test --no-fail-fast --test it -- on_postgres \
    --skip backup:: --skip cli:: --skip s3:: --skip security:: || status=$?
fi
exit $status
