# shellcheck shell=bash
# moto server as the AWS stand-in for the adapter tests. Source this file, then:
#   moto_install   # once: venv with a pinned moto[server]
#   moto_start     # background server on a free loopback port; exports the AWS_* variables
#   moto_stop      # stops the server started by moto_start
# Variables: PROLINK_VENV (default ./.venv-test), PROLINK_MOTO_LOG (default $PROLINK_VENV/moto.log).

PROLINK_MOTO_VERSION="${PROLINK_MOTO_VERSION:-5.2.5}"

_moto_venv() {
    printf '%s' "${PROLINK_VENV:-./.venv-test}"
}

moto_install() {
    local venv
    venv="$(_moto_venv)"
    if [ -x "$venv/bin/moto_server" ] \
        && "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('moto') != '$PROLINK_MOTO_VERSION')" 2>/dev/null; then
        return 0
    fi
    echo "moto: installing moto[server]==$PROLINK_MOTO_VERSION into $venv" >&2
    python3 -m venv "$venv" || return 1
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "moto[server]==$PROLINK_MOTO_VERSION" || return 1
}

moto_start() {
    local venv port log deadline
    venv="$(_moto_venv)"
    if [ ! -x "$venv/bin/moto_server" ]; then
        echo "moto: not installed, run moto_install first" >&2
        return 1
    fi
    if [ -n "${PROLINK_MOTO_PID:-}" ] && kill -0 "$PROLINK_MOTO_PID" 2>/dev/null; then
        echo "moto: already running (pid $PROLINK_MOTO_PID)" >&2
        return 0
    fi
    # The OS picks a free port; the tiny race until moto binds it is acceptable for tests.
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')" || return 1
    log="${PROLINK_MOTO_LOG:-$venv/moto.log}"
    # moto_server with DynamoDB requests made atomic, as the real service makes them (see the
    # launcher's docstring).
    "$venv/bin/python" "$(dirname "${BASH_SOURCE[0]}")/moto_server.py" -H 127.0.0.1 -p "$port" \
        >"$log" 2>&1 &
    PROLINK_MOTO_PID=$!
    export PROLINK_MOTO_PID
    deadline=$((SECONDS + 30))
    until python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" \
        "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1; do
        if ! kill -0 "$PROLINK_MOTO_PID" 2>/dev/null; then
            echo "moto: server exited during start-up, see $log" >&2
            unset PROLINK_MOTO_PID
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "moto: not ready after 30 s, see $log" >&2
            moto_stop
            return 1
        fi
        sleep 0.2
    done
    export PROLINK_TEST_AWS_ENDPOINT="http://127.0.0.1:$port"
    export AWS_ENDPOINT_URL="$PROLINK_TEST_AWS_ENDPOINT"
    # Jakarta, where the stack is deployed; moto serves every region.
    export AWS_REGION=ap-southeast-3
    export AWS_DEFAULT_REGION=ap-southeast-3
    export AWS_ACCESS_KEY_ID=test
    export AWS_SECRET_ACCESS_KEY=test
    export AWS_EC2_METADATA_DISABLED=true
    echo "moto: ready at $PROLINK_TEST_AWS_ENDPOINT (pid $PROLINK_MOTO_PID)" >&2
}

moto_stop() {
    if [ -n "${PROLINK_MOTO_PID:-}" ]; then
        kill "$PROLINK_MOTO_PID" 2>/dev/null || true
        wait "$PROLINK_MOTO_PID" 2>/dev/null || true
        unset PROLINK_MOTO_PID
    fi
    unset PROLINK_TEST_AWS_ENDPOINT AWS_ENDPOINT_URL
}
