#!/usr/bin/env bash
# A replica group's leader cut off the network (issue #25, docs/SCALING.md "Replica groups";
# ctest replication.partition at a small size). Three scimd nodes, etcd and HAProxy on
# loopback; every connection between nodes, and from each node to etcd, goes through a
# fault-injecting proxy (scripts/fault_proxy.py: one route per pair of nodes, each node
# with a cluster file of its own naming its peers by their routes). Eight writers create
# users and change their group's members through HAProxy. Odd rounds cut the leader off
# from the other nodes and from etcd, even rounds from etcd only (its followers still
# reach it: only its lease stops it acknowledging); its packets are dropped, HAProxy and
# the writers still reach it. Each round checks that:
#   - it stops acknowledging within its lease: a write sent to it directly after the lease
#     (3 s) is never answered 2xx, and its /readyz leaves 200;
#   - the other two elect a leader and writes through HAProxy are acknowledged again;
#   - healed, it rejoins as a follower, and every write acknowledged before the heal is
#     read back through HAProxy.
# At the end: no two nodes acknowledged writes as leader in the same term (each leader
# logs its first acknowledgement), every acknowledged write is present, and the three
# stores export equal and pass `scimctl check`. Loopback only, bounded in time.
#
#   scripts/replica_partition.sh [BUILD_DIR] [ROUNDS]     (ROUNDS: default 5)
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
BUILD_DIR="$(cd "${1:-${REPO_ROOT}/build}" && pwd)"
readonly ROUNDS="${2:-5}"
readonly SCIMD="${BUILD_DIR}/tools/scimd"
readonly SCIMCTL="${BUILD_DIR}/tools/scimctl"
readonly LEASE_S=3  # ReplicaNode's lease TTL
log() { echo "partition: $(date +%T) $*"; }
die() {
  echo "partition: error: $*" >&2
  for n in 1 2 3; do tail -n 15 "${TMP}/node${n}.log" >&2 2>/dev/null || true; done
  exit 1
}
for tool in haproxy etcd; do
  command -v "${tool}" >/dev/null || { echo "partition: ${tool} is not installed: skipped"; exit 77; }
done

TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-partition.XXXXXX")"
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

start_etcd partition || die "etcd did not start"
ETCD_PORT="${ETCD##*:}"

# The shared cluster file gives the real ports; each node's own file names its peers'
# replication addresses by the routes from it to them.
declare -A PORT ADMIN REPL ROUTE ETCD_ROUTE
write_cluster_file "${TMP}/cluster.toml" 3
ROUTES=()
for a in 1 2 3; do
  ETCD_ROUTE[${a}]="$(free_port)"
  ROUTES+=("${ETCD_ROUTE[${a}]}:${ETCD_PORT}:e${a}")  # cut by "e<a>"
  for b in 1 2 3; do
    [[ "${a}" == "${b}" ]] && continue
    ROUTE[${a},${b}]="$(free_port)"
    ROUTES+=("${ROUTE[${a},${b}]}:${REPL[${b}]}:${a},${b}")
  done
  {
    echo 'group = "test"'
    echo "secret-file = \"${TMP}/cluster.toml.secret\""
    for b in 1 2 3; do
      r="${REPL[${b}]}"
      [[ "${a}" == "${b}" ]] || r="${ROUTE[${a},${b}]}"
      printf '[[node]]\nid = %d\nlisten = "127.0.0.1:%s"\nadmin = "127.0.0.1:%s"\nreplication = "127.0.0.1:%s"\n' \
        "${b}" "${PORT[${b}]}" "${ADMIN[${b}]}" "${r}"
    done
  } >"${TMP}/cluster${a}.toml"
done
python3 "${SCRIPT_DIR}/fault_proxy.py" --cut-file "${TMP}/cut" "${ROUTES[@]}" >"${TMP}/proxy.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do grep -q routes "${TMP}/proxy.log" && break; sleep 0.1; done

for n in 1 2 3; do
  group_supervise "${n}" "${TMP}/cluster${n}.toml" "http://127.0.0.1:${ETCD_ROUTE[${n}]}" 2 &
  PIDS+=($!)
