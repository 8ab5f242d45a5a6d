# Sourced by scripts: the environment every wrangler call runs with, and a `wrangler` function
# that runs the project's pinned wrangler (node_modules) rather than whatever npx would find.
# No telemetry, no network lookups for request.cf, debug logs kept in the git-ignored .state/logs.
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
export WRANGLER_LOG_PATH="${WRANGLER_LOG_PATH:-$PWD/.state/logs}"
mkdir -p "$WRANGLER_LOG_PATH"

wrangler() {
  node node_modules/wrangler/bin/wrangler.js "$@"
}
