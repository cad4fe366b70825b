# shellcheck shell=bash
# The WhatsApp simulator and the operator dashboard in a real browser: Debian's chromium driven
# by npm playwright-core (pinned in tests/browser/package-lock.json; it downloads no browser).
# Source this file, then:
#   browser_install   # chromium + fonts (text, colour emoji) when missing; npm ci in tests/browser
#                     # and in infra/dashboard (the locked libraries the vendored files must match)
#   browser_test      # build prolink (debug), serve it on a free loopback port with a fresh data
#                     # folder, run `node --test` in tests/browser (simulator, dashboard, vendored
#                     # files), stop the server by its PID
#   browser_stop      # stops the server started by browser_test (also safe in an EXIT trap)
#   browser_copy_screenshots  # the operator guide's dashboard screenshots → docs/img/
# Screenshots and the server log go to tests/output/browser/, the dashboard's screenshots to
# tests/output/dashboard/ (both git-ignored).

_browser_root() {
    # This file lives in tests/lib/.
    (cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
}

browser_install() {
    local root sudo=""
    root="$(_browser_root)"
    if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    fi
    # The colour emoji font: without it emoji are drawn as empty boxes (the simulator's test
    # checks they are drawn in colour). Checked on its own, as a machine may have chromium.
    if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -q "Noto Color Emoji"; then
        echo "browser: installing Debian chromium, fonts-dejavu-core and fonts-noto-color-emoji" >&2
        $sudo apt-get update || return 1
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends \
            chromium fonts-dejavu-core fonts-noto-color-emoji || return 1
    fi
    if ! command -v npm >/dev/null 2>&1; then
        echo "browser: npm is missing (Node.js ≥ 20 is needed for the browser tests)" >&2
        return 1
    fi
    (cd "$root/tests/browser" && npm ci --no-audit --no-fund --loglevel=error) || return 1
    (cd "$root/infra/dashboard" && npm ci --no-audit --no-fund --loglevel=error) || return 1
}

browser_copy_screenshots() {
    "$(_browser_root)/tests/browser/copy-screenshots.sh"
}

browser_stop() {
    if [ -n "${PROLINK_BROWSER_SERVER_PID:-}" ]; then
        kill "$PROLINK_BROWSER_SERVER_PID" 2>/dev/null || true
        wait "$PROLINK_BROWSER_SERVER_PID" 2>/dev/null || true
        unset PROLINK_BROWSER_SERVER_PID
    fi
    if [ -n "${PROLINK_BROWSER_DATA:-}" ]; then
        rm -rf "$PROLINK_BROWSER_DATA"
        unset PROLINK_BROWSER_DATA
    fi
}

browser_test() {
    local root out log port deadline status=0
    root="$(_browser_root)"
    out="$root/tests/output/browser"
    # The same build as the test step (workspace features, dev profile, test targets): it
    # leaves target/debug/prolink up to date, so nothing is compiled again here. A
    # `cargo build -p prolink-local` would resolve features for that package alone and
    # rebuild every dependency whose feature set differs.
    (cd "$root" && cargo test --workspace --locked --no-run --quiet) || return 1
    rm -rf "$out" "$root/tests/output/dashboard"
    mkdir -p "$out" || return 1
    log="$out/prolink-serve.log"
    PROLINK_BROWSER_DATA="$(mktemp -d)" || return 1
    export PROLINK_BROWSER_DATA
    # The OS picks a free port; the tiny race until prolink binds it is acceptable for tests.
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')" || return 1
    # Without Graph credentials, on loopback: the simulator is mounted.
    env -u WHATSAPP_ACCESS_TOKEN -u WHATSAPP_PHONE_NUMBER_ID -u WHATSAPP_APP_SECRET \
        -u WHATSAPP_VERIFY_TOKEN RUST_LOG="${RUST_LOG:-warn}" \
        "$root/target/debug/prolink" serve --addr "127.0.0.1:$port" \
        --data "$PROLINK_BROWSER_DATA" >"$log" 2>&1 &
    PROLINK_BROWSER_SERVER_PID=$!
    export PROLINK_BROWSER_SERVER_PID
    deadline=$((SECONDS + 60))
    until grep -q '^READY ' "$log" 2>/dev/null; do
        if ! kill -0 "$PROLINK_BROWSER_SERVER_PID" 2>/dev/null; then
            echo "browser: prolink serve exited during start-up, see $log" >&2
            unset PROLINK_BROWSER_SERVER_PID
            browser_stop
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "browser: prolink serve not ready after 60 s, see $log" >&2
            browser_stop
            return 1
        fi
        sleep 0.2
    done
    echo "browser: prolink serve at http://127.0.0.1:$port (pid $PROLINK_BROWSER_SERVER_PID)" >&2
    # The simulator's test first, on its own: it counts the citizens it sees and moves the
    # clock. The dashboard's test then adds its own citizens and accounts (`prolink user add`
    # on the same data folder); the vendored files' test needs no server.
    (
        cd "$root/tests/browser" &&
            export PROLINK_BASE_URL="http://127.0.0.1:$port" PROLINK_SCREENSHOTS="$out" \
                PROLINK_BIN="$root/target/debug/prolink" &&
            node --test --test-reporter=spec simulator.test.js &&
            node --test --test-reporter=spec dashboard.test.js vendor.test.js
    ) || status=$?
    browser_stop
    if [ "$status" -ne 0 ]; then
        echo "browser: tests failed; screenshots and server log in $out" >&2
    else
        echo "browser: screenshots in $out" >&2
    fi
    return "$status"
}
