#!/usr/bin/env bash
# Retakes the README's screenshots of the entity page and the paragraph page, at 1280 px (a
# desktop) and at 390 px (a phone), from a `defenders-kg serve` on a loopback port, with headless
# Chromium. Usage: bash scripts/screenshots.sh [PORT]   (run from the repository, venv in .venv)
set -euo pipefail
port="${1:-8791}"
profile="$(mktemp -d)"
.venv/bin/defenders-kg serve --port "$port" >/dev/null 2>&1 &
server=$!
trap 'kill "$server"; rm -rf "$profile"' EXIT
for _ in $(seq 60); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/resource/charlie-cox.html" && break
    sleep 1
done
shoot() {  # NAME PAGE WIDTH HEIGHT
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
        --window-size="$3,$4" --screenshot="docs/$1.png" \
        "http://127.0.0.1:$port/resource/$2.html" 2>/dev/null
}
shoot entity-page charlie-cox 1280 1100
shoot entity-page-390 charlie-cox 390 1600
shoot paragraph-page source-document 1280 1100
shoot paragraph-page-390 source-document 390 1600
