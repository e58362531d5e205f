#!/usr/bin/env bash
# HTTP throughput of the userName lookup Entra sends before every create,
# GET /scim/v2/Users?filter=userName eq "...", at FILTER_USERS users (issue #5), next to a
# same-run nginx reference serving the rendered filter response as a static file.
# See docs/PERFORMANCE.md ("Filter over HTTP at 1M users") for how to read the figures.
#
#   scripts/filter_load.sh [BUILD_DIR]       (default: <repo>/build; needs scimd, scimctl,
#                                             bench/seed_group_bench built there)
#
# 1. fresh data dir, tenant + token via scimctl; FILTER_USERS users written straight into
#    the stopped store by seed_group_bench (userNames u%07d@contoso.example, bench/seed_util.h)
# 2. scimd --threads 1 on an ephemeral 127.0.0.1 port, pinned to CPU 0 (wrk on CPU 1), as
#    scripts/patch_load.sh does; waits until the store's recovery flush/compactions are done
# 3. a few filters by hand (random, first, last, upper case, absent): 200, totalResults 1
#    (0 for the absent name) and the right user
# 4. wrk -t1 -cC -dD each: (a) nginx GET of one rendered filter response (reference, same
#    request lines), (b) scimd GET /Users?filter=userName eq "<random existing userName>",
#    every 4th in upper case (bench/wrk/filter.lua)
# Prints requests/s, p50/p99, non-2xx, and server/wrk/other CPU per run.
#
# Environment: FILTER_USERS [1000000]  LOAD_DURATION [10s]  LOAD_CONNECTIONS [32]
#              LOAD_PIN [1]  LOAD_ROUNDS [1]: repeat the runs (30 s apart) until one round
#              has at most LOAD_MAX_OTHER [30] % of a core of other CPU in every run
# The bearer token never appears in output or on a command line. Servers on 127.0.0.1.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
BUILD_DIR="$(cd "${1:-${REPO_ROOT}/build}" 2>/dev/null && pwd)" || {
  echo "filter_load: build directory '${1:-${REPO_ROOT}/build}' does not exist" >&2
  exit 2
}
readonly BUILD_DIR
readonly SCIMD="${BUILD_DIR}/tools/scimd"
readonly SCIMCTL="${BUILD_DIR}/tools/scimctl"
readonly SEEDER="${BUILD_DIR}/bench/seed_group_bench"
readonly LUA="${REPO_ROOT}/bench/wrk/filter.lua"
readonly USERS="${FILTER_USERS:-1000000}"
readonly DURATION="${LOAD_DURATION:-10s}"
readonly CONNECTIONS="${LOAD_CONNECTIONS:-32}"
readonly ROUNDS="${LOAD_ROUNDS:-1}"
readonly MAX_OTHER="${LOAD_MAX_OTHER:-30}"
readonly ROUND_PAUSE_S=30
readonly TENANT=filterload
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

log() { echo "filter_load: $*"; }
die() { echo "filter_load: error: $*" >&2; exit 1; }

for tool in wrk curl nginx node; do
  command -v "${tool}" >/dev/null || die "${tool} is not installed (make deps)"
done
[[ -x "${SCIMD}" && -x "${SCIMCTL}" && -x "${SEEDER}" ]] ||
  die "build scimd, scimctl and seed_group_bench in ${BUILD_DIR} first"
[[ "${USERS}" =~ ^[0-9]+$ && "${USERS}" -gt 0 && "${USERS}" -le 10000000 ]] ||
  die "FILTER_USERS must be an integer in [1, 10000000]"

