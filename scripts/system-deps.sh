#!/usr/bin/env bash
# Debian packages the project needs beyond Python's: a CJK font (Typst typesets zh-CN letters in Noto Serif CJK SC),
# PostgreSQL (the store's test suite starts its own throwaway server), Chromium (the
# dashboard's browser test drives it headless) and docker-compose (tests/deploy validates docker-compose.yml with
# `docker-compose config`; no Docker engine is needed or installed).
# Installs what is missing when run as root; otherwise prints the command to run.
set -euo pipefail
packages=(fonts-noto-cjk postgresql chromium docker-compose)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
