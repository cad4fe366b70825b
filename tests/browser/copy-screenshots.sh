#!/usr/bin/env bash
# Copies the dashboard screenshots the operator guide shows from tests/output/dashboard/ (made by
# `browser_test`, see tests/lib/browser.sh) to docs/img/dashboard-*.png. Run after a green
# browser test; commit the images that changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
from="$root/tests/output/dashboard"
to="$root/docs/img"
# screenshot name in tests/output/dashboard → docs/img/dashboard-<name>.png
shots=(
    masuk-desktop
    ringkasan-admin-desktop
    aduan-operator-desktop
    aduan-detail-desktop
    percakapan-desktop
    konten-editor-desktop
    tak-terjawab-operator-desktop
    statistik-operator-desktop
    pengguna-admin-desktop
    data-warga-admin-desktop
    data-warga-hapus-desktop
    pengaturan-galat-desktop
    siaran-baru-desktop
    siaran-detail-desktop
    siaran-detail-phone
    ringkasan-phone
    aduan-phone
    menu-phone
)
mkdir -p "$to"
for name in "${shots[@]}"; do
    if [ ! -f "$from/$name.png" ]; then
        echo "copy-screenshots: $from/$name.png is missing; run browser_test first" >&2
        exit 1
    fi
    cp "$from/$name.png" "$to/dashboard-$name.png"
done
echo "copy-screenshots: ${#shots[@]} screenshots copied to $to" >&2
