#!/usr/bin/env bash
# The write path at WRITE_USERS users (issue #19): scimd's POST /Users and PATCH (Entra's
# updates) next to RocksDB's own single-Put rate with as many writer threads, in one run.
# See docs/PERFORMANCE.md ("The write path (issue #19)") for how to read the figures.
#
#   scripts/write_load.sh [BUILD_DIR]     (default: <repo>/build; needs scimd, scimctl,
#                                          bench/seed_group_bench, bench/raw_put_bench,
#                                          bench/core_create_bench)
#
# 1. A fresh data dir, tenant and token; WRITE_USERS users written straight into the stopped
#    store by seed_group_bench (transactions, not HTTP: the store is left with the
#    compaction work a large load leaves).
# 2. scimd with WRITE_THREADS reactor threads (its default, 2) on an ephemeral 127.0.0.1 port,
#    not pinned: server, RocksDB's background threads and wrk share the machine's cores.
# 3. "post-after-load": POST /Users started as soon as scimd answers, while the store is
#    still compacting what the load left (the latency a client sees right after a load).
# 4. Once the store has settled (scimd idle, and no compaction running or pending by its
#    admin API's GET /admin/v1/store), wrk -tT -cC -dD each: GET /Users/{random id}, POST /Users (a new
#    ~1 KB user each, bench/wrk/scim.lua), PATCH /Users/{random id} (Entra's disable,
#    department and work-email forms in turn, bench/wrk/patch.lua).
#    Between GET and POST, the compound filter of the issue (`name.familyName sw "Sm" and
#    active eq true and emails[type eq "work" and value co "example"]`, count=100; ~0.9% of
#    the seeded users have an "Sm" surname, bench/seed_util.h) and the same with sw "S"
#    (~10%): its plan, totalResults and rows examined once by curl, then wrk -t1 -c1 -dD
#    (one client: the query's own latency) and -t2 -c2 (both reactors busy).
# 5. scimd stopped; "core": core_create_bench on the same data dir, T threads, D seconds of
#    creates without HTTP (parse, check, Service::Create, render: the most a POST could
#    reach with the store and the core as they are); raw_put_bench: a new RocksDB with the
#    store's options, T threads, D seconds of single Puts of ~1 KB users (WAL on, no fsync,
#    as scimd without --sync).
# Prints req/s, p50/p99, non-2xx, socket errors and CPU (server, wrk, rest) per run, the
# raw rate, and POST/raw, PATCH/raw and core/raw.
#
# Environment: WRITE_USERS [1000000]  WRITE_THREADS [2]  LOAD_DURATION [10s]
#              LOAD_CONNECTIONS [32]  LOAD_WRK_THREADS [2]
#              WRITE_RUNS ["post-after-load get compound post patch core raw"]: the runs to do
#              WRITE_TENANT_SET="k=v ...": tenant settings for the run (e.g. activity=off)
#              WRITE_PERF=DIR: `perf record --call-graph dwarf` of scimd during the POST and PATCH runs into
#              DIR/post.data and DIR/patch.data (a profile; the figures of those runs are
#              then lower than without it)
# The bearer token never appears in output or on a command line. Servers on 127.0.0.1.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
BUILD_DIR="$(cd "${1:-${REPO_ROOT}/build}" 2>/dev/null && pwd)" || {
  echo "write_load: build directory '${1:-${REPO_ROOT}/build}' does not exist" >&2
  exit 2
}
readonly BUILD_DIR
readonly SCIMD="${BUILD_DIR}/tools/scimd"
readonly SCIMCTL="${BUILD_DIR}/tools/scimctl"
readonly SEEDER="${BUILD_DIR}/bench/seed_group_bench"
readonly RAW="${BUILD_DIR}/bench/raw_put_bench"
readonly CORE="${BUILD_DIR}/bench/core_create_bench"
readonly POST_LUA="${REPO_ROOT}/bench/wrk/scim.lua"
readonly PATCH_LUA="${REPO_ROOT}/bench/wrk/patch.lua"
readonly USERS="${WRITE_USERS:-1000000}"
readonly THREADS="${WRITE_THREADS:-2}"
readonly DURATION="${LOAD_DURATION:-10s}"
readonly CONNECTIONS="${LOAD_CONNECTIONS:-32}"
readonly PERF_DIR="${WRITE_PERF:-}"
readonly RUNS=" ${WRITE_RUNS:-post-after-load get compound post patch core raw} "
export WRK_THREADS="${LOAD_WRK_THREADS:-2}"
readonly TENANT=writeload
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

