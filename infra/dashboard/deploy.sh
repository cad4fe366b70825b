#!/usr/bin/env bash
# Publishes the operator dashboard of a deployed stack: writes config.json from the stack's
# outputs, uploads the site's files to the stack's private bucket (served by CloudFront, see
# template.yaml) with their content types and cache headers, and invalidates CloudFront.
#
#   infra/dashboard/deploy.sh --stack NAME [--region REGION] [--dry-run]
#
# Needs the AWS CLI v2 with credentials for the stack's account (s3:PutObject on the dashboard
# bucket, cloudfront:CreateInvalidation, cloudformation:DescribeStacks). There is no build
# step: the files are uploaded as they are in the repository. The file list and the content
# types are the ones `prolink serve` embeds (shared/embedded/src/dashboard.rs), so both
# serve the same site; node_modules, lock files and this script are never uploaded.
# --dry-run prints config.json and what would be uploaded, and changes nothing.
set -euo pipefail

usage() {
    echo "usage: $0 --stack NAME [--region REGION] [--dry-run]" >&2
    exit 2
}

stack=""
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-ap-southeast-3}}"
dry_run=false
# Compatibility with the first version of this script: deploy.sh STACK [REGION].
if [ $# -ge 1 ] && [ "${1#-}" = "$1" ]; then
    stack="$1"
    shift
    if [ $# -ge 1 ] && [ "${1#-}" = "$1" ]; then
        region="$1"
        shift
    fi
fi
while [ $# -gt 0 ]; do
    case "$1" in
        --stack) stack="${2:-}"; shift 2 || usage ;;
        --region) region="${2:-}"; shift 2 || usage ;;
        --dry-run) dry_run=true; shift ;;
        -h | --help) usage ;;
        *) echo "deploy: unknown argument $1" >&2; usage ;;
    esac
done
[ -n "$stack" ] && [ -n "$region" ] || usage

site="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
embedded="$site/../../shared/embedded/src/dashboard.rs"

# Outputs as "key<TAB>value" lines (no jq needed).
outputs="$(aws cloudformation describe-stacks --region "$region" --stack-name "$stack" \
    --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output text)"
parameters="$(aws cloudformation describe-stacks --region "$region" --stack-name "$stack" \
    --query 'Stacks[0].Parameters[].[ParameterKey,ParameterValue]' --output text)"

field() { # lines key
    local value
    value="$(printf '%s\n' "$1" | awk -F '\t' -v key="$2" '$1 == key { print $2; exit }')"
    printf '%s' "$value"
}
output() {
    local value
    value="$(field "$outputs" "$1")"
    if [ -z "$value" ] || [ "$value" = "None" ]; then
        echo "deploy: stack $stack has no output $1 (deployed from an older template.yaml? run sam deploy first)" >&2
        exit 1
    fi
    printf '%s' "$value"
}

bucket="$(output DashboardBucketName)"
distribution="$(output DashboardDistributionId)"
api="$(output ApiUrl)"
domain="$(output CognitoDomain)"
client="$(output UserPoolClientId)"
dashboard_url="$(output DashboardUrl)"

# JSON string escaping for the few characters a URL or an id could carry.
json_string() {
    local text="$1"
    text="${text//\\/\\\\}"
    text="${text//\"/\\\"}"
    printf '"%s"' "$text"
}
config="{\"mode\":\"cognito\",\"api_base_url\":$(json_string "${api%/}"),\"cognito_domain\":$(json_string "$domain"),\"client_id\":$(json_string "$client")}"

# Sign-in only works when Cognito's callback URL and the API's CORS origin are this site.
origin="$(field "$parameters" DashboardOrigin)"
if [ "${dashboard_url%/}" != "$origin" ]; then
    echo "deploy: warning: the stack's DashboardOrigin is '$origin' but the dashboard is at" >&2
    echo "        ${dashboard_url%/}: unless that is your custom domain, deploy again with" >&2
    echo "        --parameter-overrides DashboardOrigin=${dashboard_url%/} (sign-in fails until then)" >&2
fi

# "path" => "content type" pairs of the site, as prolink serve embeds them.
files="$(sed -n 's/^[[:space:]]*"\([^"]*\)" => "\([^"]*\)",[[:space:]]*$/\1\t\2/p' "$embedded")"
if [ -z "$files" ]; then
    echo "deploy: no site files found in $embedded" >&2
    exit 1
fi

# No file name carries a version, so browsers must revalidate every file (ETag, a cheap 304)
# or a deploy would mix a new index.html with yesterday's scripts; CloudFront keeps its copy
# until the invalidation below.
cache_control() {
    case "$1" in
        favicon.svg) echo "public, max-age=86400" ;;
        *) echo "no-cache" ;;
    esac
}

put() { # source key content-type
    local cache
    cache="$(cache_control "$2")"
    if $dry_run; then
        printf 'upload %s -> s3://%s/%s (%s; %s)\n' "$1" "$bucket" "$2" "$3" "$cache"
        return
    fi
    aws s3 cp "$1" "s3://$bucket/$2" --region "$region" --only-show-errors \
        --content-type "$3" --cache-control "$cache"
}

# Scripts and styles first, config.json next, index.html last: a visitor never gets a page
# that names a file not uploaded yet.
while IFS=$'\t' read -r path mime; do
    [ "$path" = index.html ] && continue
    [ -f "$site/$path" ] || { echo "deploy: $path is missing (infra/dashboard/vendor.sh?)" >&2; exit 1; }
    put "$site/$path" "$path" "$mime"
done <<<"$files"

config_file="$(mktemp)"
trap 'rm -f "$config_file"' EXIT
printf '%s\n' "$config" >"$config_file"
if $dry_run; then
    echo "config.json: $config"
fi
put "$config_file" config.json "application/json; charset=utf-8"
put "$site/index.html" index.html "$(field "$files" index.html)"

if $dry_run; then
    echo "invalidate CloudFront $distribution: /*"
    exit 0
fi
invalidation="$(aws cloudfront create-invalidation --distribution-id "$distribution" \
    --paths "/*" --query Invalidation.Id --output text)"
echo "deploy: dashboard at $dashboard_url (invalidation $invalidation; config.json: $config)"
