#!/usr/bin/env bash
# HTTP load test of scimd with wrk, next to a same-run nginx reference serving a static
# user of the same size. See docs/PERFORMANCE.md for how to read the figures.
#
#   scripts/load.sh [BUILD_DIR]            (default: <repo>/build)
#
# 1. fresh data dir, tenant + token via scimctl, scimd on an ephemeral loopback port
# 2. seeds LOAD_USERS users with POST (wrk, fixed count per wrk thread, bounded in time)
#    and checks GET /scim/v2/Users?count=0 -> totalResults
# 3. wrk: (a) GET /scim/v2/Users/{random known id}, (b) POST /scim/v2/Users (unique names),
#    (c) nginx serving one rendered user (>= 1 KiB) on the same GET paths
# Prints requests/s, latency p50/p99 and the scimd/nginx ratios.
#
# Environment (defaults in brackets):
#   LOAD_USERS [100000]  LOAD_DURATION [10s]  LOAD_CONNECTIONS [32]
#   LOAD_SCIMD_THREADS [1]  LOAD_WRK_THREADS [1]
#   LOAD_PIN [1]: with >= 2 CPUs, pin scimd and nginx to CPU 0 and wrk to CPU 1 (taskset)
#
# The bearer token goes from scimctl's output file to wrk through SCIMD_TOKEN; it is never
# printed or put on a command line. Servers listen on 127.0.0.1 only.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
BUILD_DIR="$(cd "${1:-${REPO_ROOT}/build}" 2>/dev/null && pwd)" || {
  echo "load: build directory '${1:-${REPO_ROOT}/build}' does not exist" >&2
  exit 2
}
readonly BUILD_DIR
readonly SCIMD="${BUILD_DIR}/tools/scimd"
readonly SCIMCTL="${BUILD_DIR}/tools/scimctl"
readonly LUA="${REPO_ROOT}/bench/wrk/scim.lua"
readonly USERS="${LOAD_USERS:-100000}"
readonly DURATION="${LOAD_DURATION:-10s}"
readonly CONNECTIONS="${LOAD_CONNECTIONS:-32}"
readonly SCIMD_THREADS="${LOAD_SCIMD_THREADS:-1}"
readonly WRK_THREADS="${LOAD_WRK_THREADS:-1}"
readonly PIN="${LOAD_PIN:-1}"
# Seeding is bounded by count (USERS) and by this time (it ends as soon as all are in).
readonly SEED_TIMEOUT_S=300
readonly SEED_CONNECTIONS=64
readonly TENANT=load

# stop_pid, free_port, cpu_ticks, idle_ticks, cpu_field: shared with the other load scripts.
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

log() { echo "load: $*"; }
die() { echo "load: error: $*" >&2; exit 1; }

for tool in wrk curl nginx node; do
  command -v "${tool}" >/dev/null || die "${tool} is not installed (make deps)"
done
[[ -x "${SCIMD}" && -x "${SCIMCTL}" ]] || die "build scimd and scimctl in ${BUILD_DIR} first"
[[ "${USERS}" =~ ^[0-9]+$ && "${USERS}" -gt 0 ]] || die "LOAD_USERS must be a positive integer"

