#!/usr/bin/env bash
# kill -9 at random moments (issue #20): nothing scimd acknowledged is lost, nothing
# half-written is visible, and it restarts quickly. See docs/RELIABILITY.md.
#
#   scripts/kill9.sh [BUILD_DIR]     (default: <repo>/build; needs scimd, scimctl,
#                                     bench/seed_group_bench for the big group)
#
# Rounds (KILL9_ROUNDS, 20): scimd started on the data dir; the time until it answers an
#   authenticated GET is the restart time; every write acknowledged so far is checked
#   (scripts/kill9_client.js verify: users by listing and by `userName eq`, each client
#   group's members against its acknowledged PATCHes); then KILL9_CLIENTS (8) writers
#   create users and add and remove members, and after a random 0.3-2.5 s scimd is killed
#   with SIGKILL. With scimd down, `scimctl --data DIR check TENANT` must find nothing
#   (index, unique, presence and membership entries and counters against the resources).
# Then (KILL9_GROUP_MEMBERS, 1000000; 0 skips it): that many users seeded into the stopped
#   store, and one group built from them by PATCHes of 1,000 members each, scimd killed
#   KILL9_GROUP_KILLS (5) times at random moments while it goes on (each after 0.2 s to
#   0.2 s + 25 ms per batch / kills); after each restart the
#   group holds at least every acknowledged batch (and at most one more), and check passes.
# Prints "RESULT kill9 ..." with the counts; exits 1 on any loss, inconsistency, error, or
# a restart slower than KILL9_MAX_RESTART_MS (5000).
# The bearer token never appears in output or on a command line. Servers on 127.0.0.1.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
BUILD_DIR="$(cd "${1:-${REPO_ROOT}/build}" 2>/dev/null && pwd)" || {
  echo "kill9: build directory '${1:-${REPO_ROOT}/build}' does not exist" >&2
  exit 2
}
readonly BUILD_DIR
readonly SCIMD="${BUILD_DIR}/tools/scimd"
readonly SCIMCTL="${BUILD_DIR}/tools/scimctl"
readonly SEEDER="${BUILD_DIR}/bench/seed_group_bench"
readonly CLIENT="${SCRIPT_DIR}/kill9_client.js"
readonly ROUNDS="${KILL9_ROUNDS:-20}"
readonly CLIENTS="${KILL9_CLIENTS:-8}"
readonly GROUP_MEMBERS="${KILL9_GROUP_MEMBERS:-1000000}"
readonly GROUP_KILLS="${KILL9_GROUP_KILLS:-5}"
readonly MAX_RESTART_MS="${KILL9_MAX_RESTART_MS:-5000}"
readonly TENANT=kill9
readonly BATCH=1000
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

log() { echo "kill9: $*"; }
die() { echo "kill9: error: $*" >&2; exit 1; }

command -v node >/dev/null || die "node is not installed (make deps)"
[[ -x "${SCIMD}" && -x "${SCIMCTL}" ]] || die "build scimd and scimctl in ${BUILD_DIR} first"
((GROUP_MEMBERS == 0)) || [[ -x "${SEEDER}" ]] || die "build bench/seed_group_bench first"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-kill9.XXXXXX")"
SCIMD_PID=""
cleanup() {
  [[ -n "${SCIMD_PID}" ]] && kill -9 "${SCIMD_PID}" 2>/dev/null
  rm -rf "${TMP}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "${TMP}/journal"
DATA="${TMP}/data"
make_tenant "${SCIMCTL}" "${DATA}" "${TENANT}" || die "tenant/token set-up failed"

MAX_RESTART=0
CHECKS=0
# up: scimd started, the ms until it answers an authenticated request into RESTART_MS.
up() {
  local t0 code
  t0=$(date +%s%N)
  start_scimd "${DATA}" 2 "${TMP}/scimd.log" || die "scimd did not start: $(tail -5 "${TMP}/scimd.log")"
  for _ in $(seq 300); do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H @"${TMP}/auth.header" \
      "${SCIMD_URL}/scim/v2/Users?count=0" || true)"
    [[ "${code}" == 200 ]] && break
    sleep 0.02
  done
  [[ "${code}" == 200 ]] || die "scimd does not answer after a restart"
  RESTART_MS=$((($(date +%s%N) - t0) / 1000000))
  ((RESTART_MS > MAX_RESTART)) && MAX_RESTART=${RESTART_MS}
  return 0
}
kill9() {
  kill -9 "${SCIMD_PID}"
  wait "${SCIMD_PID}" 2>/dev/null || true
  SCIMD_PID=""
}
# check: scimctl check on the stopped store; any problem fails the run.
check() {
  CHECKS=$((CHECKS + 1))
  "${SCIMCTL}" --data "${DATA}" check "${TENANT}" >"${TMP}/check.out" 2>&1 ||
    { cat "${TMP}/check.out" >&2; die "scimctl check found problems after a kill"; }
}
pause() { awk -v lo="$1" -v hi="$2" -v r="${RANDOM}" 'BEGIN { printf "%.2f", lo + (hi - lo) * r / 32767 }'; }