log() { echo "write_load: $*"; }
die() { echo "write_load: error: $*" >&2; exit 1; }

for tool in wrk curl node; do
  command -v "${tool}" >/dev/null || die "${tool} is not installed (make deps)"
done
[[ -n "${PERF_DIR}" ]] && { command -v perf >/dev/null || die "perf is not installed"; }
for bin in "${SCIMD}" "${SCIMCTL}" "${SEEDER}" "${RAW}" "${CORE}"; do
  [[ -x "${bin}" ]] || die "build ${bin#"${BUILD_DIR}/"} in ${BUILD_DIR} first"
done
[[ "${USERS}" =~ ^[0-9]+$ && "${USERS}" -gt 0 ]] || die "WRITE_USERS must be a positive integer"
[[ "${DURATION}" =~ ^[0-9]+s$ ]] || die "LOAD_DURATION must be seconds, e.g. 10s"

pin_setup 0  # not pinned: the issue's set-up shares the cores
TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-writeload.XXXXXX")"
SCIMD_PID=""
PERF_PID=""
cleanup() {
  [[ -n "${PERF_PID}" ]] && kill -INT "${PERF_PID}" 2>/dev/null && wait "${PERF_PID}" 2>/dev/null
  stop_pid "${SCIMD_PID}"
  rm -rf "${TMP}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- data ---------------------------------------------------------------------------------------
make_tenant "${SCIMCTL}" "${TMP}/data" "${TENANT}" || die "tenant/token set-up failed"
if [[ -n "${WRITE_TENANT_SET:-}" ]]; then
  # shellcheck disable=SC2086  # settings, space-separated
  "${SCIMCTL}" --data "${TMP}/data" tenant set "${TENANT}" ${WRITE_TENANT_SET} >/dev/null ||
    die "tenant set ${WRITE_TENANT_SET} failed"
fi
log "seeding ${USERS} users straight into the store (seed_group_bench)"
"${SEEDER}" --data "${TMP}/data" --tenant "${TENANT}" --users "${USERS}" \
  --ids "${TMP}/ids.txt" >"${TMP}/seed.out" 2>&1 || { cat "${TMP}/seed.out" >&2; die "seeding failed"; }
SEED_LINE="$(grep '^SEED' "${TMP}/seed.out" || true)"

# The admin listener (loopback, a random token of this run) tells when the store has
# settled: no compaction running or pending (GET /admin/v1/store).
admin_setup
SCIMD_EXTRA_ARGS=(--admin-listen 127.0.0.1:0 --admin-port-file "${TMP}/admin.port")
start_scimd "${TMP}/data" "${THREADS}" "${TMP}/scimd.log" || die "scimd did not start"
log "scimd --threads ${THREADS} on ${SCIMD_URL#http://}"
backlog() { store_backlog "${TMP}/admin.port"; }
# The engine's write stalls so far, in seconds (scimd_store_stall_seconds_total).
stall_s() {
  curl -sS --max-time 10 -H @"${TMP}/admin.header" \
    "http://127.0.0.1:$(tr -d '[:space:]' <"${TMP}/admin.port")/metrics" |
    awk '$1 == "scimd_store_stall_seconds_total" { print $2 }'
}
# measure NAME ARGS...: wrk_measure NAME ARGS..., and the seconds writes stalled meanwhile
# into ${TMP}/NAME.stall.
measure() {
  local s0
  s0="$(stall_s)"
  wrk_measure "$@" || return 1
  awk -v a="${s0:-0}" -v b="$(stall_s)" 'BEGIN { printf "%.2f\n", b - a }' >"${TMP}/$1.stall"
}
settle() { settle_store "${SCIMD_PID}" "${TMP}/admin.port" 300; }

# perf_start NAME / perf_stop: a profile of scimd for one run (WRITE_PERF only).
perf_start() {
  [[ -z "${PERF_DIR}" ]] && return 0
  mkdir -p "${PERF_DIR}"
  perf record -q -F 199 --call-graph dwarf,16384 -p "${SCIMD_PID}" -o "${PERF_DIR}/$1.data" >/dev/null 2>&1 &
  PERF_PID=$!
  sleep 0.5
}
perf_stop() {
  [[ -z "${PERF_PID}" ]] && return 0
  kill -INT "${PERF_PID}" 2>/dev/null || true
  wait "${PERF_PID}" 2>/dev/null || true
  PERF_PID=""
}

# --- runs ---------------------------------------------------------------------------------------
want() { [[ "${RUNS}" == *" $1 "* ]]; }
DONE=()
WRK_DESC="wrk -t${WRK_THREADS} -c${CONNECTIONS} -d${DURATION}"
if want post-after-load; then
  log "post-after-load: ${WRK_DESC} as soon as scimd answers" \
    "(pending compaction bytes, running compactions, level-0 files: $(backlog))"
  measure post-after-load "${SCIMD_PID}" "${POST_LUA}" "${SCIMD_URL}" "${CONNECTIONS}" \
    "${DURATION}" -- post after || die "wrk (post-after-load) failed"
  DONE+=(post-after-load)
fi
log "waiting for the store to settle (no compaction running or pending)"
settle || log "warning: the store has not settled after 300 s: $(backlog)"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
if want get; then
  measure get "${SCIMD_PID}" "${POST_LUA}" "${SCIMD_URL}" "${CONNECTIONS}" "${DURATION}" \
    -- get "${TMP}/ids.txt" || die "wrk (get) failed"
  DONE+=(get)
fi
# compound_run NAME FILTER: the plan once (X-Scimd-Explain), then one and two clients.
compound_run() {
  local name="$1" path
  path="/scim/v2/Users?count=100&filter=$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$2")"
  curl -sS --max-time 120 -D "${TMP}/${name}.head" -o "${TMP}/${name}.json" \
    -w '%{http_code} %{time_total}\n' -H @"${TMP}/auth.header" -H 'X-Scimd-Explain: 1' \
    "${SCIMD_URL}${path}" >"${TMP}/${name}.curl" || die "${name}: curl failed"
  read -r code secs <"${TMP}/${name}.curl"
  [[ "${code}" == 200 ]] || die "${name}: status ${code}: $(head -c 300 "${TMP}/${name}.json")"
  log "${name}: $2"
  log "  totalResults $(node -e 'const r = require(process.argv[1]);
    console.log(r.totalResults + ", " + r.Resources.length + " on the page")' "${TMP}/${name}.json")," \
    "rows examined $(sed -n 's/^x-scimd-rows-examined: *//Ip' "${TMP}/${name}.head" | tr -d '\r'), ${secs} s"
  log "  plan: $(sed -n 's/^x-scimd-plan: *//Ip' "${TMP}/${name}.head" | tr -d '\r')"
  WRK_THREADS=1 wrk_measure "${name}-c1" "${SCIMD_PID}" "${PATCH_LUA}" "${SCIMD_URL}" 1 \
    "${DURATION}" -- fixed "${path}" || die "wrk (${name}-c1) failed"
  WRK_THREADS=2 wrk_measure "${name}-c2" "${SCIMD_PID}" "${PATCH_LUA}" "${SCIMD_URL}" 2 \
    "${DURATION}" -- fixed "${path}" || die "wrk (${name}-c2) failed"
  DONE+=("${name}-c1" "${name}-c2")
}
if want compound; then
  compound_run compound 'name.familyName sw "Sm" and active eq true and emails[type eq "work" and value co "example"]'
  compound_run compound-S 'name.familyName sw "S" and active eq true and emails[type eq "work" and value co "example"]'
