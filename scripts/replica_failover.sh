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
SCIMD_ADMIN_TOKEN="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SCIMD_ADMIN_TOKEN
(umask 077 && printf 'Authorization: Bearer %s\n' "${SCIMD_ADMIN_TOKEN}" >"${TMP}/admin.header")

# etcd.
ETCD_CLIENT="$(free_port)" ETCD_PEER="$(free_port)"
ETCD="http://127.0.0.1:${ETCD_CLIENT}"
etcd --name replica --data-dir "${TMP}/etcd" --listen-client-urls "${ETCD}" \
  --advertise-client-urls "${ETCD}" --listen-peer-urls "http://127.0.0.1:${ETCD_PEER}" \
  --initial-advertise-peer-urls "http://127.0.0.1:${ETCD_PEER}" \
  --initial-cluster "replica=http://127.0.0.1:${ETCD_PEER}" >"${TMP}/etcd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -s "${ETCD}/health" | grep -q true && break; sleep 0.1; done
curl -s "${ETCD}/health" | grep -q true || die "etcd did not start"

# The cluster file and the three nodes, each under a supervisor loop that starts it again
# when it ends (as systemd's Restart= would), until the test stops.
declare -A PORT ADMIN REPL
{
  echo 'group = "test"'
  for n in 1 2 3; do
    PORT[${n}]="$(free_port)" ADMIN[${n}]="$(free_port)" REPL[${n}]="$(free_port)"
    printf '[[node]]\nid = %d\nlisten = "127.0.0.1:%s"\nadmin = "127.0.0.1:%s"\nreplication = "127.0.0.1:%s"\n' \
      "${n}" "${PORT[${n}]}" "${ADMIN[${n}]}" "${REPL[${n}]}"
  done
} >"${TMP}/cluster.toml"
supervise() {
  local n="$1"
  while [[ ! -e "${TMP}/stopping" ]]; do
    "${SCIMD}" --node-id "${n}" --cluster "${TMP}/cluster.toml" --etcd "${ETCD}" \
      --data "${TMP}/node${n}" --threads 1 >>"${TMP}/node${n}.log" 2>&1 &
    echo $! >"${TMP}/node${n}.pid"
    wait $! || true
    [[ -e "${TMP}/stopping" ]] && break
    # Down longer than the leader's lease: the others elect one of them meanwhile.
    sleep 5
  done
}
for n in 1 2 3; do
  supervise "${n}" &
  PIDS+=($!)
done
node_pid() { cat "${TMP}/node$1.pid"; }
role() {  # role N: the node's role, or "down"
  curl -s -m 1 -H @"${TMP}/admin.header" "http://127.0.0.1:${ADMIN[$1]}/admin/v1/cluster" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["role"])' 2>/dev/null || echo down
}
leader() {  # the node whose /readyz answers 200, or nothing
  for n in 1 2 3; do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' -m 1 "http://127.0.0.1:${ADMIN[${n}]}/readyz")" == 200 ]] &&
      { echo "${n}"; return; }
  done
}
wait_leader() {
  local l=""
  for _ in $(seq 300); do
    l="$(leader)"
    [[ -n "${l}" ]] && { echo "${l}"; return; }
    sleep 0.1
  done
}
LEADER="$(wait_leader)"
[[ -n "${LEADER}" ]] || die "no leader within 30 s"
log "node ${LEADER} leads"

# A tenant and its token, made through the leader's admin API (and so replicated).
A="http://127.0.0.1:${ADMIN[${LEADER}]}/admin/v1"
curl -sf -H @"${TMP}/admin.header" "${A}/tenants" -d '{"name":"acme"}' >/dev/null || die "tenant"
(umask 077 && curl -sf -H @"${TMP}/admin.header" "${A}/tenants/acme/tokens" -d '{"scope":"scim"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' >"${TMP}/token") || die "token"

# HAProxy: one backend, the three nodes health-checked on /readyz (only the leader passes).
PROXY_PORT="$(free_port)"
cat >"${TMP}/haproxy.cfg" <<CFG
global
  maxconn 1000
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
frontend scim
  bind 127.0.0.1:${PROXY_PORT}
  default_backend group
