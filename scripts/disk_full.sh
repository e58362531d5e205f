#!/usr/bin/env bash
# A full disk (issue #20): writes get 503 with a clear SCIM error and Retry-After, reads go
# on, writing resumes by itself once space is freed, and nothing acknowledged is lost.
# See docs/RELIABILITY.md.
#
#   scripts/disk_full.sh [BUILD_DIR]
#
# Needs to mount a small tmpfs (root, or a machine that allows it): exits 77 (skipped)
# otherwise. The data directory lives on a 128 MiB tmpfs; 8 writers (node) create ~3 KB
# users and journal every acknowledged one; a filler file takes the free space; once the
# writers see 503s, a read and a write are checked by hand; the filler is removed and the
# time until a write succeeds again is measured (RocksDB's own recovery: it checks every
# 5 s for room for a write buffer); then scimd is restarted and every acknowledged user is
# looked up, and `scimctl check` must find nothing. The admin listener's /readyz (issue
# #21) says 200 before, 503 while the disk is full, and 200 again once writes resume.
# Prints "RESULT disk_full acked=N found=N refused_503=N other_errors=N recovered_after_s=S".
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
BUILD_DIR="$(cd "${1:-${REPO_ROOT}/build}" 2>/dev/null && pwd)" || {
  echo "disk_full: build directory '${1:-${REPO_ROOT}/build}' does not exist" >&2
  exit 2
}
readonly BUILD_DIR
readonly SCIMD="${BUILD_DIR}/tools/scimd"
readonly SCIMCTL="${BUILD_DIR}/tools/scimctl"
readonly TENANT=diskfull
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