fi
if want post; then
  perf_start post
  measure post "${SCIMD_PID}" "${POST_LUA}" "${SCIMD_URL}" "${CONNECTIONS}" "${DURATION}" \
    -- post steady || die "wrk (post) failed"
  perf_stop
  DONE+=(post)
fi
if want patch; then
  settle || log "warning: the store has not settled after 300 s: $(backlog)"
  perf_start patch
  measure patch "${SCIMD_PID}" "${PATCH_LUA}" "${SCIMD_URL}" "${CONNECTIONS}" "${DURATION}" \
    -- patch "${TMP}/ids.txt" || die "wrk (patch) failed"
  perf_stop
  DONE+=(patch)
fi
RSS_MIB=$(($(proc_mem_kib "${SCIMD_PID}" VmHWM) / 1024))
HAVE="$(curl -sS --max-time 60 -H @"${TMP}/auth.header" "${SCIMD_URL}/scim/v2/Users?count=0" |
  node -e 'let s = ""; process.stdin.on("data", d => s += d)
    .on("end", () => console.log(JSON.parse(s).totalResults))')"
stop_pid "${SCIMD_PID}"
SCIMD_PID=""

CORE_RPS=""
if want core; then
  log "core_create_bench: ${THREADS} threads, ${DURATION}"
  "${CORE}" --data "${TMP}/data" --tenant "${TENANT}" --threads "${THREADS}" \
    --seconds "${DURATION%s}" >"${TMP}/core.out" || { cat "${TMP}/core.out" >&2; die "core_create_bench failed"; }
  CORE_RPS="$(sed -n 's/^RESULT core_create.* creates_per_s=\([0-9]*\).*/\1/p' "${TMP}/core.out")"