backend group
  option httpchk GET /readyz
  http-check expect status 200
  server n1 127.0.0.1:${PORT[1]} check port ${ADMIN[1]} inter 300ms fall 1 rise 1
  server n2 127.0.0.1:${PORT[2]} check port ${ADMIN[2]} inter 300ms fall 1 rise 1
  server n3 127.0.0.1:${PORT[3]} check port ${ADMIN[3]} inter 300ms fall 1 rise 1
CFG
haproxy -db -f "${TMP}/haproxy.cfg" >"${TMP}/haproxy.log" 2>&1 &
PIDS+=($!)
URL="http://127.0.0.1:${PROXY_PORT}/scim/v2"
for _ in $(seq 100); do
  [[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "${TMP}/token")" "${URL}/Users?count=1")" == 200 ]] && break
  sleep 0.1
done

# The writers, then the kills.
mkdir -p "${TMP}/acked"
python3 "${SCRIPT_DIR}/replica_load.py" load --url "${URL}" --token-file "${TMP}/token" \
  --clients 8 --seconds $((60 + ROUNDS * 30)) --out "${TMP}/acked" >"${TMP}/load.log" 2>&1 &
LOAD=$!
PIDS+=(${LOAD})
last_ack() {  # the time of the latest acknowledged write sent after time $1 (or 0)
  cat "${TMP}"/acked/acked-*.jsonl 2>/dev/null | python3 -c '
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
touch "${TMP}/acked/stop"
wait "${LOAD}" || true
python3 "${SCRIPT_DIR}/replica_load.py" verify --url "${URL}" --token-file "${TMP}/token" \
  --out "${TMP}/acked" >"${TMP}/verify-final.log" 2>&1 ||
  { cat "${TMP}/verify-final.log" >&2; die "acknowledged writes missing at the end"; }
log "at the end: $(grep RESULT "${TMP}/verify-final.log")"

# The replicas converge: every node at the leader's position.
LEADER="$(wait_leader)"
for _ in $(seq 300); do
  positions="$(for n in 1 2 3; do curl -s -m 1 -H @"${TMP}/admin.header" \
    "http://127.0.0.1:${ADMIN[${n}]}/admin/v1/cluster" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["position"])' 2>/dev/null || echo x; done | sort -u)"
  [[ "$(wc -l <<<"${positions}")" == 1 && "${positions}" != x ]] && break
  sleep 0.1
done
[[ "$(wc -l <<<"${positions}")" == 1 ]] || die "the replicas did not converge: ${positions}"
log "all three nodes at position ${positions}"
touch "${TMP}/stopping"
for n in 1 2 3; do kill -TERM "$(node_pid "${n}")" 2>/dev/null || true; done
for n in 1 2 3; do
  for _ in $(seq 100); do kill -0 "$(node_pid "${n}")" 2>/dev/null || break; sleep 0.1; done
done
for n in 1 2 3; do
  "${SCIMCTL}" --data "${TMP}/node${n}" export acme --out "${TMP}/export${n}.ndjson" >/dev/null 2>&1 ||
    die "export of node ${n}"
  "${SCIMCTL}" --data "${TMP}/node${n}" check acme >"${TMP}/check${n}.log" 2>&1 ||
    { cat "${TMP}/check${n}.log" >&2; die "check of node ${n}"; }
done
cmp -s "${TMP}/export1.ndjson" "${TMP}/export2.ndjson" && cmp -s "${TMP}/export1.ndjson" "${TMP}/export3.ndjson" ||
  die "the replicas' exports differ"
log "exports equal ($(wc -l <"${TMP}/export1.ndjson") resources), check clean on all three"
sorted="$(printf '%s\n' "${FAILOVERS[@]}" | sort -n)"
p50="$(sed -n "$(((${#FAILOVERS[@]} + 1) / 2))p" <<<"${sorted}" 2>/dev/null || true)"
max="$(tail -n 1 <<<"${sorted}")"
reseeds="$(cat "${TMP}"/node?.log | grep -c "seeded from node" || true)"
echo "RESULT replica_failover rounds=${ROUNDS} reseeds=${reseeds} failover_p50_s=${p50} failover_max_s=${max} $(grep RESULT "${TMP}/verify-final.log" | cut -d' ' -f3-)"
