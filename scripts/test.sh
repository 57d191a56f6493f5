#!/usr/bin/env bash
# Run the whole test suite: installs what is missing (Debian packages, PostgreSQL, the
# test venv), makes sure PostgreSQL answers, then runs every crate's tests on both
# database backends.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
scripts/postgres.sh
export OMP_THREAD_LIMIT=1
export KHO_TEST_POSTGRES_URL="${KHO_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
export KHO_TEST_PYTHON="$PWD/.venv/bin/python"
cargo test --workspace --no-fail-fast "$@"