SERVER_CPU=()
CLIENT_CPU=()
if [[ "${PIN}" == 1 ]] && command -v taskset >/dev/null && (($(nproc) >= 2)); then
  SERVER_CPU=(taskset -c 0)
  CLIENT_CPU=(taskset -c 1)
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-load.XXXXXX")"
SCIMD_PID=""
NGINX_PID=""
cleanup() {
  stop_pid "${WRK_PID:-}"
  stop_pid "${NGINX_PID}"
  stop_pid "${SCIMD_PID}"
  rm -rf "${TMP}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# --- scimd -------------------------------------------------------------------------------------
"${SCIMCTL}" --data "${TMP}/data" tenant create "${TENANT}" >"${TMP}/scimctl.log" 2>&1 ||
  { cat "${TMP}/scimctl.log" >&2; die "tenant create failed"; }
(umask 077 && "${SCIMCTL}" --data "${TMP}/data" token issue "${TENANT}" >"${TMP}/token.out" \
  2>"${TMP}/token.err") || { cat "${TMP}/token.err" >&2; die "token issue failed"; }
SCIMD_TOKEN="$(tail -n 1 "${TMP}/token.out")"
export SCIMD_TOKEN
rm -f "${TMP}/token.out"
# curl reads the header from a file so that the token stays off the command line.
(umask 077 && printf 'Authorization: Bearer %s\n' "${SCIMD_TOKEN}" >"${TMP}/auth.header")

"${SERVER_CPU[@]}" "${SCIMD}" --listen 127.0.0.1:0 --data "${TMP}/data" \
  --threads "${SCIMD_THREADS}" --port-file "${TMP}/port" >"${TMP}/scimd.log" 2>&1 &
SCIMD_PID=$!
for _ in $(seq 150); do
  [[ -s "${TMP}/port" ]] && break
  kill -0 "${SCIMD_PID}" 2>/dev/null || { cat "${TMP}/scimd.log" >&2; die "scimd exited"; }
  sleep 0.1
done
[[ -s "${TMP}/port" ]] || die "scimd did not start"
readonly SCIMD_URL="http://127.0.0.1:$(tr -d '[:space:]' <"${TMP}/port")"

run_wrk() {  # run_wrk OUT_FILE CONNECTIONS DURATION URL -- ARGS...
  local out="$1" conns="$2" dur="$3" url="$4"
  shift 4
  "${CLIENT_CPU[@]}" wrk -t"${RUN_THREADS:-${WRK_THREADS}}" -c"${conns}" -d"${dur}" --timeout 10s \
    -s "${LUA}" "${url}" "$@" >"${out}" 2>&1 || { cat "${out}" >&2; die "wrk failed"; }
}
total_users() {
  curl -sS --max-time 30 -H @"${TMP}/auth.header" "${SCIMD_URL}/scim/v2/Users?count=0" |
    node -e 'let s = ""; process.stdin.on("data", d => s += d)
      .on("end", () => console.log(JSON.parse(s).totalResults))'
}
result_field() {  # result_field FILE KEY
  sed -n "s/^RESULT.* $2=\([^ ]*\).*/\1/p" "$1"
}

readonly CLK_TCK="$(getconf CLK_TCK)"
measure() {  # measure NAME SERVER_PID URL -- LUA_ARGS...: wrk run plus server/wrk CPU use
  local name="$1" pid="$2" url="$3" before after idle0 idle1 t0 t1
  shift 3
  before="$(cpu_ticks "${pid}")"
  idle0="$(idle_ticks)"
  t0="$(date +%s%N)"
  local TIMEFORMAT='%R %U %S'
  { time run_wrk "${TMP}/${name}.out" "${CONNECTIONS}" "${DURATION}" "${url}" "$@"; } \
    2>"${TMP}/${name}.time"
  t1="$(date +%s%N)"
  after="$(cpu_ticks "${pid}")"
  idle1="$(idle_ticks)"
  read -r wall user sys <"${TMP}/${name}.time"
  # server %, wrk %, and the rest of the machine's busy time: kernel network softirq not
  # charged to a process, plus any other work on the box (then the figures are disturbed).
  awk -v d=$((after - before)) -v hz="${CLK_TCK}" -v ns=$((t1 - t0)) -v w="${wall}" \
    -v u="${user}" -v s="${sys}" -v idle=$((idle1 - idle0)) -v cpus="$(nproc)" \
    'BEGIN { sec = ns / 1e9; srv = 100 * d / hz / sec; cli = 100 * (u + s) / w;
             other = 100 * cpus - 100 * idle / hz / sec - srv - cli;
             printf "%.0f %.0f %.0f\n", srv, cli, other < 0 ? 0 : other }' >"${TMP}/${name}.cpu"
}