done
LEADER="$(wait_group_leader 3)"
[[ -n "${LEADER}" ]] || die "no leader within 30 s"
log "node ${LEADER} leads"
group_tenant "${LEADER}" acme || die "tenant"
start_group_haproxy 3 || die "HAProxy"
URL="http://127.0.0.1:${PROXY_PORT}/scim/v2"
AUTH="Authorization: Bearer $(cat "${TMP}/token")"

mkdir -p "${TMP}/acked"
python3 "${SCRIPT_DIR}/replica_load.py" load --url "${URL}" --token-file "${TMP}/token" \
  --clients 8 --seconds $((300 + ROUNDS * 90)) --out "${TMP}/acked" >"${TMP}/load.log" 2>&1 &
LOAD=$!
PIDS+=(${LOAD})
acked_between() {  # acked_between A B: writes sent after A and acknowledged before B
  cat "${TMP}"/acked/acked-*.jsonl 2>/dev/null | python3 -c '
import json, sys
a, b, n = float(sys.argv[1]), float(sys.argv[2]), 0
for line in sys.stdin:
    try:
        r = json.loads(line)
    except ValueError:
        continue
    n += r["acked"] and r["t0"] > a and r["t"] < b
print(n)' "$1" "$2"
}
now() { date +%s.%N; }
since() { python3 -c "import time; print(round(time.time() - $1, 2))"; }

sleep 3
ELECTIONS=()
for round in $(seq "${ROUNDS}"); do
  wait_group_converged 3 || die "round ${round}: the group did not converge"
  OLD="$(group_leader 3)"
  [[ -n "${OLD}" ]] || die "round ${round}: no leader"
  if ((round % 2 == 1)); then
    echo "${OLD} e${OLD}" >"${TMP}/cut"
    what="from the others and from etcd"
  else
    echo "e${OLD}" >"${TMP}/cut"
    what="from etcd only (its followers still reach it)"
  fi
  CUT_AT="$(now)"
  log "round ${round}: node ${OLD}, the leader, cut off ${what}"
  # Writes straight to the old leader, one every 0.25 s for 8 s, each answer awaited up to
  # 15 s (a write waits up to its ack timeout, 5 s).
  for i in $(seq 32); do
    (t0="$(now)"
     code="$(curl -s -o /dev/null -w '%{http_code}' -m 15 -H "${AUTH}" \
       -H 'Content-Type: application/scim+json' "http://127.0.0.1:${PORT[${OLD}]}/scim/v2/Users" \
       -d "{\"userName\":\"cut-${round}-${i}\"}" 2>/dev/null || true)"
     echo "${t0} ${code} cut-${round}-${i}" >>"${TMP}/direct-${round}.txt") &
    sleep 0.25
  done &
  DIRECT=$!
  # Its /readyz leaves 200 within the lease.
  ready_gone=""
  for _ in $(seq 100); do
    code="$(curl -s -o /dev/null -w '%{http_code}' -m 1 "http://127.0.0.1:${ADMIN[${OLD}]}/readyz" || true)"
    [[ "${code}" != 200 ]] && { ready_gone="$(since "${CUT_AT}")"; break; }
    sleep 0.1
  done
  [[ -n "${ready_gone}" ]] || die "round ${round}: the cut-off leader's /readyz still says 200 after 10 s"
  # Another node leads.
  NEW=""
  for _ in $(seq 200); do
    NEW="$(group_leader 3)"
    [[ -n "${NEW}" && "${NEW}" != "${OLD}" ]] && break
    NEW=""
    sleep 0.1
  done
  [[ -n "${NEW}" ]] || die "round ${round}: no other node leads 20 s after the cut"
  elected="$(since "${CUT_AT}")"
  ELECTIONS+=("${elected}")
  ELECTED_AT="$(now)"
  sleep 4
  wait "${DIRECT}" 2>/dev/null || true
  for _ in $(seq 300); do  # every direct write's answer (curl -m 15)
    [[ "$(wc -l <"${TMP}/direct-${round}.txt")" -ge 32 ]] && break
    sleep 0.1
  done
  late="$(python3 -c '
import sys
cut, lease, n = float(sys.argv[2]), float(sys.argv[3]), 0
for line in open(sys.argv[1]):
    t0, code, _ = line.split()
    n += float(t0) > cut + lease and code.startswith("2")
