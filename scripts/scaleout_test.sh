#!/usr/bin/env bash
# Two scimd nodes behind HAProxy, each owning one tenant (issue #21, docs/SCALING.md;
# ctest scaleout.haproxy). packaging/haproxy/scimd.cfg.in with a map file of tenant ->
# node: tenant alpha lives on node A, beta on node B. Checks: users provisioned through
# the proxy by path (/t/<tenant>/scim/v2) and by host (<tenant>.scim.test) land on their
# tenant's node and nowhere else; an unknown tenant gets a SCIM 404 from the proxy; the
# nodes' logs name the client through X-Forwarded-For (--trusted-proxy 127.0.0.1); and a
# map entry changed through HAProxy's admin socket (`set map`, no reload) sends a
# tenant's next request to the other node. Loopback only, bounded in time.
#
#   scripts/scaleout_test.sh [BUILD_DIR]
#
# Then, when etcd is installed: etcd on loopback, `scimctl cluster join` for each node (its
# key kept while its /readyz answers 200), `cluster place` for each tenant, and `cluster
# reconcile` writing the map: the route follows etcd, a stopped node's tenant becomes
# unplaced (the SCIM 404) within seconds, and placing it elsewhere routes it there; and
# `scimctl tenant move` carries a tenant to the other node under write load through the
# proxy, its route switched in etcd and HAProxy, nothing acknowledged lost.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
BUILD_DIR="$(cd "${1:-${REPO_ROOT}/build}" && pwd)"
readonly SCIMD="${BUILD_DIR}/tools/scimd"
readonly SCIMCTL="${BUILD_DIR}/tools/scimctl"
log() { echo "scaleout: $*"; }
die() { echo "scaleout: error: $*" >&2; exit 1; }
command -v haproxy >/dev/null || { echo "scaleout: haproxy is not installed: skipped"; exit 77; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-scaleout.XXXXXX")"
PIDS=()
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"
trap stop_pids_and_clean EXIT
[[ -n "${SCALEOUT_KEEP:-}" ]] && trap - EXIT

# Two nodes, a tenant each; tokens kept in files, never printed.
declare -A PORT ADMIN TOKEN NODE_PID
# One admin token for both nodes (a move speaks to both); kept in the environment only.
SCIMD_ADMIN_TOKEN="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SCIMD_ADMIN_TOKEN
for node in a b; do
  tenant="$([[ ${node} == a ]] && echo alpha || echo beta)"
  make_tenant "${SCIMCTL}" "${TMP}/data-${node}" "${tenant}" || die "tenant ${tenant}"
  TOKEN[${tenant}]="${SCIMD_TOKEN}"
  "${SCIMD}" --listen 127.0.0.1:0 --port-file "${TMP}/${node}.port" --data "${TMP}/data-${node}" \
    --admin-listen 127.0.0.1:0 --admin-port-file "${TMP}/${node}.admin" --threads 1 \
    --trusted-proxy 127.0.0.1 --log-access "${TMP}/${node}.access" >"${TMP}/${node}.log" 2>&1 &
  NODE_PID[${node}]=$!
  PIDS+=($!)
done
for node in a b; do
  for _ in $(seq 100); do [[ -s "${TMP}/${node}.admin" ]] && break; sleep 0.1; done
  [[ -s "${TMP}/${node}.admin" ]] || { cat "${TMP}/${node}.log" >&2; die "node ${node} did not start"; }
  PORT[${node}]="$(cat "${TMP}/${node}.port")"
  ADMIN[${node}]="$(cat "${TMP}/${node}.admin")"
done

# HAProxy from the shipped template: one backend per node, health-checked on /readyz.
PROXY_PORT="$(free_port)"
{
  printf 'alpha node_a\nbeta node_b\n'
} >"${TMP}/tenants.map"
backends=""
for node in a b; do
  backends+="backend node_${node}
    option httpchk GET /readyz
    http-check expect status 200
    server ${node} 127.0.0.1:${PORT[${node}]} check port ${ADMIN[${node}]} inter 500ms fall 2 rise 1
"
done
python3 - "${REPO_ROOT}/packaging/haproxy/scimd.cfg.in" "${TMP}/haproxy.cfg" \
  "${TMP}/haproxy.sock" "127.0.0.1:${PROXY_PORT}" "${TMP}/tenants.map" "${backends}" <<'PY'
import sys
src, dst, sock, listen, mapfile, backends = sys.argv[1:]
text = open(src).read()
for k, v in {"@SOCKET@": sock, "@LISTEN@": listen, "@MAP@": mapfile, "@BACKENDS@": backends}.items():
    text = text.replace(k, v)
open(dst, "w").write(text)
PY
haproxy -c -f "${TMP}/haproxy.cfg" >/dev/null || die "the generated HAProxy configuration is refused"
haproxy -db -f "${TMP}/haproxy.cfg" >"${TMP}/haproxy.log" 2>&1 &
PIDS+=($!)
PROXY="http://127.0.0.1:${PROXY_PORT}"
for _ in $(seq 100); do
  curl -s -o /dev/null "${PROXY}/t/alpha/scim/v2/ServiceProviderConfig" && break
  sleep 0.1
done
sleep 1  # the first health checks

status() { curl -s -o "${TMP}/body" -w '%{http_code}' "$@"; }
create() {  # create TENANT USER [curl args...]: POST through the proxy, by path unless args given
  local tenant="$1" user="$2"
  shift 2
  local url="${PROXY}/t/${tenant}/scim/v2/Users"
  [[ $# -gt 0 ]] && url="${PROXY}/scim/v2/Users"
  # From 127.0.0.2: the proxy's X-Forwarded-For names it, the node trusts the proxy.
  status --interface 127.0.0.2 -H "Authorization: Bearer ${TOKEN[${tenant}]}" \
    -H 'Content-Type: application/scim+json' --data-binary "{\"userName\":\"${user}\"}" "$@" \
    "${url}"
}
found_on() {  # found_on NODE TENANT USER -> totalResults on that node directly
  curl -s -H "Authorization: Bearer ${TOKEN[$2]}" \
    "http://127.0.0.1:${PORT[$1]}/scim/v2/Users?filter=userName%20eq%20%22$3%22" |
    sed -n 's/.*"totalResults":\([0-9]*\).*/\1/p'
}

[[ "$(create alpha a1@example.com)" == 201 ]] || die "alpha by path: $(cat "${TMP}/body")"
[[ "$(create beta b1@example.com)" == 201 ]] || die "beta by path: $(cat "${TMP}/body")"
[[ "$(create beta b2@example.com -H 'Host: beta.scim.test')" == 201 ]] ||
  die "beta by host: $(cat "${TMP}/body")"
[[ "$(create alpha a2@example.com -H 'Host: alpha.scim.test')" == 201 ]] ||
  die "alpha by host: $(cat "${TMP}/body")"
for pair in "a alpha a1@example.com" "a alpha a2@example.com" "b beta b1@example.com" "b beta b2@example.com"; do
  read -r node tenant user <<<"${pair}"
  [[ "$(found_on "${node}" "${tenant}" "${user}")" == 1 ]] || die "${user} is not on node ${node}"
done
# The other node has no such tenant at all: its token is unknown there.
[[ "$(status -H "Authorization: Bearer ${TOKEN[alpha]}" "http://127.0.0.1:${PORT[b]}/scim/v2/Users")" == 401 ]] ||
  die "alpha's token works on node b"
log "alpha's users on node a, beta's on node b, by path and by host"

[[ "$(status "${PROXY}/t/gamma/scim/v2/Users")" == 404 ]] || die "an unplaced tenant: not 404"
grep -q '"detail":"no scimd node serves this tenant"' "${TMP}/body" || die "the 404 is not a SCIM error"
sleep 0.5  # the access log is flushed every 200 ms
grep -q '"client":"127.0.0.2"' "${TMP}/a.access" || die "node a does not see the client behind the proxy"
log "an unplaced tenant gets a SCIM 404 from the proxy; nodes see the client through it"

# A move's switch: beta's entry now points at node a (where beta does not exist: its
# token is refused there, which shows the route changed without a reload).
python3 - "${TMP}/haproxy.sock" "set map ${TMP}/tenants.map beta node_a" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
s.shutdown(socket.SHUT_WR)
out = s.recv(4096).decode().strip()
if out:
    sys.exit("haproxy said: " + out)
PY
[[ "$(create beta b3@example.com)" == 401 ]] || die "beta after the switch: $(cat "${TMP}/body")"
[[ "$(create alpha a3@example.com)" == 201 ]] || die "alpha after the switch"
log "a map entry changed at run time routes the tenant's next request to the other node"

# Placement in etcd: the nodes register while ready, the reconciler writes the map.
if ! command -v etcd >/dev/null; then
  log "etcd is not installed: its part skipped"
  echo "RESULT scaleout nodes=2 tenants=2 etcd=skipped ok=1"
  exit 0
fi
start_etcd scaleout || die "etcd did not start"
declare -A JOIN
for node in a b; do
  "${SCIMCTL}" cluster --etcd "${ETCD}" join "${node}" --address "127.0.0.1:${PORT[${node}]}" \
    --ready "http://127.0.0.1:${ADMIN[${node}]}/readyz" --admin "http://127.0.0.1:${ADMIN[${node}]}" \
    --ttl 3 >"${TMP}/join-${node}.log" 2>&1 &
  JOIN[${node}]=$!
  PIDS+=($!)
done
"${SCIMCTL}" cluster --etcd "${ETCD}" place alpha a >/dev/null || die "place alpha"
"${SCIMCTL}" cluster --etcd "${ETCD}" place beta b >/dev/null || die "place beta"
"${SCIMCTL}" cluster --etcd "${ETCD}" reconcile --haproxy-socket "${TMP}/haproxy.sock" \
  --map "${TMP}/tenants.map" --interval 0.2 >"${TMP}/reconcile.log" 2>&1 &
PIDS+=($!)
until_status() {  # until_status CODE SECONDS TENANT USER: a create through the proxy gets CODE
  local want="$1" seconds="$2" tenant="$3" user="$4" got=""
  for _ in $(seq $((seconds * 10))); do
    got="$(create "${tenant}" "${user}")"
    [[ "${got}" == "${want}" ]] && return 0
    sleep 0.1
  done
  echo "last status ${got}: $(cat "${TMP}/body")" >&2
  return 1
}
# beta's route was moved by hand above; etcd says node b: the reconciler puts it back.
until_status 201 10 beta b4@example.com || die "the reconciler did not route beta to node b"
[[ "$(found_on b beta b4@example.com)" == 1 ]] || die "b4 is not on node b"
log "etcd's placement (nodes registered while ready) written to HAProxy's map"

# alpha moves from node a to node b (`scimctl tenant move`, node b's admin URL from etcd)
# while a client provisions it through the proxy: every user the proxy acknowledged is on
# node b afterwards, and the proxy sends alpha there.
(
  for i in $(seq 2000); do
    [[ -e "${TMP}/stop-writer" ]] && break
    echo "$(create alpha "m${i}@example.com") m${i}@example.com"
  done
) >"${TMP}/writer.txt" &
WRITER=$!
for _ in $(seq 100); do [[ $(wc -l <"${TMP}/writer.txt") -ge 20 ]] && break; sleep 0.05; done
"${SCIMCTL}" --server "http://127.0.0.1:${ADMIN[a]}" tenant move alpha --to b --etcd "${ETCD}" \
  --haproxy-socket "${TMP}/haproxy.sock" --map "${TMP}/tenants.map" >"${TMP}/move.log" 2>&1 ||
  { cat "${TMP}/move.log" >&2; die "the move failed"; }
sleep 0.5  # writes after the switch
touch "${TMP}/stop-writer"
wait "${WRITER}"
acked=0 refused=0
while read -r code user; do
  case "${code}" in
    201)
      acked=$((acked + 1))
      [[ "$(found_on b alpha "${user}")" == 1 ]] || die "${user} was acknowledged, is not on node b"
      ;;
    503) refused=$((refused + 1)) ;;
    *) die "a write during the move got ${code}" ;;
  esac
done <"${TMP}/writer.txt"
[[ ${acked} -ge 20 ]] || die "only ${acked} writes acknowledged around the move"
[[ "$(found_on b alpha a1@example.com)" == 1 ]] || die "alpha's older users are not on node b"
[[ "$(status -H "Authorization: Bearer ${TOKEN[alpha]}" "http://127.0.0.1:${PORT[a]}/scim/v2/Users")" == 401 ]] ||
  die "node a still serves alpha"
pause_ms="$(sed -n 's/.*writes paused \([0-9]*\) ms.*/\1/p' "${TMP}/move.log")"
log "alpha moved to node b under load: ${acked} writes acknowledged and all on node b, ${refused} refused (503) in a pause of ${pause_ms} ms"

# Node c joins later: HAProxy's configuration has no backend for it; the reconciler gives
# it a free slot (no reload) and routes its tenant gamma there.
make_tenant "${SCIMCTL}" "${TMP}/data-c" gamma || die "tenant gamma"
TOKEN[gamma]="${SCIMD_TOKEN}"
"${SCIMD}" --listen 127.0.0.1:0 --port-file "${TMP}/c.port" --data "${TMP}/data-c" \
  --admin-listen 127.0.0.1:0 --admin-port-file "${TMP}/c.admin" --threads 1 \
  --trusted-proxy 127.0.0.1 >"${TMP}/c.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [[ -s "${TMP}/c.admin" ]] && break; sleep 0.1; done
[[ -s "${TMP}/c.admin" ]] || { cat "${TMP}/c.log" >&2; die "node c did not start"; }
PORT[c]="$(cat "${TMP}/c.port")"
ADMIN[c]="$(cat "${TMP}/c.admin")"
"${SCIMCTL}" cluster --etcd "${ETCD}" join c --address "127.0.0.1:${PORT[c]}" \
  --ready "http://127.0.0.1:${ADMIN[c]}/readyz" --admin "http://127.0.0.1:${ADMIN[c]}" \
  --ttl 3 >"${TMP}/join-c.log" 2>&1 &
PIDS+=($!)
"${SCIMCTL}" cluster --etcd "${ETCD}" place gamma c >/dev/null || die "place gamma"
until_status 201 10 gamma g1@example.com || die "gamma was not routed to node c"
[[ "$(found_on c gamma g1@example.com)" == 1 ]] || die "g1 is not on node c"
log "node c joined after HAProxy started: given a slot at run time, gamma routed to it"

# Node b stops: its sidecar sees /readyz fail and leaves; beta becomes unplaced (404).
kill -TERM "${NODE_PID[b]}"
t0=$(date +%s%N)
until_status 404 15 beta b5@example.com || die "beta was not unplaced after node b stopped"
left_ms=$((($(date +%s%N) - t0) / 1000000))
"${SCIMCTL}" cluster --etcd "${ETCD}" status >"${TMP}/status.txt" || die "cluster status"
grep -qP '^tenant\tbeta\tb\tnode down$' "${TMP}/status.txt" || die "status: $(cat "${TMP}/status.txt")"
log "node b stopped: beta unplaced after ${left_ms} ms; cluster status says so"
# Placed on node a instead (as a move would end): its requests go there.
"${SCIMCTL}" cluster --etcd "${ETCD}" place beta a >/dev/null || die "place beta on a"
until_status 401 10 beta b6@example.com || die "beta was not routed to node a"
log "beta placed on node a: routed there (where its token is unknown until its data moves)"
echo "RESULT scaleout nodes=3 tenants=3 etcd=1 unplaced_after_ms=${left_ms} move_pause_ms=${pause_ms} move_acked=${acked} ok=1"