fi

RAW_RPS=""
if want raw; then
  log "raw_put_bench: ${THREADS} threads, ${DURATION}"
  cpu_run "${TMP}/raw.cpu" "${RAW}" "${TMP}/data" "${TMP}/raw-db" "${THREADS}" "${DURATION%s}" \
    >"${TMP}/raw.out" || { cat "${TMP}/raw.out" >&2; die "raw_put_bench failed"; }
  RAW_RPS="$(sed -n 's/^RESULT raw_put.* puts_per_s=\([0-9]*\).*/\1/p' "${TMP}/raw.out")"
fi

# --- report -------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }'; }
row() {  # row NAME
  local f="${TMP}/$1.out"
  printf '%-18s %8s %7s %8s %6s %7s %5s %5s %5s %7s\n' "$1" "$(result_field "${f}" rps)" \
    "$(result_field "${f}" p50_ms)" "$(result_field "${f}" p99_ms)" \
    "$(result_field "${f}" non2xx)" "$(result_field "${f}" socket_errors)" \
    "$(cpu_field "$1" 1)" "$(cpu_field "$1" 2)" "$(cpu_field "$1" 3)" \
    "$(cat "${TMP}/$1.stall" 2>/dev/null || echo -)"
}
echo
echo "== scimd write load test ($(date -u +%Y-%m-%dT%H:%M:%SZ)) =="
echo "set-up: ${WRK_DESC}, keep-alive, loopback; scimd --threads ${THREADS}, not pinned"
echo "data: ${USERS} users seeded (${SEED_LINE#SEED }); ${HAVE} users at the end;" \
  "scimd VmHWM ${RSS_MIB} MiB; load average ${LOAD_BEFORE} before the settled runs"
printf '%-18s %8s %7s %8s %6s %7s %5s %5s %5s %7s\n' run req/s "p50 ms" "p99 ms" non2xx sockerr \
  srv% wrk% oth% stall_s
for r in "${DONE[@]}"; do row "${r}"; done
if want raw; then
  echo "raw RocksDB single Put (${THREADS} threads): $(sed -n 's/^RESULT raw_put //p' "${TMP}/raw.out")" \
    "(cpu self/other $(cat "${TMP}/raw.cpu") %)"
fi
if want core; then
  echo "creates without HTTP (${THREADS} threads): $(sed -n 's/^RESULT core_create //p' "${TMP}/core.out")"
fi
field() { [[ -f "${TMP}/$1.out" ]] && result_field "${TMP}/$1.out" "$2"; }
POST_RPS="$(field post rps)"
PATCH_RPS="$(field patch rps)"
echo "RESULT write post_rps=${POST_RPS} patch_rps=${PATCH_RPS} raw_put_rps=${RAW_RPS}" \
  "post_ratio=$(ratio "${POST_RPS}" "${RAW_RPS}") patch_ratio=$(ratio "${PATCH_RPS}" "${RAW_RPS}")" \
  "core_rps=${CORE_RPS} core_ratio=$(ratio "${CORE_RPS}" "${RAW_RPS}")" \
  "post_p99_ms=$(field post p99_ms)" "post_after_load_p99_ms=$(field post-after-load p99_ms)" \
  "patch_p99_ms=$(field patch p99_ms)" "compound_p50_ms=$(field compound-c1 p50_ms)" \
  "compound_p99_ms=$(field compound-c1 p99_ms)"
for r in "${DONE[@]}"; do
  n="$(result_field "${TMP}/${r}.out" non2xx)"
  [[ "${n:-0}" == 0 ]] || die "${r}: ${n} answers were not 2xx"
done