print(n)' "${TMP}/direct-${round}.txt" "${CUT_AT}" "${LEASE_S}")"
  codes="$(cut -d' ' -f2 "${TMP}/direct-${round}.txt" | sort | uniq -c | tr -s ' \n' ' ')"
  ((late == 0)) || die "round ${round}: the cut-off leader acknowledged ${late} writes after its lease"
  during="$(acked_between "${ELECTED_AT}" "$(now)")"
  ((during > 0)) || die "round ${round}: no write acknowledged through HAProxy under the new leader"
  log "round ${round}: /readyz of node ${OLD} left 200 after ${ready_gone} s; node ${NEW} leads after ${elected} s; direct writes to node ${OLD}: ${codes}(none 2xx after the lease); ${during} writes acknowledged through HAProxy meanwhile"
  : >"${TMP}/cut"
  HEALED_AT="$(now)"
  wait_group_converged 3 || die "round ${round}: the group did not converge after the heal"
  [[ "$(group_state "${OLD}" | cut -d' ' -f1)" == follower ]] ||
    die "round ${round}: node ${OLD} did not rejoin as a follower"
  python3 "${SCRIPT_DIR}/replica_load.py" verify --url "${URL}" --token-file "${TMP}/token" \
    --out "${TMP}/acked" --before "${HEALED_AT}" >"${TMP}/verify-${round}.log" 2>&1 ||
    { cat "${TMP}/verify-${round}.log" >&2; die "round ${round}: acknowledged writes missing"; }
  # A direct write acknowledged (sent before the proxy's cut took hold) is there too.
  while read -r _ code name; do
    [[ "${code}" == 2* ]] || continue
    curl -s -m 5 -H "${AUTH}" "${URL}/Users?filter=userName%20eq%20%22${name}%22" |
      grep -q '"totalResults":1' || die "round ${round}: ${name}, acknowledged by node ${OLD}, is missing"
  done <"${TMP}/direct-${round}.txt"
  log "round ${round}: healed, node ${OLD} follows again after $(since "${HEALED_AT}") s; $(grep RESULT "${TMP}/verify-${round}.log" | cut -d' ' -f3-)"
done

# An import and a tenant's arrival from a server outside the group: their files enter the
# leader's store by an ingest, which the log carries to the followers with the files (no
# follower is re-seeded or fails to apply the log meanwhile).
wait_group_converged 3 || die "the group did not converge before the import"
reseeds() { cat "${TMP}"/node?.log | grep -c "must be seeded again\|applying the leader's log failed" || true; }
RESEEDS_BEFORE="$(reseeds)"
LEADER="$(group_leader 3)"
[[ -n "${LEADER}" ]] || die "no leader for the import"
LEADER_ADMIN="http://127.0.0.1:${ADMIN[${LEADER}]}"
python3 -c '
import json
for i in range(3000):
    print(json.dumps({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                      "userName": "imp%d@example.com" % i, "active": True}))' >"${TMP}/import.ndjson"
loaded_tenant() {  # loaded_tenant ADMIN_URL NAME USERS: the tenant, its first USERS users imported
  curl -sf -H @"${TMP}/admin.header" "$1/admin/v1/tenants" -d "{\"name\":\"$2\"}" >/dev/null ||
    die "tenant $2"
  head -n "$3" "${TMP}/import.ndjson" >"${TMP}/$2.ndjson"
  "${SCIMCTL}" --server "$1" import "$2" "${TMP}/$2.ndjson" >"${TMP}/$2.log" 2>&1 ||
    { cat "${TMP}/$2.log" >&2; die "the import into $2 at $1 failed"; }
}
loaded_tenant "${LEADER_ADMIN}" imported 3000
log "imported 3000 users into the group's leader, node ${LEADER}, under the writers' load"
"${SCIMD}" --listen 127.0.0.1:0 --port-file "${TMP}/outside.port" --data "${TMP}/outside" \
  --admin-listen 127.0.0.1:0 --admin-port-file "${TMP}/outside.admin" --threads 1 \
  >"${TMP}/outside.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [[ -s "${TMP}/outside.admin" ]] && break; sleep 0.1; done
