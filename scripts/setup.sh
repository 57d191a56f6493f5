#!/usr/bin/env bash
# Install what Kho needs on a Debian 12 machine, only when it is missing.
#   scripts/setup.sh          build + run dependencies (Tesseract vie/eng, Leptonica, clang)
#   scripts/setup.sh --test   also what the tests need (poppler-utils, qpdf, Ghostscript, fonts,
#                             PostgreSQL, chromium, a Python venv in .venv with the
#                             test-only tools, playwright-core in tests/browser)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

packages=(tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng tesseract-ocr-osd libtesseract-dev libleptonica-dev
          clang libclang-dev pkg-config)
if [ "$want_test" = 1 ]; then
  packages+=(poppler-utils qpdf ghostscript chromium fonts-liberation2 fonts-dejavu-core fonts-dejavu-extra python3-venv postgresql)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo is missing; install Rust with rustup (https://rustup.rs) and run again" >&2
  exit 1
fi

if [ "$want_test" = 1 ]; then
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  if ! .venv/bin/python -c "import PIL, moto, pyhanko, pyhanko.cli, authlib, requests, schemathesis, reportlab, img2pdf" 2>/dev/null; then
    .venv/bin/pip install -q --disable-pip-version-check -r scripts/test-requirements.txt >&2
  fi
  # playwright-core drives Debian's chromium in the browser tests (tests/browser);
  # axe-core checks the pages' accessibility there.
  if ! command -v npm >/dev/null 2>&1; then
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends nodejs npm >&2
  fi
  if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/axe-core ]; then
    (cd tests/browser && npm ci --no-audit --no-fund >&2)
  fi
fi
