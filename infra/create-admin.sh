#!/usr/bin/env bash
# Creates the first dashboard account of a deployed stack in its Cognito user pool: the user,
# in the group of its role (groups are the roles), with the e-mail address Cognito sends the
# temporary password to (valid 7 days; a new password is chosen at the first sign-in).
#
#   infra/create-admin.sh --stack NAME --email ADDRESS [--username NAME] [--role admin]
#                         [--region REGION] [--resend] [--dry-run]
#
# --username  default: the address's local part, lower-cased, other characters as '-'
#             (the API's rule: 3..64 characters of a-z 0-9 . _ -)
# --role      admin (default), operator or viewer. OPD officers are created on the
#             dashboard (Pengguna), which records their OPD where the API reads it.
# --resend    e-mail a new temporary password to an account that never signed in
# --dry-run   print the AWS CLI calls instead of making them
#
# Needs the AWS CLI v2 with credentials allowed cognito-idp:AdminCreateUser and
# AdminAddUserToGroup on the pool, and cloudformation:DescribeStacks. Further accounts are
# made by this admin on the dashboard.
set -euo pipefail

usage() {
    echo "usage: $0 --stack NAME --email ADDRESS [--username NAME] [--role admin|operator|viewer] [--region REGION] [--resend] [--dry-run]" >&2
    exit 2
}

stack=""
email=""
username=""
role="admin"
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-ap-southeast-3}}"
resend=false
dry_run=false
while [ $# -gt 0 ]; do
    case "$1" in
        --stack) stack="${2:-}"; shift 2 || usage ;;
        --email) email="${2:-}"; shift 2 || usage ;;
        --username) username="${2:-}"; shift 2 || usage ;;
        --role) role="${2:-}"; shift 2 || usage ;;
        --region) region="${2:-}"; shift 2 || usage ;;
        --resend) resend=true; shift ;;
        --dry-run) dry_run=true; shift ;;
        -h | --help) usage ;;
        *) echo "create-admin: unknown argument $1" >&2; usage ;;
    esac
done
[ -n "$stack" ] && [ -n "$email" ] && [ -n "$region" ] || usage

if ! [[ "$email" =~ ^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$ ]]; then
    echo "create-admin: '$email' is not an e-mail address" >&2
    exit 2
fi
case "$role" in
    admin | operator | viewer) ;;
    opd)
        echo "create-admin: create OPD officers on the dashboard (Pengguna): it records their OPD" >&2
        exit 2
        ;;
    *) echo "create-admin: role must be admin, operator or viewer" >&2; exit 2 ;;
esac
if [ -z "$username" ]; then
    username="$(printf '%s' "${email%%@*}" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9._-' '-')"
    username="${username:0:64}"
fi
if ! [[ "$username" =~ ^[a-z0-9._-]{3,64}$ ]]; then
    echo "create-admin: username '$username' must be 3 to 64 characters of a-z 0-9 . _ - (use --username)" >&2
    exit 2
fi

run() { # the AWS CLI call, or its command line with --dry-run; its JSON answer is not shown
    if $dry_run; then
        printf 'aws'
        printf ' %q' "$@"
        printf '\n'
    else
        aws "$@" >/dev/null
    fi
}

pool="$(aws cloudformation describe-stacks --region "$region" --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='UserPoolId'].OutputValue | [0]" --output text)"
if [ -z "$pool" ] || [ "$pool" = "None" ]; then
    echo "create-admin: stack $stack (region $region) has no UserPoolId output" >&2
    exit 1
fi

if $resend; then
    run cognito-idp admin-create-user --region "$region" --user-pool-id "$pool" \
        --username "$username" --message-action RESEND --desired-delivery-mediums EMAIL
    echo "create-admin: a new temporary password was e-mailed to $email for '$username'"
    exit 0
fi

# email_verified: the address came from the admin running this, and Cognito mails only
# verified addresses (also for the admin-only account recovery).
run cognito-idp admin-create-user --region "$region" --user-pool-id "$pool" \
    --username "$username" \
    --user-attributes "Name=email,Value=$email" "Name=email_verified,Value=true" \
    --desired-delivery-mediums EMAIL
run cognito-idp admin-add-user-to-group --region "$region" --user-pool-id "$pool" \
    --username "$username" --group-name "$role"
echo "create-admin: '$username' ($role) created in $pool; Cognito e-mailed the temporary password to $email"
