#!/usr/bin/env bash
# Fails a CI job early, naming the bootstrap's repository variables it needs but lacks,
# instead of letting a later step fail on an empty input.
#
# Usage: bootstrap/check-variables.sh <role variable> <stack suffix>
#   e.g. bootstrap/check-variables.sh AWS_DEPLOY_ROLE_ARN DEV
# Reads the values from the environment: ROLE, REGION, SECRETS_PROVIDER, PULUMI_BACKEND_URL
# and PULUMI_ACCESS_TOKEN (with a Pulumi Cloud token, backend and secrets provider are optional).
set -euo pipefail
role_var=$1 suffix=$2
missing=()
[[ -n "${ROLE:-}" ]] || missing+=("${role_var}_${suffix}")
[[ -n "${REGION:-}" ]] || missing+=("AWS_REGION_${suffix}")
if [[ -z "${PULUMI_ACCESS_TOKEN:-}" ]]; then
  [[ -n "${PULUMI_BACKEND_URL:-}" ]] || missing+=("PULUMI_BACKEND_URL_${suffix}")
  [[ -n "${SECRETS_PROVIDER:-}" ]] || missing+=("PULUMI_SECRETS_PROVIDER_${suffix}")
fi
if (( ${#missing[@]} > 0 )); then
  echo "::error::repository variables not set: ${missing[*]}. Run the bootstrap and copy its outputs (docs/ci.md, Set up CI)."
  exit 1
fi
echo "repository variables for ${suffix} are set"
