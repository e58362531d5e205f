#!/usr/bin/env bash
# Users/s created through POST /Bulk (1,000 operations a request) against single POST /Users,
# in the same run on the same server (issue #18, "Online bulk"): for each scimd binary (this
# build's, and optionally an older one for before/after) and for default and --sync
# durability, a fresh data dir and tenant, scimd --threads 1 (pinned to CPU 0, the client on
# CPU 1), then N users by single POSTs (BULK_CONNECTIONS connections), then N other users by
# /Bulk (BULK_BULK_CONNECTIONS requests in flight), then a check that the tenant holds 2N.
# Users are import_raw_bench's ~1 KB shape (bench/bulk_http_bench.cc).
#
#   scripts/bulk_bench.sh BUILD [BEFORE_SCIMD]
#
# Environment: BULK_USERS [100000] (per phase, default durability), BULK_SYNC_USERS [20000]
# (per phase, --sync), BULK_CONNECTIONS [16], BULK_BULK_CONNECTIONS [2], BULK_SYNC [1] (0: skip
# the --sync runs), BULK_ROUNDS [1] (repeat everything, e.g. to see the spread on a shared
# machine). Each RESULT line also gives scimd's CPU time per user created. Each client phase
# is bounded by `timeout 900`. Loopback only; the token goes through SCIMD_TOKEN and a 0600
# file, never printed.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: $0 BUILD [BEFORE_SCIMD]" >&2; exit 2; }
BUILD="$(cd "$1" && pwd)"
readonly BUILD
readonly BEFORE="${2:-}"
readonly SCIMCTL="${BUILD}/tools/scimctl"
readonly DRIVER="${BUILD}/bench/bulk_http_bench"
readonly USERS="${BULK_USERS:-100000}"
readonly SYNC_USERS="${BULK_SYNC_USERS:-20000}"
readonly CONNECTIONS="${BULK_CONNECTIONS:-16}"
readonly BULK_CONNECTIONS="${BULK_BULK_CONNECTIONS:-2}"
readonly TENANT=bulk

log() { echo "bulk_bench: $*" >&2; }
die() { echo "bulk_bench: error: $*" >&2; exit 1; }
[[ -x "${BUILD}/tools/scimd" && -x "${SCIMCTL}" && -x "${DRIVER}" ]] ||
  die "build scimd, scimctl and bulk_http_bench in ${BUILD}"
[[ -z "${BEFORE}" || -x "${BEFORE}" ]] || die "no executable ${BEFORE}"

TMP="$(mktemp -d /tmp/scimd-bulk.XXXXXX)"
SCIMD_PID=""
cleanup() { stop_pid "${SCIMD_PID}"; rm -rf "${TMP}"; }
trap cleanup EXIT
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"
pin_setup 1

# run LABEL SCIMD SYNC(0|1) N: one server, single POSTs then /Bulk; prints one RESULT line.
run() {
  local label="$1" scimd="$2" sync="$3" n="$4" single bulk
  local flags=()
  ((sync)) && flags+=(--sync)
  rm -rf "${TMP}/data" "${TMP}/port"
  make_tenant "${SCIMCTL}" "${TMP}/data" "${TENANT}" || die "tenant/token set-up failed"
  "${SERVER_CPU[@]}" "${scimd}" --listen 127.0.0.1:0 --data "${TMP}/data" --threads 1 \
    --port-file "${TMP}/port" "${flags[@]}" >"${TMP}/scimd.log" 2>&1 &
  SCIMD_PID=$!
  for _ in $(seq 600); do
    [[ -s "${TMP}/port" ]] && break
    kill -0 "${SCIMD_PID}" 2>/dev/null || { cat "${TMP}/scimd.log" >&2; die "scimd exited"; }
    sleep 0.1
  done
  local port
  port="$(tr -d '[:space:]' <"${TMP}/port")"
  local c0 c1 c2
  c0="$(cpu_ticks "${SCIMD_PID}")"
  single="$(timeout 900 "${CLIENT_CPU[@]}" "${DRIVER}" --port "${port}" --mode single \
    --first 0 --users "${n}" --connections "${CONNECTIONS}")" || die "${label}: single POSTs failed"
  c1="$(cpu_ticks "${SCIMD_PID}")"
  bulk="$(timeout 900 "${CLIENT_CPU[@]}" "${DRIVER}" --port "${port}" --mode bulk \
    --first "${n}" --users "${n}" --batch 1000 --connections "${BULK_CONNECTIONS}" \
    --total $((2 * n)))" || die "${label}: /Bulk failed or the count is wrong"
  c2="$(cpu_ticks "${SCIMD_PID}")"
  stop_pid "${SCIMD_PID}"
  SCIMD_PID=""
  local s b
  s="$(sed -n 's/.*users_per_s=\([0-9]*\).*/\1/p' <<<"${single}")"
  b="$(sed -n 's/.*users_per_s=\([0-9]*\).*/\1/p' <<<"${bulk}")"
  log "${label}: ${single}"
  log "${label}: ${bulk}"
  # scimd's own CPU (all threads, user + system) per user created: what the machine's other
  # load does not change much, unlike users/s.
  awk -v l="${label}" -v sy="${sync}" -v n="${n}" -v s="${s}" -v b="${b}" -v hz="${LIB_CLK_TCK}" \
    -v cs=$((c1 - c0)) -v cb=$((c2 - c1)) 'BEGIN {
    printf "RESULT %-6s sync=%d users=%d single_users_per_s=%d bulk_users_per_s=%d " \
      "bulk/single=%.2f cpu_us_per_user_single=%.0f cpu_us_per_user_bulk=%.0f\n",
      l, sy, n, s, b, b / s, cs * 1e6 / hz / n, cb * 1e6 / hz / n }'
}

for round in $(seq "${BULK_ROUNDS:-1}"); do
  log "round ${round}"
  run after "${BUILD}/tools/scimd" 0 "${USERS}"
  [[ -n "${BEFORE}" ]] && run before "${BEFORE}" 0 "${USERS}"
  if [[ "${BULK_SYNC:-1}" == 1 ]]; then
    run after "${BUILD}/tools/scimd" 1 "${SYNC_USERS}"
    [[ -n "${BEFORE}" ]] && run before "${BEFORE}" 1 "${SYNC_USERS}"
  fi
done
log "done; machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