# --- seed --------------------------------------------------------------------------------------
log "scimd --threads ${SCIMD_THREADS} on ${SCIMD_URL#http://}; seeding ${USERS} users"
WRK_PID=""
seed_wrk() {  # seed_wrk THREADS COUNT_PER_THREAD NAME_PREFIX
  local threads="$1" quota="$2" prefix="$3" done_count
  local ids="${TMP}/ids-${prefix}" out="${TMP}/seed-${prefix}.out"
  "${CLIENT_CPU[@]}" wrk -t"${threads}" -c"${SEED_CONNECTIONS}" -d"${SEED_TIMEOUT_S}s" \
    --timeout 10s -s "${LUA}" "${SCIMD_URL}" -- seed "${quota}" "${ids}" "${prefix}" \
    >"${out}" 2>&1 &
  WRK_PID=$!
  # wrk runs for its whole -d even when every thread has stopped: end it with SIGINT
  # (it then prints its summary) once each thread has written its marker.
  while kill -0 "${WRK_PID}" 2>/dev/null; do
    done_count="$(find "${TMP}" -maxdepth 1 -name "ids-${prefix}.*.done" | wc -l)"
    ((done_count >= threads)) && kill -INT "${WRK_PID}" 2>/dev/null
    sleep 0.2
  done
  wait "${WRK_PID}" || { cat "${out}" >&2; die "wrk (seed) failed"; }
  WRK_PID=""
  rm -f "${ids}".*.done
}
seed() {  # seed COUNT NAME_PREFIX: COUNT users over WRK_THREADS wrk threads
  local count="$1" prefix="$2" per_thread rest
  per_thread=$((count / WRK_THREADS))
  rest=$((count - per_thread * WRK_THREADS))
  ((per_thread == 0)) || seed_wrk "${WRK_THREADS}" "${per_thread}" "${prefix}"
  # Leftovers (count not a multiple of the thread count) go through one more thread.
  ((rest == 0)) || seed_wrk 1 "${rest}" "${prefix}r"
}
SEED_START_MS=$(date +%s%3N)
seed "${USERS}" "seed$$"
HAVE="$(total_users)"
if ((HAVE < USERS)); then  # lost responses (socket errors): one bounded top-up
  log "seeded ${HAVE} of ${USERS}; topping up $((USERS - HAVE))"
  seed "$((USERS - HAVE))" "top$$"
  HAVE="$(total_users)"
fi
SEED_S="$(awk -v ms=$(($(date +%s%3N) - SEED_START_MS)) 'BEGIN { printf "%.1f", ms / 1000 }')"
cat "${TMP}"/ids-* >"${TMP}/ids.txt"
IDS="$(wc -l <"${TMP}/ids.txt")"
log "seeded: totalResults=${HAVE} (wanted ${USERS}) in ${SEED_S} s; ${IDS} ids known"
((HAVE >= USERS)) || die "seeding fell short: ${HAVE} < ${USERS}"

# One real rendered user, padded with trailing JSON whitespace to >= 1 KiB, for nginx.
mkdir -p "${TMP}/www"
curl -sS --max-time 10 -H @"${TMP}/auth.header" -o "${TMP}/www/user.json" \
  "${SCIMD_URL}/scim/v2/Users/$(head -n 1 "${TMP}/ids.txt")"
USER_BYTES="$(wc -c <"${TMP}/www/user.json")"
if ((USER_BYTES < 1024)); then
  printf '%*s' $((1024 - USER_BYTES)) '' >>"${TMP}/www/user.json"
fi
STATIC_BYTES="$(wc -c <"${TMP}/www/user.json")"

# --- measurements -------------------------------------------------------------------------------
WRK_DESC="wrk -t${WRK_THREADS} -c${CONNECTIONS} -d${DURATION}"
# The nginx reference runs first, while scimd is idle (after a pause for RocksDB to flush
# the seed): the POST run leaves compaction work that would steal the servers' core.
sleep 3