# --- rounds of writers ------------------------------------------------------------------
for round in $(seq "${ROUNDS}"); do
  up
  node "${CLIENT}" verify "${SCIMD_URL}" "${TMP}/journal" "${CLIENTS}" >"${TMP}/verify.out" 2>&1 ||
    { cat "${TMP}/verify.out" >&2; die "round ${round}: acknowledged writes missing"; }
  node "${CLIENT}" work "${SCIMD_URL}" "${TMP}/journal" "${CLIENTS}" "${round}" \
    >"${TMP}/work.out" 2>&1 &
  WORK_PID=$!
  sleep "$(pause 0.3 2.5)"
  kill9
  wait "${WORK_PID}" || { cat "${TMP}/work.out" >&2; die "round ${round}: a writer got an error"; }
  check
  log "round ${round}: restart ${RESTART_MS} ms; $(sed -n 's/^VERIFY //p' "${TMP}/verify.out"); $(tail -1 "${TMP}/check.out")"
done
up
node "${CLIENT}" verify "${SCIMD_URL}" "${TMP}/journal" "${CLIENTS}" >"${TMP}/verify.out" 2>&1 ||
  { cat "${TMP}/verify.out" >&2; die "after the last round: acknowledged writes missing"; }
VERIFY="$(sed -n 's/^VERIFY //p' "${TMP}/verify.out")"
log "after ${ROUNDS} kills: ${VERIFY}"
kill9
check

# --- a big group built in batches, killed while it grows -----------------------------------
GROUP_ACKED=0
GROUP_HELD=0
if ((GROUP_MEMBERS > 0)); then
  log "seeding ${GROUP_MEMBERS} users for the big group"
  "${SEEDER}" --data "${DATA}" --tenant "${TENANT}" --users "${GROUP_MEMBERS}" \
    --ids "${TMP}/member-ids.txt" >"${TMP}/seed.out" 2>&1 || { cat "${TMP}/seed.out" >&2; die "seeding failed"; }
  up
  # (A loaded machine may take a while right after the restart: a failure says so.)
  curl -sS --max-time 60 -o "${TMP}/big-group.json" -H @"${TMP}/auth.header" \
    -H 'Content-Type: application/scim+json' --data-binary '{"displayName":"kill9 big group"}' \
    "${SCIMD_URL}/scim/v2/Groups" || die "creating the big group failed"
  GROUP_ID="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).id || "")' \
    "${TMP}/big-group.json")" || die "the big group's answer: $(head -c 300 "${TMP}/big-group.json")"
  [[ -n "${GROUP_ID}" ]] || die "the big group's answer has no id: $(head -c 300 "${TMP}/big-group.json")"
  # The builder: one PATCH of BATCH members after another; a batch's number is written
  # to acked.txt once it is acknowledged. It stops at the first failed request.
  cat >"${TMP}/builder.js" <<'EOF'
