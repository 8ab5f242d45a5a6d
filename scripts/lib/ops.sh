# shellcheck shell=bash
# Helpers shared by scripts/deploy, scripts/rollback and scripts/kill-switch: printing the plan,
# running (or with --dry-run only printing) commands, and asking for confirmation.
#
# Overridable from the environment (the tests use this):
#   WRANGLER   how to run wrangler   (default: node node_modules/wrangler/bin/wrangler.js)
#   CONCIERGE  how to run concierge  (default: cargo run --quiet --bin concierge --)

: "${WRANGLER:=node node_modules/wrangler/bin/wrangler.js}"
: "${CONCIERGE:=cargo run --quiet --bin concierge --}"
read -r -a WRANGLER_CMD <<<"$WRANGLER"
read -r -a CONCIERGE_CMD <<<"$CONCIERGE"
# shellcheck source=scripts/lib/wrangler.sh
. "$(dirname "${BASH_SOURCE[0]}")/wrangler.sh"

DRY_RUN=0
YES=0
# `--env NAME`: extra wrangler arguments and the deploy tag prefix of that environment.
WRANGLER_ENV_ARGS=()
DEPLOY_ENV=""

set_wrangler_env() {
  [[ "$1" =~ ^[a-z][a-z0-9_-]*$ ]] || die "\`$1\` is not a wrangler environment name" 2
  WRANGLER_ENV_ARGS=(--env "$1")
  DEPLOY_ENV="$1"
  DEPLOY_TAG_PREFIX="deployed-$1/"
}

# The first value of FIELD in the entries of TYPE in a WRANGLER_OUTPUT_FILE_PATH file
# (newline-delimited JSON).
wrangler_output_field() {
  node -e '
    const [file, type, field] = process.argv.slice(1);
    for (const line of require("fs").readFileSync(file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      let entry; try { entry = JSON.parse(line); } catch { continue; }
      if (entry.type === type && entry[field] != null) { process.stdout.write(String(entry[field])); break; }
    }' "$1" "$2" "$3"
}

say() { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$1" >&2; exit "${2:-1}"; }

# Prints a command the way it would be typed: plain words bare, the rest single-quoted.
show() {
  local out="" arg
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_@%+=:,./-]+$ ]]; then
      out+="$arg "
    else
      out+="'${arg//\'/\'\\\'\'}' "
    fi
  done
  printf '%s\n' "${out% }"
}

# Runs a command that changes something; with --dry-run only prints it.
run() {
  if [ "$DRY_RUN" = 1 ]; then
    printf 'would run: '
    show "$@"
  else
    printf '+ '
    show "$@"
    "$@"
  fi
}

# Runs a read-only local command even in a dry run (concierge check/diff, git).
run_local() {
  printf '+ '
  show "$@"
  "$@"
}

wrangler() { "${WRANGLER_CMD[@]}" "$@"; }
concierge() { "${CONCIERGE_CMD[@]}" "$@"; }

# Asks before a change; --yes and --dry-run skip the question, no terminal means no.
confirm() {
  if [ "$DRY_RUN" = 1 ] || [ "$YES" = 1 ]; then
    return 0
  fi
  if [ ! -t 0 ]; then
    die "not asking without a terminal: pass --yes to go ahead" 2
  fi
  local answer
  read -r -p "$1 [y/N] " answer
  case "$answer" in
    y | Y | yes | YES) return 0 ;;
    *) die "stopped, nothing changed" ;;
  esac
}

# Deploy tags: `deployed/<UTC timestamp>` on the deployed commit, annotated with
# `worker-version: <id>` and `percentage: <n>`. The newest one says which rules run now.
DEPLOY_TAG_PREFIX="${DEPLOY_TAG_PREFIX:-deployed/}"

latest_deploy_tag() {
  git tag --list "${DEPLOY_TAG_PREFIX}*" --sort=-refname | head -n 1
}

# The `key: value` line of a deploy tag's annotation.
deploy_tag_field() {
  git tag --list "$1" --format='%(contents)' | sed -n "s/^$2: //p" | head -n 1
}

# The newest deploy tag whose annotation names Worker version $1.
deploy_tag_for_version() {
  local tag
  for tag in $(git tag --list "${DEPLOY_TAG_PREFIX}*" --sort=-refname); do
    if [ "$(deploy_tag_field "$tag" worker-version)" = "$1" ]; then
      printf '%s\n' "$tag"
      return 0
    fi
  done
  return 1
}

new_deploy_tag_name() {
  printf '%s%s\n' "$DEPLOY_TAG_PREFIX" "$(date -u +%Y%m%dT%H%M%SZ)"
}
