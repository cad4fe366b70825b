# shellcheck shell=bash
# The crate walls of docs/architecture.md, checked on the resolved dependency graph (offline,
# `cargo tree`), so a dependency added in any Cargo.toml is caught, direct or transitive.
# Sourced by tests/run.
#
#   walls_check   # exits non-zero naming every crate that crosses a wall

# Crates that do I/O or bring a runtime: never in the domain's graph.
WALLS_IO_CRATES='^(tracing|tracing-core|log|tokio|axum|hyper|reqwest|rusqlite|libsqlite3-sys|tower|async-trait|mio|socket2|wiremock|aws-[a-z0-9-]+|lambda_[a-z_]+|prolink-whatsapp|prolink-app|prolink-aws|prolink-embedded)$'
# The wire types know nothing of the domain, the application or any adapter.
WALLS_WHATSAPP_FORBIDDEN='^(prolink-domain|prolink-app|prolink-aws|prolink-embedded|tokio|axum|reqwest|rusqlite|aws-[a-z0-9-]+)$'
# What no Lambda may carry: the embedded store, the simulator and SQLite.
WALLS_LAMBDA_FORBIDDEN='^(rusqlite|libsqlite3-sys|prolink-embedded)$'
WALLS_LAMBDAS='webhook dialog-worker complaint-worker scheduler api'

_walls_graph() {
    # Every crate in the normal (non-dev, non-build) dependency graph of package $1.
    cargo tree --locked -p "$1" -e normal --prefix none --format '{p}' 2>/dev/null |
        awk '{print $1}' | sort -u
}

_walls_forbidden() {
    # Prints the crates of package $1's graph matching the regex $2 (the package itself aside).
    local package="$1" pattern="$2"
    _walls_graph "$package" | grep -v -x -- "$package" | grep -E -- "$pattern" || true
}

walls_check() {
    local bad=0 found package
    if [ -z "$(_walls_graph prolink-domain)" ]; then
        echo "walls: cargo tree printed nothing for prolink-domain" >&2
        return 1
    fi
    found="$(_walls_forbidden prolink-domain "$WALLS_IO_CRATES")"
    if [ -n "$found" ]; then
        echo "walls: the domain crate depends on I/O crates: $(echo "$found" | tr '\n' ' ')" >&2
        bad=1
    fi
    found="$(_walls_forbidden prolink-whatsapp "$WALLS_WHATSAPP_FORBIDDEN")"
    if [ -n "$found" ]; then
        echo "walls: the whatsapp crate depends on: $(echo "$found" | tr '\n' ' ')" >&2
        bad=1
    fi
    found="$(_walls_forbidden prolink-app 'rusqlite|libsqlite3-sys|^prolink-(aws|embedded)$|^aws-sdk-')"
    if [ -n "$found" ]; then
        echo "walls: the application crate depends on an adapter: $(echo "$found" | tr '\n' ' ')" >&2
        bad=1
    fi
    for package in $WALLS_LAMBDAS; do
        if [ -z "$(_walls_graph "$package")" ]; then
            echo "walls: cargo tree printed nothing for $package" >&2
            bad=1
            continue
        fi
        found="$(_walls_forbidden "$package" "$WALLS_LAMBDA_FORBIDDEN")"
        if [ -n "$found" ]; then
            echo "walls: Lambda $package links: $(echo "$found" | tr '\n' ' ')" >&2
            bad=1
        fi
    done
    if [ -z "$(_walls_forbidden prolink-local '^rusqlite$')" ]; then
        echo "walls: prolink-local no longer shows rusqlite: is the check still reading the graph?" >&2
        bad=1
    fi
    [ "$bad" -eq 0 ] && echo "walls: domain pure, whatsapp standalone, no Lambda links SQLite"
    return "$bad"
}
