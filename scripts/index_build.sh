#!/usr/bin/env bash
# What a tenant index costs an operator (issue #5): `scimctl index add` on a tenant of
# INDEX_USERS users (default 1,000,000), and what it changes for a filter on the attribute.
# See docs/PERFORMANCE.md ("Adding a tenant index").
#
#   scripts/index_build.sh [BUILD_DIR]   (needs scimctl and bench/seed_group_bench there)
#
# 1. fresh data dir, tenant via scimctl; INDEX_USERS Entra-like users written straight into
#    the store by seed_group_bench (bench/seed_util.h: name.formatted "Seed User u%07d",
#    enterprise department one of 8 values)
# 2. `scimctl explain` of `name.formatted eq "<one user>"`: a full scan before the index
# 3. `scimctl index add` of name.formatted (backfill: wall time, peak RSS, other CPU), then
#    the same explain (one row), then `index add` of the enterprise department
# 4. `scimctl index drop` of name.formatted (time), explain again (a full scan again)
# Each scimctl run is bounded by a timeout. Nothing listens on a port.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
BUILD_DIR="$(cd "${1:-${REPO_ROOT}/build}" 2>/dev/null && pwd)" || {
  echo "index_build: build directory '${1:-${REPO_ROOT}/build}' does not exist" >&2
  exit 2
}
readonly BUILD_DIR
readonly SCIMCTL="${BUILD_DIR}/tools/scimctl"
readonly SEEDER="${BUILD_DIR}/bench/seed_group_bench"
readonly USERS="${INDEX_USERS:-1000000}"
readonly TENANT=indexbuild
readonly DEPT="urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
readonly STEP_TIMEOUT_S=1800
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

log() { echo "index_build: $*"; }
die() { echo "index_build: error: $*" >&2; exit 1; }

[[ -x "${SCIMCTL}" && -x "${SEEDER}" ]] || die "build scimctl and seed_group_bench in ${BUILD_DIR} first"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is not installed (Debian package time; make deps)"
[[ "${USERS}" =~ ^[0-9]+$ && "${USERS}" -ge 10 ]] || die "INDEX_USERS must be >= 10"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-indexbuild.XXXXXX")"
trap 'rm -rf "${TMP}"' EXIT
trap 'exit 130' INT TERM

# step NAME CMD...: runs CMD with a timeout, prints its output, wall time, peak RSS and
# the CPU the rest of the machine used meanwhile.
step() {
  local name="$1"
  shift
  cpu_run "${TMP}/${name}.cpu" /usr/bin/time -f '%e %M' -o "${TMP}/${name}.rusage" \
    timeout "${STEP_TIMEOUT_S}" "$@" >"${TMP}/${name}.out" || {
    cat "${TMP}/${name}.out" >&2
    die "${name} failed"
  }
  local wall rss
  read -r wall rss <"${TMP}/${name}.rusage"
  sed 's/^/    /' "${TMP}/${name}.out"
  printf 'RESULT %s wall_s=%s max_rss_mib=%d self_cpu_pct=%s other_cpu_pct=%s\n' "${name}" \
    "${wall}" $((rss / 1024)) "$(cut -d' ' -f1 "${TMP}/${name}.cpu")" \
    "$(cut -d' ' -f2 "${TMP}/${name}.cpu")"
}

make_tenant "${SCIMCTL}" "${TMP}/data" "${TENANT}" || die "tenant set-up failed"
log "seeding ${USERS} users straight into the store (seed_group_bench)"
step seed "${SEEDER}" --data "${TMP}/data" --tenant "${TENANT}" --users "${USERS}"

printf -v PROBE 'Seed User u%07d' $((USERS / 2))
FILTER="name.formatted eq \"${PROBE}\""
log "before: ${FILTER}"
step explain_before "${SCIMCTL}" --data "${TMP}/data" explain "${TENANT}" Users "${FILTER}"
log "index add name.formatted"
step add_formatted "${SCIMCTL}" --data "${TMP}/data" index add "${TENANT}" Users name.formatted
step explain_after "${SCIMCTL}" --data "${TMP}/data" explain "${TENANT}" Users "${FILTER}"
log "index add the enterprise department"
step add_department "${SCIMCTL}" --data "${TMP}/data" index add "${TENANT}" Users "${DEPT}"
step explain_and "${SCIMCTL}" --data "${TMP}/data" explain "${TENANT}" Users \
  "${DEPT} eq \"Sales\" and ${FILTER}"
log "index drop name.formatted"
step drop_formatted "${SCIMCTL}" --data "${TMP}/data" index drop "${TENANT}" Users name.formatted
step explain_dropped "${SCIMCTL}" --data "${TMP}/data" explain "${TENANT}" Users "${FILTER}"
echo "index_build: $(date -u +%FT%TZ), ${USERS} users, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
