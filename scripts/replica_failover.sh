#!/usr/bin/env bash
# A replica group of three scimd nodes (issue #25, docs/SCALING.md "Replica groups"; ctest
# replication.failover at a small size): etcd and HAProxy on loopback, HAProxy sending the
# group's traffic to the node whose /readyz says 200 (the leader). Eight writers create
# users and change their group's members through HAProxy (scripts/replica_load.py) while
# the leader is killed with kill -9 at random moments, ROUNDS times; a supervisor loop
# starts every node that ended again (it rejoins as a follower, re-seeded when it holds
# writes nobody acknowledged). After each failover every write acknowledged before the kill
# is read back through HAProxy from the new leader; at the end the three stores are
# exported (equal bytes) and checked (`scimctl check`). Prints each failover's time (the
# kill to the first acknowledged write after it). Loopback only, bounded in time.
#
#   scripts/replica_failover.sh [BUILD_DIR] [ROUNDS]     (ROUNDS: default 10)
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
BUILD_DIR="$(cd "${1:-${REPO_ROOT}/build}" && pwd)"
readonly ROUNDS="${2:-10}"
readonly SCIMD="${BUILD_DIR}/tools/scimd"
readonly SCIMCTL="${BUILD_DIR}/tools/scimctl"
log() { echo "replica: $(date +%T) $*"; }
die() {
  echo "replica: error: $*" >&2
  for n in 1 2 3; do tail -n 15 "${TMP}/node${n}.log" >&2 2>/dev/null || true; done
  exit 1
}
for tool in haproxy etcd; do
  command -v "${tool}" >/dev/null || { echo "replica: ${tool} is not installed: skipped"; exit 77; }
done

TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-replica.XXXXXX")"
PIDS=()
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"
cleanup() {
  touch "${TMP}/stopping"
  stop_pids_and_clean
}
trap cleanup EXIT
[[ -n "${REPLICA_KEEP:-}" ]] && trap - EXIT
admin_setup  # SCIMD_ADMIN_TOKEN and ${TMP}/admin.header

start_etcd replica || die "etcd did not start"

# The cluster file and the three nodes, each under a supervisor loop that starts it again
# when it ends (as systemd's Restart= would), until the test stops.
declare -A PORT ADMIN REPL
write_cluster_file "${TMP}/cluster.toml" 3
for n in 1 2 3; do
  # Down longer than the leader's lease: the others elect one of them meanwhile.
  group_supervise "${n}" "${TMP}/cluster.toml" "${ETCD}" 5 &
  PIDS+=($!)
done
node_pid() { cat "${TMP}/node$1.pid"; }
state() { group_state "$1"; }
wait_converged() { wait_group_converged 3; }
role() { state "$1" | cut -d' ' -f1; }  # role N: the node's role, or "down"
leader() { group_leader 3; }
wait_leader() { wait_group_leader 3; }
LEADER="$(wait_leader)"
[[ -n "${LEADER}" ]] || die "no leader within 30 s"
log "node ${LEADER} leads"

group_tenant "${LEADER}" acme || die "tenant"
start_group_haproxy 3 || die "HAProxy"
URL="http://127.0.0.1:${PROXY_PORT}/scim/v2"

# The writers, then the kills.
mkdir -p "${TMP}/acked"
python3 "${SCRIPT_DIR}/replica_load.py" load --url "${URL}" --token-file "${TMP}/token" \
  --clients 8 --seconds $((600 + ROUNDS * 120)) --out "${TMP}/acked" >"${TMP}/load.log" 2>&1 &
