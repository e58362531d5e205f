#!/usr/bin/env bash
# Hostile clients (issue #20): each attack is bounded by a named limit and answered or
# closed, while a normal client on other connections keeps its p99 within 2x of its
# baseline; 10,000 idle connections cost under 100 MiB. See docs/RELIABILITY.md.
#
#   scripts/hostile.sh [BUILD_DIR]      (needs scimd, scimctl, bench/seed_group_bench, wrk, node)
#
# A tenant of HOSTILE_USERS (10,000) users seeded into a stopped store; scimd --threads 2
# with --max-connections 12000 (room for the 10,000 idle ones and the normal client).
# The normal client: wrk -t1 -c2 GET /Users/{random id} for HOSTILE_DURATION (10s), alone
# (the baseline), then during each attack of scripts/hostile_client.js (slow-head,
# slow-body, idle, huge-head, huge-body, pipeline, deep-json, huge-filter), which starts
# 2 s before and runs 4 s past the normal client. Prints a table and "RESULT hostile
# attack=... p99_ms=... ratio=..."; exits 1 if scimd dies or stops answering.
# HOSTILE_PIN=1: scimd and the normal client on CPU 0, the attacker alone on CPU 1, so
# that the attacker's own CPU does not count against scimd (the default shares both).
# The attacker connects from 127.0.0.2 (HOSTILE_SOURCE; empty: 127.0.0.1), the normal
# client from 127.0.0.1: two clients, as in life, so that scimd's per-address limits
# (failed tokens, refused malformed input) can tell them apart.
# HOSTILE_TLS=1: scimd with a self-signed certificate, every client over TLS.
# HOSTILE_SCIMD_ARGS: more scimd flags, space-separated (e.g. "--tls-handshake-threads 0").
# The bearer token never appears in output or on a command line. Servers on 127.0.0.1.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
BUILD_DIR="$(cd "${1:-${REPO_ROOT}/build}" 2>/dev/null && pwd)" || {
  echo "hostile: build directory '${1:-${REPO_ROOT}/build}' does not exist" >&2
  exit 2
}
readonly BUILD_DIR
readonly SCIMD="${BUILD_DIR}/tools/scimd"
readonly SCIMCTL="${BUILD_DIR}/tools/scimctl"
readonly SEEDER="${BUILD_DIR}/bench/seed_group_bench"
readonly LUA="${REPO_ROOT}/bench/wrk/scim.lua"
readonly ATTACKER="${SCRIPT_DIR}/hostile_client.js"
export HOSTILE_SOURCE="${HOSTILE_SOURCE-127.0.0.2}"
readonly USERS="${HOSTILE_USERS:-10000}"
readonly DURATION="${HOSTILE_DURATION:-10}"
readonly ATTACKS="${HOSTILE_ATTACKS:-slow-head slow-body idle huge-head huge-body pipeline deep-json huge-filter}"
readonly TENANT=hostile
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

log() { echo "hostile: $*"; }
die() { echo "hostile: error: $*" >&2; exit 1; }

