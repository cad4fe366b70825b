# shellcheck shell=bash
# The operator API against its own specification (docs/openapi.yaml): schemathesis generates
# requests from the spec, valid and invalid, and checks every answer (no 5xx, documented status
# codes and content types, bodies matching their schemas). Source this file, then:
#   schemathesis_install   # once: schemathesis (pinned) into the test venv
#   schemathesis_test      # serve prolink (debug build of the test step) with a fresh data
#                          # folder and one user per role, run schemathesis signed in as
#                          # admin, as an OPD user, and signed out; stop the server by its PID
#   schemathesis_stop      # stops the server (also safe in an EXIT trap)
# Reports and the server log go to tests/output/schemathesis/ (git-ignored).

PROLINK_SCHEMATHESIS_VERSION="${PROLINK_SCHEMATHESIS_VERSION:-4.32.5}"
# Examples per operation and phase: enough to reach the edges of every schema, small enough
# for the 2-core CI budget.
PROLINK_SCHEMATHESIS_EXAMPLES="${PROLINK_SCHEMATHESIS_EXAMPLES:-25}"

_st_root() {
    (cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
}

_st_venv() {
    local venv="${PROLINK_VENV:-./.venv-test}"
    case "$venv" in
        /*) printf '%s\n' "$venv" ;;
        *) printf '%s/%s\n' "$(_st_root)" "${venv#./}" ;;
    esac
}

schemathesis_install() {
    local venv
    venv="$(_st_venv)"
    if [ -x "$venv/bin/st" ] \
        && "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('schemathesis') != '$PROLINK_SCHEMATHESIS_VERSION')" 2>/dev/null; then
        return 0
    fi
    echo "schemathesis: installing schemathesis==$PROLINK_SCHEMATHESIS_VERSION into $venv" >&2
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv" || return 1
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "schemathesis==$PROLINK_SCHEMATHESIS_VERSION" || return 1
}

schemathesis_stop() {
    if [ -n "${PROLINK_ST_SERVER_PID:-}" ]; then
        kill "$PROLINK_ST_SERVER_PID" 2>/dev/null || true
        wait "$PROLINK_ST_SERVER_PID" 2>/dev/null || true
        unset PROLINK_ST_SERVER_PID
    fi
    if [ -n "${PROLINK_ST_DATA:-}" ]; then
        rm -rf "$PROLINK_ST_DATA"
        unset PROLINK_ST_DATA
    fi
}

# Signs in through the API and prints the access token.
_st_token() {
    local base="$1" user="$2" password="$3"
    python3 - "$base" "$user" "$password" <<'PY'
import json, sys, urllib.request
base, user, password = sys.argv[1:4]
request = urllib.request.Request(
    f"{base}/api/auth/login",
    data=json.dumps({"username": user, "password": password}).encode(),
    headers={"content-type": "application/json"},
)
with urllib.request.urlopen(request, timeout=10) as response:
    print(json.load(response)["access_token"])
PY
}

# Files a complaint as a citizen through the simulator (the same chat a person uses) and
# prints its ticket once the API lists it: the runs then reach a real complaint's detail,
# transitions and notes instead of 404s only.
_st_file_complaint() {
    local base="$1" token="$2"
    python3 - "$base" "$token" <<'PY'
import json, sys, time, urllib.request
base, token = sys.argv[1:3]

def post(path, body, headers=None):
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(),
        headers={"content-type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)

def reply(kind, id_, title):
    return {"reply": {"kind": kind, "id": id_, "title": title}}

citizen = {"from": "6281298765432", "name": "Warga Uji"}
steps = [
    reply("button", "btn:aduan", "Aduan"),
    reply("button", "aduan:setuju", "Setuju"),
    reply("list", "complaint:jalan-rusak", "Jalan rusak"),
    {"text": "Jalan di depan sekolah berlubang dalam, sudah dua minggu belum diperbaiki."},
    {"text": "Jl. Soekarno Hatta 21, Kelurahan Mayangan"},
    reply("button", "aduan:foto-selesai", "Selesai"),
    reply("button", "aduan:privasi:biasa", "Biasa"),
    reply("button", "aduan:kirim", "Kirim"),
]
for step in steps:
    post("/simulator/api/send", {**citizen, **step})
    # The bot answers each step before the next, as a person waits for the reply.
    time.sleep(0.5)
deadline = time.time() + 60
while time.time() < deadline:
    request = urllib.request.Request(
        base + "/api/complaints?limit=1", headers={"authorization": "Bearer " + token})
    with urllib.request.urlopen(request, timeout=10) as response:
        items = json.load(response)["items"]
    if items:
        print(items[0]["ticket"])
        sys.exit(0)
    time.sleep(0.5)
sys.exit("no complaint was filed through the simulator within 60 s")
PY
}

# One schemathesis run; $1 names it (report folder), the rest are extra `st run` options.
_st_run() {
    local name="$1" venv root out
    shift
    venv="$(_st_venv)"
    root="$(_st_root)"
    out="$root/tests/output/schemathesis/$name"
    mkdir -p "$out" || return 1
    echo "schemathesis: $name" >&2
    "$venv/bin/st" --no-color --config-file "$PROLINK_ST_CONFIG" \
        run "$root/docs/openapi.yaml" \
        --url "$PROLINK_ST_BASE" \
        --checks all \
        --max-examples "$PROLINK_SCHEMATHESIS_EXAMPLES" \
        --seed 20261206 \
        --request-timeout 10 \
        --continue-on-failure \
        --suppress-health-check all \
        --report junit --report-dir "$out" \
        "$@"
}

schemathesis_test() {
    local root out log port deadline status=0 password admin_token opd_token prolink ticket
    root="$(_st_root)"
    out="$root/tests/output/schemathesis"
    prolink="$root/target/debug/prolink"
    # The test step's build (see browser.sh) left target/debug/prolink up to date.
    (cd "$root" && cargo test --workspace --locked --no-run --quiet) || return 1
    rm -rf "$out"
    mkdir -p "$out" || return 1
    log="$out/prolink-serve.log"
    PROLINK_ST_DATA="$(mktemp -d)" || return 1
    export PROLINK_ST_DATA
    password="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')" || return 1
    # One account per role the runs sign in as; the password never reaches the command line.
    printf '%s\n' "$password" | "$prolink" user add st-admin --role admin \
        --data "$PROLINK_ST_DATA" >>"$log" 2>&1 || { echo "schemathesis: user add failed, see $log" >&2; return 1; }
    printf '%s\n' "$password" | "$prolink" user add st-opd --role opd --opd dpupr-pkp \
        --data "$PROLINK_ST_DATA" >>"$log" 2>&1 || { echo "schemathesis: user add failed, see $log" >&2; return 1; }
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')" || return 1
    env -u WHATSAPP_ACCESS_TOKEN -u WHATSAPP_PHONE_NUMBER_ID -u WHATSAPP_APP_SECRET \
        -u WHATSAPP_VERIFY_TOKEN RUST_LOG="${RUST_LOG:-warn}" \
        PROLINK_API_REQUESTS_PER_MINUTE=1000000 \
        "$prolink" serve --addr "127.0.0.1:$port" --data "$PROLINK_ST_DATA" >>"$log" 2>&1 &
    PROLINK_ST_SERVER_PID=$!
    export PROLINK_ST_SERVER_PID
    PROLINK_ST_BASE="http://127.0.0.1:$port"
    export PROLINK_ST_BASE
    deadline=$((SECONDS + 60))
    until grep -q '^READY ' "$log" 2>/dev/null; do
        if ! kill -0 "$PROLINK_ST_SERVER_PID" 2>/dev/null; then
            echo "schemathesis: prolink serve exited during start-up, see $log" >&2
            unset PROLINK_ST_SERVER_PID
            schemathesis_stop
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "schemathesis: prolink serve not ready after 60 s, see $log" >&2
            schemathesis_stop
            return 1
        fi
        sleep 0.2
    done
    admin_token="$(_st_token "$PROLINK_ST_BASE" st-admin "$password")" || status=1
    opd_token="$(_st_token "$PROLINK_ST_BASE" st-opd "$password")" || status=1
    if [ "$status" -eq 0 ]; then
        ticket="$(_st_file_complaint "$PROLINK_ST_BASE" "$admin_token")" || status=1
    fi
    if [ "$status" -eq 0 ]; then
        # The checked-in settings plus the filed ticket, offered for {ticket} most of the time
        # (the rest stays generated, so unknown and malformed tickets are still tried).
        PROLINK_ST_CONFIG="$out/schemathesis.toml"
        export PROLINK_ST_CONFIG
        {
            cat "$root/tests/schemathesis.toml"
            printf '\n[dictionaries.tickets]\nvalues = ["%s"]\n' "$ticket"
            printf '\n[parameters]\n"path.ticket" = { dictionary = "tickets", probability = 0.8 }\n'
        } >"$PROLINK_ST_CONFIG"
        echo "schemathesis: filed $ticket through the simulator" >&2
        # Sign-in routes are exercised signed out; the rest as each user. The admin run
        # may change its own account (PATCH /api/users/{name}): it goes last.
        _st_run signed-out || status=1
        _st_run opd -H "Authorization: Bearer $opd_token" || status=1
        _st_run admin -H "Authorization: Bearer $admin_token" || status=1
    fi
    schemathesis_stop
    if [ "$status" -ne 0 ]; then
        echo "schemathesis: failures above (reports and server log in $out)" >&2
    fi
    return "$status"
}