LOAD=$!
PIDS+=(${LOAD})
last_ack() {  # the time of the latest acknowledged write sent after time $1 (or 0)
  # Each writer appends in time order: the ends of the files are enough.
  tail -q -n 50 "${TMP}"/acked/acked-*.jsonl 2>/dev/null | python3 -c '
import json, sys
since, t = float(sys.argv[1]), 0
for line in sys.stdin:
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r["acked"] and r["t0"] > since: t = max(t, r["t"])
print(t)' "${1:-0}"
}
first_ack() {  # the time of the first acknowledged write sent after time $1
  cat "${TMP}"/acked/acked-*.jsonl 2>/dev/null | python3 -c '
import json, sys
since, t = float(sys.argv[1]), None
for line in sys.stdin:
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r["acked"] and r["t0"] > since: t = r["t"] if t is None else min(t, r["t"])
print(t)' "$1"
}
sleep 3
FAILOVERS=()
for round in $(seq "${ROUNDS}"); do
  sleep "$(python3 -c 'import random; print(round(random.uniform(1, 4), 2))')"
  LEADER="$(wait_leader)"
  [[ -n "${LEADER}" ]] || die "round ${round}: no leader"
  kill -9 "$(node_pid "${LEADER}")"
  KILLED_AT="$(date +%s.%N)"
  log "round ${round}: killed the leader, node ${LEADER}"
  # The failover: the first write sent after the kill and acknowledged.
  ok=0
  for _ in $(seq 300); do
    if python3 -c "import sys; sys.exit(0 if float('$(last_ack "${KILLED_AT}")') > 0 else 1)"; then ok=1; break; fi
    sleep 0.1
  done
  ((ok)) || die "round ${round}: no write acknowledged within 30 s of the kill"
  FIRST="$(first_ack "${KILLED_AT}")"
  FAILOVERS+=("$(python3 -c "print(round(${FIRST} - ${KILLED_AT}, 2))")")
  NEW="$(wait_leader)"
  log "round ${round}: node ${NEW} leads; first write acknowledged $(python3 -c "print(round(${FIRST} - ${KILLED_AT}, 2))") s after the kill"
  python3 "${SCRIPT_DIR}/replica_load.py" verify --url "${URL}" --token-file "${TMP}/token" \
    --out "${TMP}/acked" --before "${KILLED_AT}" >"${TMP}/verify-${round}.log" 2>&1 ||
    { cat "${TMP}/verify-${round}.log" >&2; die "round ${round}: acknowledged writes missing"; }
  log "round ${round}: $(grep RESULT "${TMP}/verify-${round}.log")"
done
# A stopped follower (SIGSTOP) does not stop the group: writes go on with the other one.
wait_converged || die "the group did not come back together after the kills"
LEADER="$(wait_leader)"
FOLLOWER=$((LEADER % 3 + 1))
kill -STOP "$(node_pid "${FOLLOWER}")"
STOPPED_AT="$(date +%s.%N)"
sleep 5
kill -CONT "$(node_pid "${FOLLOWER}")"
acked_while_stopped="$(cat "${TMP}"/acked/acked-*.jsonl | python3 -c '
import json, sys
a, b = float(sys.argv[1]), float(sys.argv[2])
n = 0
for line in sys.stdin:
    try:
        r = json.loads(line)
    except ValueError:
        continue
    n += r["acked"] and a + 1 <= r["t0"] and r["t"] <= b
print(n)' "${STOPPED_AT}" "$(date +%s.%N)")"
((acked_while_stopped > 0)) || die "no write acknowledged while follower ${FOLLOWER} was stopped"
log "follower ${FOLLOWER} stopped for 5 s: ${acked_while_stopped} writes acknowledged meanwhile"

# A leader cut off (paused with SIGSTOP past its lease): the others elect a new leader;
# resumed, the old one acknowledges nothing more and ends (to rejoin as a follower).
wait_converged || die "the group did not come back together after the stopped follower"
OLD="$(wait_leader)"
kill -STOP "$(node_pid "${OLD}")"
PAUSED_AT="$(date +%s.%N)"
for _ in $(seq 150); do
  NEW="$(leader)"
  [[ -n "${NEW}" && "${NEW}" != "${OLD}" ]] && break
  sleep 0.1
