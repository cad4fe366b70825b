#!/usr/bin/env bash
# Uploads the dashboard to the stack's private bucket (served by CloudFront, see template.yaml)
# with a config.json for Cognito's hosted sign-in, then invalidates CloudFront's cache.
#   infra/dashboard/deploy.sh STACK_NAME [REGION]
# Needs the AWS CLI with credentials for the stack's account. Uploads only the site's files:
# never node_modules, the lock files or this script.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
stack="${1:?usage: deploy.sh STACK_NAME [REGION]}"
region="${2:-${AWS_REGION:-ap-southeast-3}}"

output() {
    aws cloudformation describe-stacks --region "$region" --stack-name "$stack" \
        --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

bucket="$(output DashboardBucketName)"
distribution="$(output DashboardDistributionId)"
api="$(output OperatorApiUrl)"
domain="$(output CognitoDomain)"
client="$(output UserPoolClientId)"

# The site calls "<api_base_url>/api/…": the base is the API's origin.
config="$(printf '{"mode":"cognito","api_base_url":"%s","cognito_domain":"%s","client_id":"%s"}' \
    "${api%/api}" "$domain" "$client")"

upload() { # file content-type
    aws s3 cp --region "$region" "$1" "s3://$bucket/$1" --content-type "$2" --cache-control no-cache
}
upload index.html "text/html; charset=utf-8"
upload app.css "text/css; charset=utf-8"
upload favicon.svg "image/svg+xml"
for file in js/*.js vendor/*.js; do
    upload "$file" "text/javascript; charset=utf-8"
done
printf '%s\n' "$config" | aws s3 cp --region "$region" - "s3://$bucket/config.json" \
    --content-type "application/json" --cache-control no-cache
aws cloudfront create-invalidation --distribution-id "$distribution" --paths "/*" >/dev/null
echo "deploy: dashboard at $(output DashboardUrl) (config: $config)"
