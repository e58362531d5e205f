#!/usr/bin/env bash
# Seeding a replica (issue #25, docs/SCALING.md "Replica groups"): SEED_USERS users (~1 KB)
# written into node 1's store before the group starts (seed_group_bench); nodes 1 and 2
# started (node 2, empty, is seeded from node 1's checkpoint: the leader's WAL does not
# reach back to its start), then node 3 started empty while wrk POSTs to the leader: node 3
# is seeded while the group (leader + node 2) keeps acknowledging writes. Prints each
# seed's time (start to caught up), the peak RSS of leader and seeded node, and the
# leader's POST rate and p99 during node 3's seed.
#
#   scripts/replica_seed_bench.sh [BUILD_DIR]    env: SEED_USERS [1000000]
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
BUILD_DIR="$(cd "${1:-${REPO_ROOT}/build}" && pwd)"
readonly SCIMD="${BUILD_DIR}/tools/scimd"
readonly SCIMCTL="${BUILD_DIR}/tools/scimctl"
readonly SEEDER="${BUILD_DIR}/bench/seed_group_bench"
readonly USERS="${SEED_USERS:-1000000}"
readonly POST_LUA="${REPO_ROOT}/bench/wrk/scim.lua"
log() { echo "replica_seed: $(date +%T) $*"; }
die() { echo "replica_seed: error: $*" >&2; exit 1; }
for tool in wrk etcd; do command -v "${tool}" >/dev/null || die "${tool} is not installed"; done

TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-replica-seed.XXXXXX")"
PIDS=()
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"
trap stop_pids_and_clean EXIT
pin_setup 0
WRK_THREADS=2
admin_setup  # SCIMD_ADMIN_TOKEN and ${TMP}/admin.header

make_tenant "${SCIMCTL}" "${TMP}/node1" acme || die "tenant"
log "seeding ${USERS} users into node 1's store"
"${SEEDER}" --data "${TMP}/node1" --tenant acme --users "${USERS}" >"${TMP}/seed.out" 2>&1 ||
  { cat "${TMP}/seed.out" >&2; die "seeding failed"; }
log "node 1's store: $(du -sh "${TMP}/node1" | cut -f1)"

start_etcd seed || die "etcd did not start"
declare -A PORT ADMIN REPL NODE_PID
write_cluster_file "${TMP}/cluster.toml" 3
start_node() {
  "${SCIMD}" --node-id "$1" --cluster "${TMP}/cluster.toml" --etcd "${ETCD}" \
    --data "${TMP}/node$1" --threads 2 >>"${TMP}/node$1.log" 2>&1 &
  NODE_PID[$1]=$!
  PIDS+=($!)
}
caught_up() {  # caught_up N: the leader sees node N connected with lag < 1000
  curl -s -m 1 -H @"${TMP}/admin.header" "http://127.0.0.1:${ADMIN[1]}/admin/v1/cluster" |
    python3 -c '
import json, sys
j = json.load(sys.stdin)
sys.exit(0 if any(n["id"] == int(sys.argv[1]) and n.get("connected") and n.get("lag", 1 << 60) < 1000
                  for n in j["nodes"]) else 1)' "$1" 2>/dev/null
}
hwm() { awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$1/status" 2>/dev/null || echo 0; }
# A node that re-seeds restarts itself (status 75): keep starting it until it follows.
seed_node() {  # seed_node N: start N and wait (up to 30 min) until it has caught up
  local n="$1" t0 peak=0 h
  t0="$(date +%s.%N)"
  start_node "${n}"
  for _ in $(seq 18000); do
    caught_up "${n}" && break
    if ! kill -0 "${NODE_PID[${n}]}" 2>/dev/null; then
      grep -q "seeded from node" "${TMP}/node${n}.log" || die "node ${n} ended: $(tail -n 3 "${TMP}/node${n}.log")"
      start_node "${n}"
    fi
    h="$(hwm "${NODE_PID[${n}]}")"
    ((h > peak)) && peak="${h}"
    sleep 0.1
  done
  caught_up "${n}" || die "node ${n} did not catch up"
  SEED_SECONDS="$(python3 -c "import time; print(round(time.time() - ${t0}, 1))")"
  SEED_PEAK_MB="${peak}"
  echo "${SEED_SECONDS}" >"${TMP}/seed${n}.seconds"
}

start_node 1
# Alone, node 1 cannot lead (a majority of candidates is 2): node 2 joins first.
seed_node 2 &
SEEDER_JOB=$!
LEADER=""
for _ in $(seq 18000); do
  LEADER="$(group_leader 3)"
  [[ -n "${LEADER}" ]] && break
  sleep 0.1
done
[[ "${LEADER}" == 1 ]] || die "node 1 (the data) does not lead: ${LEADER}"
wait "${SEEDER_JOB}" || die "node 2's seed"
log "node 2 caught up in $(cat "${TMP}/seed2.seconds") s (election included): $(grep -h "replication: seeded from node" "${TMP}/node2.log" | tail -n 1 | sed 's/.*replication: //' | cut -c1-80)"

# Node 3 seeded while wrk writes through the leader.
A="http://127.0.0.1:${ADMIN[1]}/admin/v1"
SCIMD_TOKEN="$(curl -sf -H @"${TMP}/admin.header" "${A}/tenants/acme/tokens" -d '{"scope":"scim"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')" || die "token"
export SCIMD_TOKEN
wrk -t2 -c32 -d600s --timeout 10s -s "${POST_LUA}" "http://127.0.0.1:${PORT[1]}" -- post during- \
  >"${TMP}/during.out" 2>&1 &
WRK=$!
PIDS+=(${WRK})
sleep 2
LEADER_HWM0="$(hwm "${NODE_PID[1]}")"
seed_node 3
kill -INT "${WRK}" 2>/dev/null || true
wait "${WRK}" || true
log "node 3 seeded in ${SEED_SECONDS} s (peak RSS ${SEED_PEAK_MB} MiB) while wrk wrote through the leader"
echo "RESULT replica_seed users=${USERS} store=$(du -sm "${TMP}/node1" | cut -f1)MiB seed_s=${SEED_SECONDS} seeded_peak_rss_mib=${SEED_PEAK_MB} leader_peak_rss_mib=$(hwm "${NODE_PID[1]}") leader_rss_before_mib=${LEADER_HWM0} during: $(grep RESULT "${TMP}/during.out" | cut -d' ' -f2-)"
