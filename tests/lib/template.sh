# shellcheck shell=bash
# Offline validation of template.yaml: SAM transform (aws-sam-translator) + cfn-lint.
# Sourced by tests/run. Needs python3 with venv; no AWS credentials, no network after install.
#
#   template_tools_install   # once: creates/updates the venv only when a pinned tool is missing
#   template_validate        # exits non-zero on any transform or cfn-lint error, or when the
#                            # template disagrees with the code (tests/template_checks.py,
#                            # each check also proven to fail on a broken copy), or when a
#                            # deploy helper fails its offline tests (tests/deploy_scripts_test.py)

PROLINK_SAM_TRANSLATOR_VERSION="${PROLINK_SAM_TRANSLATOR_VERSION:-1.115.0}"
PROLINK_CFN_LINT_VERSION="${PROLINK_CFN_LINT_VERSION:-1.58.0}"

_template_root() {
  # The repository root: two levels above this file (tests/lib/).
  local here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  (cd "$here/../.." && pwd)
}

_template_venv() {
  local venv="${PROLINK_VENV:-./.venv-test}"
  case "$venv" in
    /*) printf '%s\n' "$venv" ;;
    *) printf '%s/%s\n' "$(_template_root)" "${venv#./}" ;;
  esac
}

_template_tools_present() {
  local py="$1"
  [ -x "$py" ] || return 1
  "$py" - "$PROLINK_SAM_TRANSLATOR_VERSION" "$PROLINK_CFN_LINT_VERSION" <<'PY' >/dev/null 2>&1
import sys
from importlib.metadata import version
sys.exit(0 if version("aws-sam-translator") == sys.argv[1] and version("cfn-lint") == sys.argv[2] else 1)
PY
}

template_tools_install() {
  local venv py
  venv="$(_template_venv)"
  py="$venv/bin/python"
  if _template_tools_present "$py"; then
    return 0
  fi
  if [ ! -x "$py" ]; then
    python3 -m venv "$venv" || return 1
  fi
  "$py" -m pip install --quiet --disable-pip-version-check \
    "aws-sam-translator==$PROLINK_SAM_TRANSLATOR_VERSION" \
    "cfn-lint==$PROLINK_CFN_LINT_VERSION" || return 1
  _template_tools_present "$py"
}

template_validate() {
  local root venv
  root="$(_template_root)"
  venv="$(_template_venv)"
  "$venv/bin/python" "$root/tests/validate_template.py" "$root/template.yaml" --self-test "$@" || return 1
  # The deploy helpers against a stand-in `aws` command (nothing reaches AWS).
  local report
  if report="$("$venv/bin/python" "$root/tests/deploy_scripts_test.py" 2>&1)"; then
    printf 'ok   deploy helpers: %s\n' "$(printf '%s\n' "$report" | grep '^Ran ')"
  else
    printf '%s\n' "$report" >&2
    return 1
  fi
}