pin_setup "${LOAD_PIN:-1}"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-filterload.XXXXXX")"
SCIMD_PID=""
NGINX_PID=""
cleanup() {
  stop_pid "${NGINX_PID}"
  stop_pid "${SCIMD_PID}"
  rm -rf "${TMP}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- data ---------------------------------------------------------------------------------------
seed_and_start_scimd "${USERS}"

# --- checks by hand -----------------------------------------------------------------------------
# filter_check NAME WANT_TOTAL WANT_USERNAME: one filter request; 200, totalResults and the
# matched user's (stored, lower-case) userName must be as wanted. Leaves ${TMP}/one.json.
filter_check() {
  local code
  code="$(curl -sS --max-time 10 -o "${TMP}/one.json" -w '%{http_code}' \
    -H @"${TMP}/auth.header" \
    "${SCIMD_URL}/scim/v2/Users?filter=userName%20eq%20%22$1%22")"
  [[ "${code}" == 200 ]] || { cat "${TMP}/one.json" >&2; die "filter for $1 gave ${code}"; }
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const want = Number(process.argv[2]);
    if (r.totalResults !== want || (r.Resources || []).length !== want ||
        (want === 1 && r.Resources[0].userName !== process.argv[3])) process.exit(1);' \
    "${TMP}/one.json" "$2" "$3" || { cat "${TMP}/one.json" >&2; die "filter for $1: wrong result"; }
}
CHECKED=0
for i in 0 $((USERS - 1)) $((RANDOM * 32768 % USERS)) $(((RANDOM * 32768 + RANDOM) % USERS)) \
  $(((RANDOM * 32768 + RANDOM) % USERS)); do
  name="$(printf 'u%07d@contoso.example' "${i}")"
  filter_check "${name}" 1 "${name}"
  filter_check "${name^^}" 1 "${name}"
  CHECKED=$((CHECKED + 2))
done
filter_check "$(printf 'u%07d@contoso.example' "${USERS}")" 0 ""
CHECKED=$((CHECKED + 1))
log "${CHECKED} filters checked by hand (lower/upper case, first/last/random, one absent)"

# The nginx reference serves one rendered filter response (scimd's, for a random user).
filter_check "$(printf 'u%07d@contoso.example' $((USERS / 2)))" 1 \
  "$(printf 'u%07d@contoso.example' $((USERS / 2)))"
cp "${TMP}/one.json" "${TMP}/list.json"
LIST_BYTES="$(wc -c <"${TMP}/list.json")"
start_nginx_retry "${TMP}/list.json" /scim/v2/Users || die "nginx did not start"

# --- runs ---------------------------------------------------------------------------------------
WRK_DESC="wrk -t1 -c${CONNECTIONS} -d${DURATION}"
log "measuring: ${WRK_DESC} per run${SERVER_CPU:+ (servers on CPU 0, wrk on CPU 1)}"
for round in $(seq "${ROUNDS}"); do
  LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
  wrk_measure nginx "${NGINX_PID}" "${LUA}" "http://127.0.0.1:${NGINX_PORT}" "${CONNECTIONS}" \
    "${DURATION}" -- filter "${USERS}" || die "wrk (nginx) failed"
  wrk_measure filter "${SCIMD_PID}" "${LUA}" "${SCIMD_URL}" "${CONNECTIONS}" "${DURATION}" \
    -- filter "${USERS}" || die "wrk (filter) failed"
  worst=0
  for f in nginx filter; do
    other="$(cpu_field "${f}" 3)"
    ((other > worst)) && worst="${other}"
  done
  log "round ${round}: filter $(result_field "${TMP}/filter.out" rps) req/s," \
    "nginx $(result_field "${TMP}/nginx.out" rps); most CPU elsewhere in a run ${worst}%"
  ((worst <= MAX_OTHER)) && break
  ((round < ROUNDS)) && { log "disturbed; pausing ${ROUND_PAUSE_S} s"; sleep "${ROUND_PAUSE_S}"; }
done
stop_pid "${NGINX_PID}"
NGINX_PID=""
RSS_MIB=$(($(proc_mem_kib "${SCIMD_PID}" VmHWM) / 1024))
# Still answering correctly after the load?
filter_check "$(printf 'U%07d@CONTOSO.EXAMPLE' 7)" 1 "$(printf 'u%07d@contoso.example' 7)"

# --- report -------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
row() {  # row LABEL NAME
  local f="${TMP}/$2.out"
  printf '%-44s %8s %7s %7s %6s %7s %5s %5s %5s\n' "$1" "$(result_field "${f}" rps)" \
    "$(result_field "${f}" p50_ms)" "$(result_field "${f}" p99_ms)" \
    "$(result_field "${f}" non2xx)" "$(result_field "${f}" socket_errors)" \
    "$(cpu_field "$2" 1)" "$(cpu_field "$2" 2)" "$(cpu_field "$2" 3)"
}
echo
echo "== scimd filter load test ($(date -u +%Y-%m-%dT%H:%M:%SZ)) =="
echo "round ${round} of at most ${ROUNDS}"
echo "set-up: ${WRK_DESC}, keep-alive, loopback; scimd --threads 1, nginx worker_processes 1" \
  "${SERVER_CPU:+; servers pinned to CPU 0, wrk to CPU 1}"
echo "data: ${USERS} users seeded into the store (${SEED_LINE#SEED }); filter response" \
  "${LIST_BYTES} B; every 4th filter value in upper case; scimd VmHWM ${RSS_MIB} MiB"
echo "load average: ${LOAD_BEFORE} before the runs, $(cut -d' ' -f1-3 /proc/loadavg) after"
printf '%-44s %8s %7s %7s %6s %7s %5s %5s %5s\n' "run" "req/s" "p50 ms" "p99 ms" "non2xx" \
  "sockerr" "srv%" "wrk%" "oth%"
row 'scimd GET /Users?filter=userName eq "..."' filter
row "nginx GET static filter response (ref.)" nginx
f="${TMP}/filter.out"
echo "ratio scimd filter/nginx GET: req/s $(ratio "$(result_field "${f}" rps)" \
  "$(result_field "${TMP}/nginx.out" rps)")," \
  "p50 $(ratio "$(result_field "${f}" p50_ms)" "$(result_field "${TMP}/nginx.out" p50_ms)")x," \
  "p99 $(ratio "$(result_field "${f}" p99_ms)" "$(result_field "${TMP}/nginx.out" p99_ms)")x"
for f in filter nginx; do
  errs="$(result_field "${TMP}/${f}.out" non2xx)"
  [[ "${errs}" == 0 ]] || log "warning: ${f} run had ${errs} non-2xx responses"
  other="$(cpu_field "${f}" 3)"
  ((other <= MAX_OTHER)) || log "warning: ${other}% CPU went elsewhere during the ${f} run:" \
    "other work on the machine disturbed it; re-run"
done
