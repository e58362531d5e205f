#!/usr/bin/env bash
# An import into a replica group under write load (issue #25, docs/SCALING.md "Replica
# groups"): three nodes and etcd on loopback; wrk POSTs users through the leader for 10 s
# (before), then again while `scimctl import` loads IMPORT_USERS users into another tenant
# on the leader (during). The import's files are staged on the followers beside the log,
# then ingested on all three. Prints the import's time, the staging line of the leader's
# log, the POST rate and p99 before and during, and whether every node ends with the same
# users (an export of the imported tenant from each store) and no follower was re-seeded.
#
#   scripts/replica_import_bench.sh [BUILD_DIR]    env: IMPORT_USERS [1000000]
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
BUILD_DIR="$(cd "${1:-${REPO_ROOT}/build}" && pwd)"
readonly SCIMD="${BUILD_DIR}/tools/scimd"
readonly SCIMCTL="${BUILD_DIR}/tools/scimctl"
readonly USERS="${IMPORT_USERS:-1000000}"
readonly POST_LUA="${REPO_ROOT}/bench/wrk/scim.lua"
log() { echo "replica_import: $(date +%T) $*"; }
die() { echo "replica_import: error: $*" >&2; exit 1; }
for tool in wrk etcd; do command -v "${tool}" >/dev/null || die "${tool} is not installed"; done

TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-replica-import.XXXXXX")"
PIDS=()
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"
cleanup() {
  touch "${TMP}/stopping"
  stop_pids_and_clean
}
trap cleanup EXIT
admin_setup  # SCIMD_ADMIN_TOKEN and ${TMP}/admin.header

log "writing ${USERS} users (~1 KB each) to an NDJSON file"
python3 -c '
import json, sys
pad = "x" * 700
out = sys.stdout
for i in range(int(sys.argv[1])):
    out.write(json.dumps({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                          "userName": "imp%d@example.com" % i, "externalId": "e%d" % i,
                          "active": True, "title": pad,
                          "name": {"givenName": "Given%d" % i, "familyName": "Family%d" % i},
                          "emails": [{"value": "imp%d@example.com" % i, "type": "work"}]}) + "\n")
' "${USERS}" >"${TMP}/import.ndjson"

start_etcd import || die "etcd did not start"
declare -A PORT ADMIN REPL
write_cluster_file "${TMP}/cluster.toml" 3
for n in 1 2 3; do
  "${SCIMD}" --node-id "${n}" --cluster "${TMP}/cluster.toml" --etcd "${ETCD}" \
    --data "${TMP}/node${n}" --threads 2 >>"${TMP}/node${n}.log" 2>&1 &
  echo $! >"${TMP}/node${n}.pid"
  PIDS+=($!)
done
LEADER="$(wait_group_leader 3)"
[[ -n "${LEADER}" ]] || die "no leader"
wait_group_converged 3 || die "the group did not converge"
A="http://127.0.0.1:${ADMIN[${LEADER}]}/admin/v1"
for t in acme big; do
  curl -sf -H @"${TMP}/admin.header" "${A}/tenants" -d "{\"name\":\"${t}\"}" >/dev/null || die "tenant ${t}"
done
SCIMD_TOKEN="$(curl -sf -H @"${TMP}/admin.header" "${A}/tenants/acme/tokens" -d '{"scope":"scim"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')" || die "token"
export SCIMD_TOKEN
URL="http://127.0.0.1:${PORT[${LEADER}]}"
wrk -t2 -c32 -d10s --timeout 10s -s "${POST_LUA}" "${URL}" -- post before- >"${TMP}/before.out" 2>&1
log "before: $(grep RESULT "${TMP}/before.out" | cut -d' ' -f2-)"

wrk -t2 -c32 -d1200s --timeout 10s -s "${POST_LUA}" "${URL}" -- post during- >"${TMP}/during.out" 2>&1 &
WRK=$!
PIDS+=(${WRK})
sleep 2
t0="$(date +%s.%N)"
"${SCIMCTL}" --server "http://127.0.0.1:${ADMIN[${LEADER}]}" import big "${TMP}/import.ndjson" \
  >"${TMP}/import.log" 2>&1 || { tail "${TMP}/import.log" >&2; die "the import failed"; }
IMPORT_S="$(python3 -c "import time; print(round(time.time() - ${t0}, 1))")"
kill -INT "${WRK}" 2>/dev/null || true
wait "${WRK}" || true
STAGED="$(grep -h "an ingest's" "${TMP}/node${LEADER}.log" | tail -n 1 | sed 's/.*replication: //')"
log "import of ${USERS} users: ${IMPORT_S} s; ${STAGED}"
log "during: $(grep RESULT "${TMP}/during.out" | cut -d' ' -f2-)"
wait_group_converged 3 || die "the group did not converge after the import"
RESEEDS="$(cat "${TMP}"/node?.log | grep -c "must be seeded again\|applying the leader's log failed" || true)"
touch "${TMP}/stopping"
group_stop 3
COUNTS=""
for n in 1 2 3; do
  COUNTS+="$("${SCIMCTL}" --data "${TMP}/node${n}" export big 2>/dev/null | wc -l) "
done
log "users of the imported tenant on nodes 1-3: ${COUNTS}; re-seeds or failed applies: ${RESEEDS}"
echo "RESULT replica_import users=${USERS} import_s=${IMPORT_S} reseeds=${RESEEDS} counts=${COUNTS// /,} before: $(grep RESULT "${TMP}/before.out" | cut -d' ' -f2-) during: $(grep RESULT "${TMP}/during.out" | cut -d' ' -f2-)"
