#!/usr/bin/env bash
# Replicated writes against a node alone, in one run (issue #25, docs/SCALING.md "Replica
# groups"): POST /Users (~1 KB users, bench/wrk/scim.lua) by wrk with 32 connections for
# DURATION to (a) scimd alone and (b) the leader of a replica group of three scimd nodes
# on this machine (etcd on loopback), alternating a, b, a, b. Every node and wrk share the
# machine's cores. Prints req/s and p50/p99 per run and the ratio group/alone.
#
#   scripts/replica_bench.sh [BUILD_DIR]    env: DURATION [10s] CONNECTIONS [32] THREADS [2]
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
BUILD_DIR="$(cd "${1:-${REPO_ROOT}/build}" && pwd)"
readonly SCIMD="${BUILD_DIR}/tools/scimd"
readonly SCIMCTL="${BUILD_DIR}/tools/scimctl"
readonly DURATION="${DURATION:-10s}" CONNECTIONS="${CONNECTIONS:-32}" THREADS="${THREADS:-2}"
readonly POST_LUA="${REPO_ROOT}/bench/wrk/scim.lua"
log() { echo "replica_bench: $*"; }
die() { echo "replica_bench: error: $*" >&2; exit 1; }
for tool in wrk etcd; do command -v "${tool}" >/dev/null || die "${tool} is not installed"; done

TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-replica-bench.XXXXXX")"
PIDS=()
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"
trap stop_pids_and_clean EXIT
pin_setup 0
WRK_THREADS=2
admin_setup  # SCIMD_ADMIN_TOKEN and ${TMP}/admin.header

# (a) alone.
make_tenant "${SCIMCTL}" "${TMP}/alone" acme || die "tenant"
ALONE_TOKEN="${SCIMD_TOKEN}"
SCIMD_EXTRA_ARGS=()
start_scimd "${TMP}/alone" "${THREADS}" "${TMP}/alone.log" || die "scimd alone"
ALONE_PID="${SCIMD_PID}" ALONE_URL="${SCIMD_URL}"
PIDS+=("${ALONE_PID}")

# (b) a group of three.
start_etcd bench || die "etcd did not start"
declare -A PORT ADMIN REPL NODE_PID
write_cluster_file "${TMP}/cluster.toml" 3
for n in 1 2 3; do
  "${SCIMD}" --node-id "${n}" --cluster "${TMP}/cluster.toml" --etcd "${ETCD}" \
    --data "${TMP}/node${n}" --threads "${THREADS}" >"${TMP}/node${n}.log" 2>&1 &
  NODE_PID[${n}]=$!
  PIDS+=($!)
done
LEADER="$(wait_group_leader 3)"
[[ -n "${LEADER}" ]] || die "no leader"
A="http://127.0.0.1:${ADMIN[${LEADER}]}/admin/v1"
curl -sf -H @"${TMP}/admin.header" "${A}/tenants" -d '{"name":"acme"}' >/dev/null || die "tenant"
GROUP_TOKEN="$(curl -sf -H @"${TMP}/admin.header" "${A}/tenants/acme/tokens" -d '{"scope":"scim"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
GROUP_URL="http://127.0.0.1:${PORT[${LEADER}]}"

run() {  # run NAME PID URL TOKEN: wrk, and the CPU seconds each scimd used meanwhile
  local before=() after=() n cpu=""
  for n in 1 2 3; do before[n]="$(cpu_ticks "${NODE_PID[${n}]}")"; done
  before[0]="$(cpu_ticks "${ALONE_PID}")"
  SCIMD_TOKEN="$4" wrk_measure "$1" "$2" "${POST_LUA}" "$3" "${CONNECTIONS}" "${DURATION}" -- post "$1-" ||
    die "wrk $1"
  for n in 0 1 2 3; do
    local pid="${ALONE_PID}"
    ((n > 0)) && pid="${NODE_PID[${n}]}"
    after[n]="$(cpu_ticks "${pid}")"
    cpu+=" $( ((n == 0)) && echo alone || { [[ ${n} == "${LEADER}" ]] && echo leader || echo "follower${n}"; })=$(((after[n] - before[n]) / LIB_CLK_TCK))s"
  done
  log "$1: $(grep RESULT "${TMP}/$1.out" | cut -d' ' -f2-) cpu:${cpu} wrk=$(cpu_field "$1" 2)%"
}
for round in 1 2; do
  run "alone${round}" "${ALONE_PID}" "${ALONE_URL}" "${ALONE_TOKEN}"
  run "group${round}" "${NODE_PID[${LEADER}]}" "${GROUP_URL}" "${GROUP_TOKEN}"
done
curl -s -H @"${TMP}/admin.header" "http://127.0.0.1:${ADMIN[${LEADER}]}/admin/v1/cluster" >"${TMP}/cluster.json"
for round in 1 2; do
  a="$(result_field "${TMP}/alone${round}.out" rps)" g="$(result_field "${TMP}/group${round}.out" rps)"
  echo "RESULT replica_bench round=${round} alone_rps=${a} group_rps=${g} ratio=$(python3 -c "print(round(${g} / ${a}, 2))") alone_p99_ms=$(result_field "${TMP}/alone${round}.out" p99_ms) group_p99_ms=$(result_field "${TMP}/group${round}.out" p99_ms) group_non2xx=$(result_field "${TMP}/group${round}.out" non2xx)"
done
