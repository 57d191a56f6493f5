#!/usr/bin/env bash
# Build Kho and start it on the embedded default: SQLite file + object folder under
# KHO_DATA_DIR (default ./kho-data), in-process workers. Prints the URL it serves.
# Extra arguments go to `kho serve` (e.g. --addr 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --bin kho
export OMP_THREAD_LIMIT=1
exec target/release/kho serve "$@"