'use strict';
const fs = require('fs'), http = require('http');
const [base, group, idsFile, ackFile, batch] = process.argv.slice(2);
const ids = fs.readFileSync(idsFile, 'utf8').split('\n').filter(Boolean);
const size = Number(batch), url = new URL(base);
const agent = new http.Agent({keepAlive: true});
let next = fs.existsSync(ackFile) ? fs.readFileSync(ackFile, 'utf8').split('\n').filter(Boolean).length : 0;
function patch(b) {
  const body = Buffer.from(JSON.stringify({schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{op: 'add', path: 'members', value: ids.slice(b * size, (b + 1) * size).map(v => ({value: v}))}]}));
  return new Promise((resolve, reject) => {
    const req = http.request({host: url.hostname, port: url.port, method: 'PATCH', agent,
      path: `/scim/v2/Groups/${group}?excludedAttributes=members`,
      headers: {authorization: 'Bearer ' + process.env.SCIMD_TOKEN,
                'content-type': 'application/scim+json', 'content-length': body.length}},
      res => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.end(body);
  });
}
(async () => {
  for (; next * size < ids.length; next++) {
    let status;
    try { status = await patch(next); } catch (e) { process.exit(0); }
    if (status !== 200 && status !== 204) { console.error(`batch ${next}: ${status}`); process.exit(1); }
    fs.appendFileSync(ackFile, `${next}\n`);
  }
  process.exit(0);
})();
EOF
  : >"${TMP}/acked.txt"
  BATCHES=$(((GROUP_MEMBERS + BATCH - 1) / BATCH))
  for k in $(seq "${GROUP_KILLS}"); do
    node "${TMP}/builder.js" "${SCIMD_URL}" "${GROUP_ID}" "${TMP}/member-ids.txt" "${TMP}/acked.txt" \
      "${BATCH}" >"${TMP}/builder.out" 2>&1 &
    BUILDER_PID=$!
    # Kills spread over the build: each after a random share of the batches left.
    sleep "$(pause 0.2 "$(awk -v b="${BATCHES}" -v k="${GROUP_KILLS}" 'BEGIN { printf "%.2f", 0.2 + b / k * 0.025 }')")"
    kill9
    wait "${BUILDER_PID}" || { cat "${TMP}/builder.out" >&2; die "the group builder got an error"; }
    check
    up
    GROUP_ACKED=$(($(wc -l <"${TMP}/acked.txt") * BATCH))
    ((GROUP_ACKED > GROUP_MEMBERS)) && GROUP_ACKED=${GROUP_MEMBERS}
    # Members counted as scimd renders them (one "value" each), streamed, not parsed.
    GROUP_HELD="$(curl -sS --max-time 300 -H @"${TMP}/auth.header" \
      "${SCIMD_URL}/scim/v2/Groups/${GROUP_ID}?attributes=members" | grep -o '"value":' | wc -l)"
    ((GROUP_HELD >= GROUP_ACKED && GROUP_HELD <= GROUP_ACKED + BATCH)) ||
      die "big group kill ${k}: ${GROUP_HELD} members held, ${GROUP_ACKED} acknowledged"
    log "big group kill ${k}: restart ${RESTART_MS} ms; ${GROUP_ACKED} members acknowledged, ${GROUP_HELD} held; $(tail -1 "${TMP}/check.out")"
  done
  kill9
fi

((MAX_RESTART <= MAX_RESTART_MS)) || die "a restart took ${MAX_RESTART} ms (limit ${MAX_RESTART_MS})"
echo "RESULT kill9 rounds=${ROUNDS} clients=${CLIENTS} ${VERIFY} checks=${CHECKS} inconsistencies=0" \
  "max_restart_ms=${MAX_RESTART} group_kills=$((GROUP_MEMBERS > 0 ? GROUP_KILLS : 0))" \
  "group_members_acked=${GROUP_ACKED} group_members_held=${GROUP_HELD}"
