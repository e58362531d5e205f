#!/usr/bin/env bash
# What an unfiltered list page by startIndex costs at USERS users (issue #18, page cursors:
# core/usecase/page_cursors.h). See docs/PERFORMANCE.md, "startIndex paging".
#
#   scripts/paging_bench.sh [USERS] [BIN_DIR] [BENCH_DIR]
#       (defaults: 1000000, <repo>/build/tools, <repo>/build/bench)
#
# 1. USERS users of ~1 KB (import_raw_bench generate) imported with `scimctl import` into a
#    fresh data dir, a token issued, scimd started on an ephemeral 127.0.0.1 port
# 2. probes, in this order, each timed by curl: GET /Users?startIndex=K&count=COUNT for
#    K = 1, USERS/10 + 1, 9 USERS/10 + 1: the first request at K (cold: no cursor at or
#    near K yet), the same request again (warm), then the page after it (sequential)
# 3. a sequential walk of PAGING_WALK_PAGES pages of COUNT (default: all of them) over one
#    keep-alive connection, one request at a time: wall time, slowest page, and whether
#    the pages held every user exactly once (all pages walked) or no id twice (fewer)
# Then stops scimd and removes the data dir. Bounded: every curl has --max-time.
#
# Environment: PAGING_COUNT [100]  PAGING_WALK_PAGES [USERS / COUNT, rounded up]
#   PAGING_USERS_FILE: users generated earlier (import_raw_bench generate USERS FILE), kept
# The token goes to curl through a header file: never printed or put on a command line.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
readonly USERS="${1:-1000000}"
readonly BIN_DIR="${2:-${REPO_ROOT}/build/tools}"
readonly BENCH_DIR="${3:-${REPO_ROOT}/build/bench}"
readonly SCIMD="${BIN_DIR}/scimd"
readonly SCIMCTL="${BIN_DIR}/scimctl"
readonly GENERATOR="${BENCH_DIR}/import_raw_bench"
readonly COUNT="${PAGING_COUNT:-100}"
readonly WALK_PAGES="${PAGING_WALK_PAGES:-$(((USERS + COUNT - 1) / COUNT))}"
readonly TENANT=paging

# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

log() { echo "paging_bench: $*"; }
die() { echo "paging_bench: error: $*" >&2; exit 1; }

[[ -x "${SCIMD}" && -x "${SCIMCTL}" && -x "${GENERATOR}" ]] ||
  die "build scimd, scimctl and import_raw_bench first (make build)"
[[ "${USERS}" =~ ^[0-9]+$ && "${USERS}" -gt 0 ]] || die "USERS must be a positive integer"

# shellcheck disable=SC2034  # read by start_scimd (lib.sh): no pinning
SERVER_CPU=()
TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-paging.XXXXXX")"
SCIMD_PID=""
cleanup() {
  stop_pid "${SCIMD_PID}"
  rm -rf "${TMP}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

USERS_FILE="${PAGING_USERS_FILE:-}"  # an earlier `import_raw_bench generate USERS FILE`
if [[ -z "${USERS_FILE}" ]]; then
  log "generating ${USERS} users"
  USERS_FILE="${TMP}/users.ndjson"
  "${GENERATOR}" generate "${USERS}" "${USERS_FILE}" >/dev/null
fi
make_tenant "${SCIMCTL}" "${TMP}/data" "${TENANT}" || die "tenant/token set-up failed"
start=$(date +%s.%N)
"${SCIMCTL}" --data "${TMP}/data" import "${TENANT}" "${USERS_FILE}" >"${TMP}/import.log" 2>&1 ||
  { cat "${TMP}/import.log" >&2; die "import failed"; }
log "imported in $(echo "$(date +%s.%N) - ${start}" | bc) s"
rm -f "${TMP}/users.ndjson"  # only when generated here
start_scimd "${TMP}/data" 0 "${TMP}/scimd.log" || die "scimd did not start"
readonly BASE="${SCIMD_URL}/scim/v2"

page_ms() {  # page_ms START: one page, its time in ms (the body is checked for its size)
  curl -sS --max-time 600 -H @"${TMP}/auth.header" -o "${TMP}/page.json" \
    -w '%{http_code} %{time_total}\n' "${BASE}/Users?startIndex=$1&count=${COUNT}" |
    awk '$1 != 200 { print "HTTP " $1; exit 1 } { printf "%.2f", $2 * 1000 }'
}

log "scimd on ${SCIMD_URL#http://}; ${USERS} users; count=${COUNT}; $(nproc) CPUs"
printf '%-12s %10s %10s %12s\n' startIndex "cold ms" "warm ms" "next ms"
for k in 1 $((USERS / 10 + 1)) $((USERS / 10 * 9 + 1)); do
  cold="$(page_ms "${k}")"
  warm="$(page_ms "${k}")"
  next="$(page_ms $((k + COUNT)))"
  printf '%-12s %10s %10s %12s\n' "${k}" "${cold}" "${warm}" "${next}"
done

# The walk: one curl, one connection, the pages in order; bodies to a file for the id check.
: >"${TMP}/walk.cfg"
for ((p = 0; p < WALK_PAGES; ++p)); do
  echo "url = \"${BASE}/Users?startIndex=$((p * COUNT + 1))&count=${COUNT}\"" >>"${TMP}/walk.cfg"
done
log "walking ${WALK_PAGES} pages of ${COUNT}"
start=$(date +%s.%N)
curl -sS --max-time 7200 -H @"${TMP}/auth.header" -K "${TMP}/walk.cfg" \
  -w '%{stderr}%{http_code} %{time_total}\n' >"${TMP}/walk.out" 2>"${TMP}/walk.times"
wall="$(echo "$(date +%s.%N) - ${start}" | bc)"
awk -v wall="${wall}" -v pages="${WALK_PAGES}" '
  $1 != 200 { bad++ } { t = $2 * 1000; sum += t; if (t > max) max = t; n++ }
  END { printf "walk: %d pages in %.1f s wall (%.2f ms a page on average, slowest %.2f ms), " \
        "%d not 200\n", n, wall, sum / n, max, bad }' "${TMP}/walk.times"
ids="$(grep -o '"id":"[0-9a-f-]\{36\}"' "${TMP}/walk.out" | sort | uniq | wc -l)"
all="$(grep -o '"id":"[0-9a-f-]\{36\}"' "${TMP}/walk.out" | wc -l)"
if ((WALK_PAGES * COUNT >= USERS)); then
  [[ "${ids}" == "${USERS}" && "${all}" == "${USERS}" ]] ||
    die "the walk returned ${all} ids, ${ids} distinct, for ${USERS} users"
  log "the walk returned every user exactly once (${ids} ids)"
else
  [[ "${ids}" == "${all}" ]] || die "the walk returned ${all} ids, only ${ids} distinct"
  log "the walk returned ${ids} distinct ids"
fi