log() { echo "disk_full: $*"; }
die() { echo "disk_full: error: $*" >&2; exit 1; }
command -v node >/dev/null || die "node is not installed (make deps)"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-diskfull.XXXXXX")"
MNT="${TMP}/mnt"
SCIMD_PID=""
WRITERS_PID=""
cleanup() {
  [[ -n "${WRITERS_PID}" ]] && kill "${WRITERS_PID}" 2>/dev/null
  stop_pid "${SCIMD_PID}"
  mountpoint -q "${MNT}" 2>/dev/null && umount "${MNT}"
  rm -rf "${TMP}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "${MNT}"
if ! mount -t tmpfs -o size=128m tmpfs "${MNT}" 2>/dev/null; then
  echo "disk_full: cannot mount a tmpfs here (not root?): skipped"
  exit 77
fi
DATA="${MNT}/data"
make_tenant "${SCIMCTL}" "${DATA}" "${TENANT}" || die "tenant/token set-up failed"
SCIMD_ADMIN_TOKEN="$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40)"
export SCIMD_ADMIN_TOKEN
SCIMD_EXTRA_ARGS=(--admin-listen 127.0.0.1:0 --admin-port-file "${TMP}/admin.port")
start_scimd "${DATA}" 2 "${TMP}/scimd.log" || die "scimd did not start"
for _ in $(seq 100); do [[ -s "${TMP}/admin.port" ]] && break; sleep 0.1; done
READYZ="http://127.0.0.1:$(tr -d '[:space:]' <"${TMP}/admin.port")/readyz"
readyz() { curl -s -o "${TMP}/readyz.body" -w '%{http_code}' "${READYZ}"; }
[[ "$(readyz)" == 200 ]] || die "/readyz before the disk filled: $(cat "${TMP}/readyz.body")"

# The writers: 8 loops of POST /Users until STOP exists; acknowledged ids to acked.txt,
# every status counted in statuses.txt at the end.
cat >"${TMP}/writers.js" <<'JS'
'use strict';
const fs = require('fs'), http = require('http');
const [base, dir] = process.argv.slice(2);
const url = new URL(base), agent = new http.Agent({keepAlive: true, maxSockets: 8});
const counts = {};
const filler = 'a'.repeat(3000);
function post(name) {
  const body = Buffer.from(JSON.stringify({userName: name, title: filler}));
  return new Promise((resolve) => {
    const req = http.request({host: url.hostname, port: url.port, method: 'POST', agent,
      path: '/scim/v2/Users', headers: {authorization: 'Bearer ' + process.env.SCIMD_TOKEN,
        'content-type': 'application/scim+json', 'content-length': body.length}}, (res) => {
      let text = '';
      res.on('data', (d) => text += d);
      res.on('end', () => resolve({status: res.statusCode, text}));
    });
    req.on('error', (e) => resolve({status: 0, text: e.message}));
    req.end(body);
  });
}
async function writer(w) {
  for (let n = 0; !fs.existsSync(dir + '/STOP'); n++) {
    const r = await post(`w${w}-${n}@diskfull.example`);
    counts[r.status] = (counts[r.status] || 0) + 1;
    if (r.status === 201) fs.appendFileSync(dir + '/acked.txt', JSON.parse(r.text).id + '\n');
    else if (r.status === 503) { fs.writeFileSync(dir + '/saw503', r.text); await new Promise(s => setTimeout(s, 100)); }
    else fs.appendFileSync(dir + '/errors.txt', `${r.status} ${r.text}\n`);
  }
}
Promise.all([...Array(8).keys()].map(writer)).then(() => {
  fs.writeFileSync(dir + '/statuses.txt', JSON.stringify(counts));
  agent.destroy();
});
JS
: >"${TMP}/acked.txt"
node "${TMP}/writers.js" "${SCIMD_URL}" "${TMP}" >"${TMP}/writers.out" 2>&1 &
WRITERS_PID=$!
sleep 1
dd if=/dev/zero of="${MNT}/filler" bs=1M count=256 2>/dev/null || true
log "filler written: $(df -h "${MNT}" | tail -1 | awk '{print $5}') used; waiting for 503s"
for _ in $(seq 600); do [[ -f "${TMP}/saw503" ]] && break; sleep 0.1; done
[[ -f "${TMP}/saw503" ]] || die "no 503 after 60 s of writing to a full disk"
touch "${TMP}/STOP"
wait "${WRITERS_PID}"
WRITERS_PID=""
ACKED="$(wc -l <"${TMP}/acked.txt")"
log "writers: $(cat "${TMP}/statuses.txt"); ${ACKED} acknowledged"

# While full: a read works; a write is a 503 SCIM error with Retry-After.
ONE="$(head -1 "${TMP}/acked.txt")"
[[ "$(curl -s -o /dev/null -w '%{http_code}' -H @"${TMP}/auth.header" "${SCIMD_URL}/scim/v2/Users/${ONE}")" == 200 ]] ||
  die "a read failed while the disk was full"
curl -s -D "${TMP}/full.head" -o "${TMP}/full.body" -H @"${TMP}/auth.header" \
  -H 'Content-Type: application/scim+json' --data-binary '{"userName":"probe@diskfull.example"}' \
  "${SCIMD_URL}/scim/v2/Users" >/dev/null
grep -q '^HTTP/1.1 503' "${TMP}/full.head" || die "a write on a full disk got $(head -1 "${TMP}/full.head")"
grep -qi '^Retry-After: ' "${TMP}/full.head" || die "the 503 has no Retry-After"
grep -q '"detail":"the server.s disk is full' "${TMP}/full.body" || die "the 503 does not say why: $(cat "${TMP}/full.body")"
log "while full: a read 200, a write $(head -1 "${TMP}/full.head" | tr -d '\r'): $(cat "${TMP}/full.body")"
[[ "$(readyz)" == 503 ]] || die "/readyz while the disk is full: $(cat "${TMP}/readyz.body")"
log "while full: /readyz 503 $(cat "${TMP}/readyz.body")"

rm -f "${MNT}/filler"
t0=$(date +%s%N)
RECOVERED=""
for _ in $(seq 120); do
  code="$(curl -s -o "${TMP}/probe.body" -w '%{http_code}' -H @"${TMP}/auth.header" \
    -H 'Content-Type: application/scim+json' --data-binary '{"userName":"after@diskfull.example"}' \
    "${SCIMD_URL}/scim/v2/Users")"
  if [[ "${code}" == 201 ]]; then
    RECOVERED="$(awk -v ns=$(($(date +%s%N) - t0)) 'BEGIN { printf "%.1f", ns / 1e9 }')"
    break
  fi
  sleep 0.25
done
[[ -n "${RECOVERED}" ]] || die "writes did not resume within 30 s of freeing space"
log "writes resumed ${RECOVERED} s after the space was freed"
[[ "$(readyz)" == 200 ]] || die "/readyz after writes resumed: $(cat "${TMP}/readyz.body")"

stop_pid "${SCIMD_PID}"
SCIMD_PID=""
start_scimd "${DATA}" 2 "${TMP}/scimd2.log" || die "scimd did not restart"
FOUND=0
while read -r id; do
  [[ "$(curl -s -o /dev/null -w '%{http_code}' -H @"${TMP}/auth.header" "${SCIMD_URL}/scim/v2/Users/${id}")" == 200 ]] &&
    FOUND=$((FOUND + 1))
done <"${TMP}/acked.txt"
stop_pid "${SCIMD_PID}"
SCIMD_PID=""
"${SCIMCTL}" --data "${DATA}" check "${TENANT}" >"${TMP}/check.out" 2>&1 ||
  { cat "${TMP}/check.out" >&2; die "scimctl check found problems"; }
log "$(tail -1 "${TMP}/check.out")"
OTHER=0
[[ -f "${TMP}/errors.txt" ]] && OTHER="$(wc -l <"${TMP}/errors.txt")"
REFUSED="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1]))["503"] || 0)' "${TMP}/statuses.txt")"
echo "RESULT disk_full acked=${ACKED} found=${FOUND} refused_503=${REFUSED} other_errors=${OTHER}" \
  "recovered_after_s=${RECOVERED}"
((FOUND == ACKED)) || die "$((ACKED - FOUND)) acknowledged users are missing"
((OTHER == 0)) || { cat "${TMP}/errors.txt" >&2; die "answers other than 201 and 503"; }