done
[[ -n "${NEW}" && "${NEW}" != "${OLD}" ]] || die "no new leader while node ${OLD} was paused"
log "node ${OLD} paused: node ${NEW} leads after $(python3 -c "import time; print(round(time.time() - ${PAUSED_AT}, 2))") s"
OLD_PID="$(node_pid "${OLD}")"
kill -CONT "${OLD_PID}"
for _ in $(seq 100); do kill -0 "${OLD_PID}" 2>/dev/null || break; sleep 0.1; done
kill -0 "${OLD_PID}" 2>/dev/null && die "the old leader, node ${OLD}, went on after its lease ended"
grep -q "is no longer this node's\|could not be renewed\|lease expired" "${TMP}/node${OLD}.log" ||
  die "the old leader ended without saying it lost its term"
log "resumed, the old leader ended: $(grep -h "ending the process" "${TMP}/node${OLD}.log" | tail -n 1 | cut -c1-160)"

touch "${TMP}/acked/stop"
wait "${LOAD}" || true

# A write only the leader holds is never acknowledged and is discarded: both followers
# killed, a POST to the leader (committed there, no majority), the leader paused while the
# followers come back and elect one of them, then the old leader resumed: it ends, comes
# back, is not a prefix of the new leader's log and is re-seeded from its checkpoint.
# (A follower merely stopped would still hold the write in its socket buffer and apply it
# when resumed: an unacknowledged write may also survive.)
wait_converged || die "the group did not come back together after the pause"
OLD="$(wait_leader)"
[[ -n "${OLD}" ]] || die "no leader before the discard test"
OLD_PID="$(node_pid "${OLD}")"
seeds_before="$(grep -c "replication: seeded from node" "${TMP}/node${OLD}.log" || true)"
seeded() { (($(grep -c "replication: seeded from node" "${TMP}/node${OLD}.log" || true) > seeds_before)); }
for n in 1 2 3; do [[ "${n}" == "${OLD}" ]] || kill -KILL "$(node_pid "${n}")"; done
AUTH="Authorization: Bearer $(cat "${TMP}/token")"
curl -s -o /dev/null -w '%{http_code}' -m 30 -H "${AUTH}" -H 'Content-Type: application/scim+json' \
  "http://127.0.0.1:${PORT[${OLD}]}/scim/v2/Users" -d '{"userName":"never-acknowledged"}' \
  >"${TMP}/unacked.code" 2>/dev/null &
CURL=$!
sleep 0.5  # committed on the leader; its answer waits for a majority
kill -STOP "${OLD_PID}"
for _ in $(seq 200); do
  NEW="$(leader)"
  [[ -n "${NEW}" && "${NEW}" != "${OLD}" ]] && break
  sleep 0.1
done
[[ -n "${NEW}" && "${NEW}" != "${OLD}" ]] || die "the followers elected no leader"
kill -CONT "${OLD_PID}"
wait "${CURL}" || true
[[ "$(cat "${TMP}/unacked.code")" != 2* ]] || die "a write no follower held was acknowledged"
for _ in $(seq 300); do
  seeded && [[ "$(role "${OLD}")" == follower ]] && break
  sleep 0.1
done
seeded || die "the old leader was not re-seeded"
[[ "$(role "${OLD}")" == follower ]] || die "the re-seeded node did not come back as a follower"
code="$(curl -s -o "${TMP}/discarded.json" -w '%{http_code}' -m 5 -H "${AUTH}" \
  "http://127.0.0.1:${PROXY_PORT}/scim/v2/Users?filter=userName%20eq%20%22never-acknowledged%22")"
[[ "${code}" == 200 ]] && grep -q '"totalResults":0' "${TMP}/discarded.json" ||
  die "the unacknowledged write is visible: ${code} $(cat "${TMP}/discarded.json")"
log "node ${OLD}'s unacknowledged write was discarded: $(grep -h "replication: seeded from node" "${TMP}/node${OLD}.log" | tail -n 1 | sed 's/.*replication: //' | cut -c1-120)"
python3 "${SCRIPT_DIR}/replica_load.py" verify --url "${URL}" --token-file "${TMP}/token" \
  --out "${TMP}/acked" >"${TMP}/verify-final.log" 2>&1 ||
  { cat "${TMP}/verify-final.log" >&2; die "acknowledged writes missing at the end"; }