OUTSIDE="http://127.0.0.1:$(tr -d '[:space:]' <"${TMP}/outside.admin")"
loaded_tenant "${OUTSIDE}" visitor 1000
"${SCIMCTL}" --server "${OUTSIDE}" tenant move visitor --to group --to-server "${LEADER_ADMIN}" \
  >"${TMP}/move.log" 2>&1 || { cat "${TMP}/move.log" >&2; die "the move into the group failed"; }
log "tenant visitor moved into the group: $(grep '^moved' "${TMP}/move.log")"
# And a tenant leaving the group: made and loaded on the leader, moved to the outside
# server; the source's copy is deleted on all three replicas (through the log).
loaded_tenant "${LEADER_ADMIN}" leaving 500
"${SCIMCTL}" --server "${LEADER_ADMIN}" tenant move leaving --to outside --to-server "${OUTSIDE}" \
  >"${TMP}/move-out.log" 2>&1 || { cat "${TMP}/move-out.log" >&2; die "the move out of the group failed"; }
left="$("${SCIMCTL}" --server "${OUTSIDE}" export leaving 2>/dev/null | wc -l)"
[[ "${left}" == 500 ]] || die "the tenant that left the group has ${left} resources outside, not 500"
log "tenant leaving moved out of the group: $(grep '^moved' "${TMP}/move-out.log"); 500 resources outside"

wait_group_converged 3 || die "the group did not converge after the import and the move"
[[ "$(reseeds)" == "${RESEEDS_BEFORE}" ]] ||
  die "a follower was re-seeded or failed to apply the log around the import or the move"
for _ in $(seq 50); do
  [[ -z "$(ls -A "${TMP}/node${LEADER}/replication-ingests" 2>/dev/null | grep -v inbox)" ]] && break
  sleep 0.1
done
[[ -z "$(ls -A "${TMP}/node${LEADER}/replication-ingests" 2>/dev/null | grep -v inbox)" ]] ||
  die "the leader still keeps ingest files every follower holds"
staged="$(grep -h "staged on a majority" "${TMP}/node${LEADER}.log" | wc -l)"
((staged >= 2)) || die "the import's and the move's files were not staged ahead of their ingests"
log "both followers took the import and the move from the log (no re-seed; files staged ahead: $(grep -h "staged on a majority" "${TMP}/node${LEADER}.log" | tail -n 1 | sed 's/.*replication: //')); the leader kept no files after"

touch "${TMP}/acked/stop"
wait "${LOAD}" || true
python3 "${SCRIPT_DIR}/replica_load.py" verify --url "${URL}" --token-file "${TMP}/token" \
  --out "${TMP}/acked" >"${TMP}/verify-final.log" 2>&1 ||
  { cat "${TMP}/verify-final.log" >&2; die "acknowledged writes missing at the end"; }
terms="$(group_terms_single 3)" || die "two leaders acknowledged writes in one term"
wait_group_converged 3 || die "the replicas did not converge"
touch "${TMP}/stopping"
group_stop 3
resources="$(group_compare 3 acme)" || die "the replicas differ or fail their check"
log "exports equal (${resources} resources), check clean on all three; one leader per term (${terms})"
for tenant_count in imported:3000 visitor:1000; do
  got="$(group_compare 3 "${tenant_count%%:*}")" || die "tenant ${tenant_count%%:*} differs between the replicas"
  [[ "${got}" == "${tenant_count##*:}" ]] || die "tenant ${tenant_count%%:*} has ${got} resources, not ${tenant_count##*:}"
  log "tenant ${tenant_count%%:*}: ${got} resources on each replica, equal, check clean"
done
for n in 1 2 3; do
  if "${SCIMCTL}" --data "${TMP}/node${n}" export leaving >"${TMP}/leaving${n}.ndjson" 2>/dev/null &&
    [[ -s "${TMP}/leaving${n}.ndjson" ]]; then
    die "node ${n} still holds the tenant that moved out of the group"
  fi
done
log "tenant leaving: gone from all three replicas"
sorted="$(printf '%s\n' "${ELECTIONS[@]}" | sort -n)"
echo "RESULT replica_partition rounds=${ROUNDS} ${terms} election_max_s=$(tail -n 1 <<<"${sorted}") $(grep RESULT "${TMP}/verify-final.log" | cut -d' ' -f3-)"