# --- nginx reference ------------------------------------------------------------------------------
# lib.sh's nginx (the same configuration filter_load.sh and patch_load.sh use), serving the
# rendered user on every /scim/v2/Users/ path.
start_nginx_retry "${TMP}/www/user.json" /scim/v2/Users/ ||
  { cat "${TMP}/nginx/error.log" >&2; die "nginx did not start"; }
log "measuring: ${WRK_DESC} per run; scimd --threads ${SCIMD_THREADS}" \
  "${SERVER_CPU:+(servers on CPU 0, wrk on CPU 1)}"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
measure nginx "${NGINX_PID}" "http://127.0.0.1:${NGINX_PORT}" -- get "${TMP}/ids.txt"
stop_pid "${NGINX_PID}"
NGINX_PID=""

# --- scimd -------------------------------------------------------------------------------------
measure get "${SCIMD_PID}" "${SCIMD_URL}" -- get "${TMP}/ids.txt"
measure post "${SCIMD_PID}" "${SCIMD_URL}" -- post "post$$"

FINAL_USERS="$(total_users)"

# --- report ---------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
row() {  # row LABEL NAME
  local f="${TMP}/$2.out"
  printf '%-34s %8s %7s %7s %6s %7s %5s %5s %5s\n' "$1" "$(result_field "${f}" rps)" \
    "$(result_field "${f}" p50_ms)" "$(result_field "${f}" p99_ms)" \
    "$(result_field "${f}" non2xx)" "$(result_field "${f}" socket_errors)" \
    "$(cpu_field "$2" 1)" "$(cpu_field "$2" 2)" "$(cpu_field "$2" 3)"
}
NG_RPS="$(result_field "${TMP}/nginx.out" rps)"
NG_P50="$(result_field "${TMP}/nginx.out" p50_ms)"
NG_P99="$(result_field "${TMP}/nginx.out" p99_ms)"
echo
echo "== scimd load test ($(date -u +%Y-%m-%dT%H:%M:%SZ)) =="
echo "set-up: ${WRK_DESC}, keep-alive, loopback; scimd --threads ${SCIMD_THREADS}," \
  "nginx worker_processes 1${SERVER_CPU:+; servers pinned to CPU 0, wrk to CPU 1}"
echo "data: ${HAVE} users seeded (${SEED_S} s), ${FINAL_USERS} after the POST run;" \
  "GET response ${USER_BYTES} B, nginx file ${STATIC_BYTES} B"
echo "CPU %: srv = server (all threads), wrk = client, oth = rest of the machine (kernel" \
  "softirq + other processes); 100 = one core busy, $(nproc) CPUs = $(($(nproc) * 100))"
echo "load average: ${LOAD_BEFORE} before the runs, $(cut -d' ' -f1-3 /proc/loadavg) after"
printf '%-34s %8s %7s %7s %6s %7s %5s %5s %5s\n' "run" "req/s" "p50 ms" "p99 ms" "non2xx" \
  "sockerr" "srv%" "wrk%" "oth%"
row "scimd GET /Users/{id}" get
row "scimd POST /Users" post
row "nginx GET static user (reference)" nginx
for run in get post; do
  f="${TMP}/${run}.out"
  echo "ratio scimd ${run^^}/nginx GET: req/s $(ratio "$(result_field "${f}" rps)" "${NG_RPS}")," \
    "p50 $(ratio "$(result_field "${f}" p50_ms)" "${NG_P50}")x," \
    "p99 $(ratio "$(result_field "${f}" p99_ms)" "${NG_P99}")x"
done
for f in get post nginx; do
  errs="$(result_field "${TMP}/${f}.out" non2xx)"
  [[ "${errs}" == 0 ]] || log "warning: ${f} run had ${errs} non-2xx responses"
  other="$(cpu_field "${f}" 3)"
  ((other <= 40)) || log "warning: ${other}% CPU went elsewhere during the ${f} run:" \
    "other work on the machine disturbed it"
done
