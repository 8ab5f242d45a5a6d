# shellcheck shell=bash
# Sourced by scripts: exports the wrangler environment of scripts/lib/wrangler.env (the one place
# it is written down; a value already in the environment wins) and defines a `wrangler` function
# that runs the project's pinned wrangler (node_modules) rather than whatever npx would find.
_wrangler_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
while IFS='=' read -r _key _value; do
  case "$_key" in '' | '#'*) continue ;; esac
  if [ -z "${!_key:-}" ]; then
    case "$_value" in /*) ;; .*) _value="$_wrangler_root/$_value" ;; esac
    export "$_key=$_value"
  fi
done <"$_wrangler_root/scripts/lib/wrangler.env"
unset _key _value
mkdir -p "$WRANGLER_LOG_PATH"

wrangler() {
  node "$_wrangler_root/node_modules/wrangler/bin/wrangler.js" "$@"
}
