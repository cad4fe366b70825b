#!/usr/bin/env bash
# Copies the libraries' own distributed files from node_modules (installed by `npm ci` from
# package-lock.json) into vendor/. Nothing is built or changed: tests/browser/vendor.test.js
# fails when a file in vendor/ differs from the locked package's file.
#   cd infra/dashboard && npm ci && ./vendor.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
[ -d node_modules ] || { echo "vendor.sh: run npm ci first" >&2; exit 1; }
# package/path/in/package  →  vendor/<basename>; the list is vendor/FILES (read by the test too).
mkdir -p vendor
while read -r source; do
    case "$source" in ''|'#'*) continue ;; esac
    cp "node_modules/$source" "vendor/$(basename "$source")"
    echo "vendor: $source"
done < vendor/FILES