for tool in wrk node curl; do command -v "${tool}" >/dev/null || die "${tool} is not installed"; done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
(($(ulimit -n) >= 12000)) || die "need 12,000 file descriptors (ulimit -n)"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-hostile.XXXXXX")"
SCIMD_PID=""
ATTACK_PID=""
cleanup() {
  [[ -n "${ATTACK_PID}" ]] && kill "${ATTACK_PID}" 2>/dev/null
  stop_pid "${SCIMD_PID}"
  rm -rf "${TMP}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SERVER_CPU=()
CLIENT_CPU=()
ATTACKER_CPU=()
if [[ "${HOSTILE_PIN:-0}" == 1 ]]; then
  command -v taskset >/dev/null && (($(nproc) >= 2)) || die "HOSTILE_PIN needs taskset and 2 CPUs"
  SERVER_CPU=(taskset -c 0)
  CLIENT_CPU=(taskset -c 0)
  ATTACKER_CPU=(taskset -c 1)
fi
make_tenant "${SCIMCTL}" "${TMP}/data" "${TENANT}" || die "tenant/token set-up failed"
"${SEEDER}" --data "${TMP}/data" --tenant "${TENANT}" --users "${USERS}" --ids "${TMP}/ids.txt" \
  >"${TMP}/seed.out" 2>&1 || { cat "${TMP}/seed.out" >&2; die "seeding failed"; }
SCIMD_EXTRA_ARGS=(--max-connections 12000)
read -r -a MORE_ARGS <<<"${HOSTILE_SCIMD_ARGS:-}"
SCIMD_EXTRA_ARGS+=("${MORE_ARGS[@]}")
CURL_TLS=()
if [[ "${HOSTILE_TLS:-0}" == 1 ]]; then
  tls_setup
  SCIMD_EXTRA_ARGS+=("${TLS_ARGS[@]}")
  CURL_TLS=(--cacert "${TLS_CA}")
  export HOSTILE_TLS
fi
start_scimd "${TMP}/data" 2 "${TMP}/scimd.log" || die "scimd did not start"
PORT="${SCIMD_URL##*:}"
wait_idle "${SCIMD_PID}" 60 || true

rss_mib() { echo $(($(proc_mem_kib "${SCIMD_PID}" VmRSS) / 1024)); }
normal() {  # normal NAME: the normal client's run
  wrk_measure "$1" "${SCIMD_PID}" "${LUA}" "${SCIMD_URL}" 2 "${DURATION}s" -- get "${TMP}/ids.txt" ||
    die "the normal client failed during $1"
}
alive() {
  kill -0 "${SCIMD_PID}" 2>/dev/null || die "scimd died ($1): $(tail -5 "${TMP}/scimd.log")"
  [[ "$(curl -s "${CURL_TLS[@]}" -o /dev/null -w '%{http_code}' --max-time 10 -H @"${TMP}/auth.header" \
    "${SCIMD_URL}/scim/v2/Users?count=0")" == 200 ]] || die "scimd does not answer after $1"
}

normal baseline
BASE_P99="$(result_field "${TMP}/baseline.out" p99_ms)"
log "baseline: $(result_field "${TMP}/baseline.out" rps) req/s, p99 ${BASE_P99} ms, scimd RSS $(rss_mib) MiB"
printf '%-12s %9s %8s %6s %9s %s\n' attack req/s "p99 ms" ratio "RSS MiB" "what the attacker saw" >"${TMP}/table"
printf '%-12s %9s %8s %6s %9s %s\n' baseline "$(result_field "${TMP}/baseline.out" rps)" \
  "${BASE_P99}" 1.00 "$(rss_mib)" - >>"${TMP}/table"
WORST=0
for attack in ${ATTACKS}; do
  sleep 2  # what the last attack left is closed or timed out
  rss_before="$(rss_mib)"
  "${ATTACKER_CPU[@]}" node "${ATTACKER}" "${attack}" 127.0.0.1 "${PORT}" $((DURATION + 6)) \
    >"${TMP}/${attack}.attack" 2>&1 &
  ATTACK_PID=$!
  sleep 2
  normal "${attack}"
  rss_during="$(rss_mib)"
  wait "${ATTACK_PID}" || { cat "${TMP}/${attack}.attack" >&2; die "the ${attack} attacker failed"; }
  ATTACK_PID=""
  alive "${attack}"
  p99="$(result_field "${TMP}/${attack}.out" p99_ms)"
  ratio="$(awk -v a="${p99}" -v b="${BASE_P99}" 'BEGIN { printf "%.2f", a / b }')"
  awk -v r="${ratio}" -v w="${WORST}" 'BEGIN { exit !(r > w) }' && WORST="${ratio}"
  printf '%-12s %9s %8s %6s %9s %s\n' "${attack}" "$(result_field "${TMP}/${attack}.out" rps)" \
    "${p99}" "${ratio}" "${rss_before}->${rss_during}" \
    "$(sed -n 's/^ATTACK name=[^ ]* //p' "${TMP}/${attack}.attack")" >>"${TMP}/table"
  echo "RESULT hostile attack=${attack} p99_ms=${p99} baseline_p99_ms=${BASE_P99} ratio=${ratio}" \
    "rss_before_mib=${rss_before} rss_during_mib=${rss_during}" \
    "$(sed -n 's/^ATTACK //p' "${TMP}/${attack}.attack")"
done
echo
echo "== hostile clients against scimd ($(date -u +%Y-%m-%dT%H:%M:%SZ)): ${USERS} users, normal client wrk -t1 -c2 -d${DURATION}s${ATTACKER_CPU:+, attacker pinned apart}${CURL_TLS:+, all over TLS} =="
cat "${TMP}/table"
echo "RESULT hostile worst_ratio=${WORST} scimd_vmhwm_mib=$(($(proc_mem_kib "${SCIMD_PID}" VmHWM) / 1024))"