log "at the end: $(grep RESULT "${TMP}/verify-final.log")"
terms="$(group_terms_single 3)" || die "two leaders acknowledged writes in one term"
log "one leader acknowledged writes in each term (${terms})"

# The replicas converge: every node at the leader's position.
wait_converged || die "the replicas did not converge"
LEADER="$(wait_leader)"
positions="$(state "${LEADER}" | cut -d' ' -f2)"
log "both followers caught up with the leader (position ${positions})"
"${SCIMCTL}" --server "http://127.0.0.1:${ADMIN[${LEADER}]}" cluster status >"${TMP}/status.txt" ||
  die "scimctl cluster status"
sed 's/^/replica: /' "${TMP}/status.txt"
"${SCIMCTL}" --server "http://127.0.0.1:${ADMIN[${LEADER}]}" cluster status --json |
  python3 -c '
import json, sys
j = json.load(sys.stdin)
roles = sorted(n["role"] for n in j["nodes"])
assert roles == ["follower", "follower", "leader"], roles
# (the leader writes a little all the time, the /readyz probes of HAProxy: a lag of a few)
assert all(n["lag"] < 1000 and n["connected"] for n in j["nodes"]), j' || die "cluster status --json"

touch "${TMP}/stopping"
group_stop 3
resources="$(group_compare 3 acme)" || die "the replicas differ or fail their check"
log "exports equal (${resources} resources), check clean on all three"
# Two of three down (the group started again): the leader reads and refuses writes.
for n in 1 2 3; do
  "${SCIMD}" --node-id "${n}" --cluster "${TMP}/cluster.toml" --etcd "${ETCD}" \
    --data "${TMP}/node${n}" --threads 1 >>"${TMP}/node${n}.log" 2>&1 &
  echo $! >"${TMP}/node${n}.pid"
  PIDS+=($!)
done
LEADER="$(wait_leader)"
[[ -n "${LEADER}" ]] || die "no leader after the restart"
for n in 1 2 3; do
  [[ "${n}" == "${LEADER}" ]] || kill -KILL "$(node_pid "${n}")" 2>/dev/null || true
done
AUTH="Authorization: Bearer $(cat "${TMP}/token")"
code="$(curl -s -o "${TMP}/two-down.json" -w '%{http_code}' -m 20 -H "${AUTH}" \
  -H 'Content-Type: application/scim+json' "http://127.0.0.1:${PORT[${LEADER}]}/scim/v2/Users" \
  -d '{"userName":"two-down"}')"
[[ "${code}" == 503 ]] || die "a write with two of three nodes down got ${code}"
grep -q "majority" "${TMP}/two-down.json" || die "the 503 does not say why: $(cat "${TMP}/two-down.json")"
code="$(curl -s -o /dev/null -w '%{http_code}' -m 5 -H "${AUTH}" "http://127.0.0.1:${PORT[${LEADER}]}/scim/v2/Users?count=1")"
[[ "${code}" == 200 ]] || die "a read with two of three nodes down got ${code}"
log "two of three nodes down: writes 503 ($(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["detail"][:90])' "${TMP}/two-down.json")...), reads 200"
sorted="$(printf '%s\n' "${FAILOVERS[@]}" | sort -n)"
p50="$(sed -n "$(((${#FAILOVERS[@]} + 1) / 2))p" <<<"${sorted}" 2>/dev/null || true)"
max="$(tail -n 1 <<<"${sorted}")"
reseeds="$(cat "${TMP}"/node?.log | grep -c "replication: seeded from node" || true)"
# Why: a store holding writes no majority took (a killed or paused leader's last commits),
# or a log that no longer reaches back to the follower.
diverged="$(cat "${TMP}"/node?.log | grep "must be seeded again" | grep -c "is not a prefix" || true)"
echo "RESULT replica_failover rounds=${ROUNDS} reseeds=${reseeds} reseeds_diverged=${diverged} failover_p50_s=${p50} failover_max_s=${max} $(grep RESULT "${TMP}/verify-final.log" | cut -d' ' -f3-)"
