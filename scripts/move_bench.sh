#!/usr/bin/env bash
# The pause of `scimctl tenant move` at scale (issue #21, docs/PERFORMANCE.md "Moving a
# tenant"): USERS users (default 1,000,000) seeded into a source scimd's tenant, an empty
# target scimd, and, while scimload provisions the tenant on the source (entra-initial,
# open loop at MOVE_BENCH_RATE requests/s), `scimctl tenant move` carries it over. Prints
# the move's own figures (copy, catch-up rounds, the pause from the fence to the switch)
# and what the client saw (answers by status: 503 is a write refused during the pause);
# then checks that the target holds at least USERS users and `scimctl check` finds nothing.
# Both servers and scimload share the machine. Bounded: every step has a timeout.
#
#   scripts/move_bench.sh [USERS] [BUILD_DIR]
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
readonly USERS="${1:-1000000}"
BUILD_DIR="$(cd "${2:-${REPO_ROOT}/build}" && pwd)"
readonly SCIMD="${BUILD_DIR}/tools/scimd"
readonly SCIMCTL="${BUILD_DIR}/tools/scimctl"
readonly SCIMLOAD="${BUILD_DIR}/tools/scimload"
readonly SEEDER="${BUILD_DIR}/bench/seed_group_bench"
readonly RATE="${MOVE_BENCH_RATE:-500}"
readonly TENANT=movebench
log() { echo "move_bench: $*"; }
die() { echo "move_bench: error: $*" >&2; exit 1; }
for bin in "${SCIMD}" "${SCIMCTL}" "${SCIMLOAD}" "${SEEDER}"; do
  [[ -x "${bin}" ]] || die "build ${bin} first"
done

TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-movebench.XXXXXX")"
PIDS=()
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"
trap stop_pids_and_clean EXIT
SCIMD_ADMIN_TOKEN="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SCIMD_ADMIN_TOKEN

make_tenant "${SCIMCTL}" "${TMP}/source" "${TENANT}" || die "tenant set-up failed"
log "seeding ${USERS} users into the source's store"
timeout 3600 "${SEEDER}" --data "${TMP}/source" --tenant "${TENANT}" --users "${USERS}" \
  >"${TMP}/seed.out" || die "seeding failed"
"${SCIMCTL}" --data "${TMP}/target" tenant create other >/dev/null  # ids differ there

declare -A ADMIN PORT
for node in source target; do
  "${SCIMD}" --listen 127.0.0.1:0 --port-file "${TMP}/${node}.port" --data "${TMP}/${node}" \
    --admin-listen 127.0.0.1:0 --admin-port-file "${TMP}/${node}.admin" >"${TMP}/${node}.log" 2>&1 &
  PIDS+=($!)
done
for node in source target; do
  for _ in $(seq 600); do [[ -s "${TMP}/${node}.admin" ]] && break; sleep 0.1; done
  [[ -s "${TMP}/${node}.admin" ]] || { cat "${TMP}/${node}.log" >&2; die "${node} did not start"; }
  ADMIN[${node}]="http://127.0.0.1:$(cat "${TMP}/${node}.admin")"
  PORT[${node}]="$(cat "${TMP}/${node}.port")"
done

log "scimload entra-initial at ${RATE}/s on the source while the tenant moves"
SCIMLOAD_TOKEN="${SCIMD_TOKEN}" timeout 3600 "${SCIMLOAD}" entra-initial \
  --url "http://127.0.0.1:${PORT[source]}/scim/v2" --users 200000 --groups 0 --seed 4242 \
  --connections 8 --rate "${RATE}" --duration 3000 --quiet --json "${TMP}/load.json" \
  >"${TMP}/load.out" 2>&1 &
LOAD=$!
PIDS+=("${LOAD}")
sleep 3
t0="$(date +%s%N)"
timeout 3600 "${SCIMCTL}" --server "${ADMIN[source]}" tenant move "${TENANT}" --to target \
  --to-server "${ADMIN[target]}" >"${TMP}/move.out" 2>&1 || { cat "${TMP}/move.out" >&2; die "the move failed"; }
move_s="$(awk -v ns=$(($(date +%s%N) - t0)) 'BEGIN { printf "%.1f", ns / 1e9 }')"
kill -INT "${LOAD}"
wait "${LOAD}" || true
sed 's/^/    /' "${TMP}/move.out"
grep -E "errors by status|requests" "${TMP}/load.out" | sed 's/^/    scimload: /' || true

total="$(curl -s -H "Authorization: Bearer ${SCIMD_TOKEN}" \
  "http://127.0.0.1:${PORT[target]}/scim/v2/Users?count=0" | sed -n 's/.*"totalResults":\([0-9]*\).*/\1/p')"
[[ -n "${total}" && "${total}" -ge "${USERS}" ]] || die "the target holds ${total:-no} users"
kill -TERM "${PIDS[1]}"
wait "${PIDS[1]}" || true
timeout 1800 "${SCIMCTL}" --data "${TMP}/target" check "${TENANT}" >"${TMP}/check.out" 2>&1 ||
  { cat "${TMP}/check.out" >&2; die "check failed"; }
grep -q " 0 problems" "${TMP}/check.out" || { cat "${TMP}/check.out" >&2; die "check found problems"; }
pause="$(sed -n 's/.*writes paused \([0-9.]*\) ms.*/\1/p' "${TMP}/move.out" | tail -n 1)"
refused="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("errors_by_status",{}).get("503",0))' "${TMP}/load.json" 2>/dev/null || echo "?")"
printf 'RESULT move users=%d target_users=%d wall_s=%s pause_ms=%s refused_503=%s check=clean\n' \
  "${USERS}" "${total}" "${move_s}" "${pause}" "${refused}"
