#!/usr/bin/env bash
# Runs the Microsoft SCIM reference Postman collection (shared/conformance) with newman
# against a fresh scimd, and checks the number of passed assertions against the ratchet
# in tests/conformance/baseline.txt: fewer passed than the baseline is a regression.
#
#   scripts/conformance.sh [BUILD_DIR]      (default: <repo>/build)
#
# Environment:
#   SCIMD_SHARED_DIR            the shared/ directory (default: <repo>/../shared)
#   SCIMD_CONFORMANCE_BASELINE  baseline file (default: tests/conformance/baseline.txt)
#   SCIMD_CONFORMANCE_REPORT    where to keep the newman JSON report, token masked
#                               (default: BUILD_DIR/conformance-report.json; "" = don't)
#
# Exit: 0 passed >= baseline; 1 regression; 2 could not run (server, newman crash);
# 77 suite or newman missing (ctest reports the test as skipped).
#
# The bearer token never reaches stdout, stderr or a command line: it goes from scimctl's
# output file to the environment file through an environment variable.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
BUILD_DIR="$(cd "${1:-${REPO_ROOT}/build}" 2>/dev/null && pwd)" || {
  echo "conformance: build directory '${1:-${REPO_ROOT}/build}' does not exist" >&2
  exit 2
}
readonly BUILD_DIR
readonly SHARED_DIR="${SCIMD_SHARED_DIR:-${REPO_ROOT}/../shared}"
readonly SUITE_DIR="${SHARED_DIR}/conformance"
readonly COLLECTION="${SUITE_DIR}/ms-scim-reference.postman_collection.json"
readonly ENV_TEMPLATE="${SUITE_DIR}/ms-scim-reference.postman_environment.template.json"
readonly BASELINE_FILE="${SCIMD_CONFORMANCE_BASELINE:-${REPO_ROOT}/tests/conformance/baseline.txt}"
readonly REPORT_COPY="${SCIMD_CONFORMANCE_REPORT-${BUILD_DIR}/conformance-report.json}"
readonly NEWMAN="${REPO_ROOT}/node_modules/.bin/newman"
readonly SCIMD="${BUILD_DIR}/tools/scimd"
readonly SCIMCTL="${BUILD_DIR}/tools/scimctl"
readonly TENANT=conformance
# Bounds: the suite makes ~80 requests and takes a few seconds; these only stop a hang.
readonly NEWMAN_TIMEOUT_S=240
readonly REQUEST_TIMEOUT_MS=10000
readonly START_TIMEOUT_DS=150  # deciseconds to wait for the port file

log() { echo "conformance: $*"; }
die() { echo "conformance: error: $*" >&2; exit 2; }

for f in "${COLLECTION}" "${ENV_TEMPLATE}"; do
  if [[ ! -f "${f}" ]]; then
    log "SKIP: ${f} not found (set SCIMD_SHARED_DIR to the shared/ directory)"
    exit 77
  fi
done
if [[ ! -x "${NEWMAN}" ]] || ! command -v node >/dev/null; then
  log "SKIP: newman not installed (run 'make deps' or 'npm ci' in ${REPO_ROOT})"
  exit 77
fi
[[ -x "${SCIMD}" && -x "${SCIMCTL}" ]] || die "build scimd and scimctl in ${BUILD_DIR} first"
[[ -f "${BASELINE_FILE}" ]] || die "baseline file ${BASELINE_FILE} not found"
BASELINE="$(grep -v '^[[:space:]]*#' "${BASELINE_FILE}" | tr -d '[:space:]')"
[[ "${BASELINE}" =~ ^[0-9]+$ ]] || die "${BASELINE_FILE} must hold one integer"
readonly BASELINE

TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-conformance.XXXXXX")"
SERVER_PID=""
cleanup() {
  if [[ -n "${SERVER_PID}" ]] && kill -0 "${SERVER_PID}" 2>/dev/null; then
    kill -TERM "${SERVER_PID}" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "${SERVER_PID}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${SERVER_PID}" 2>/dev/null || true
    wait "${SERVER_PID}" 2>/dev/null || true
  fi
  rm -rf "${TMP}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- a fresh tenant and token (scimctl needs the data dir while no scimd has it open) ---
DATA="${TMP}/data"
"${SCIMCTL}" --data "${DATA}" tenant create "${TENANT}" >"${TMP}/scimctl.log" 2>&1 ||
  { cat "${TMP}/scimctl.log" >&2; die "tenant create failed"; }
# The tenant is set up the way Microsoft's reference client expects, with the "entra" client
# profile and nothing else (docs/COMPATIBILITY.md): 204 No Content on PATCH, misspelled
# attributes ignored, member ids that do not exist ("string id 1") skipped, and filter
# values without quotes (`userName sw O`) read as strings.
for setting in profile=entra; do
  "${SCIMCTL}" --data "${DATA}" tenant set "${TENANT}" "${setting}" \
    >>"${TMP}/scimctl.log" 2>&1 || { cat "${TMP}/scimctl.log" >&2; die "tenant set failed"; }
done
# The token is alone on the last line; nothing of this output is printed.
(umask 077 && "${SCIMCTL}" --data "${DATA}" token issue "${TENANT}" >"${TMP}/token.out" \
  2>"${TMP}/token.err") || { cat "${TMP}/token.err" >&2; die "token issue failed"; }

# --- the server ----------------------------------------------------------------------------
# The suite starts by asking GET /Token for its token, as Microsoft's reference server
# hands them out; this throw-away server does the same for the conformance tenant only.
"${SCIMD}" --listen 127.0.0.1:0 --data "${DATA}" --threads 2 --port-file "${TMP}/port" \
  --insecure-token-endpoint "${TENANT}" >"${TMP}/scimd.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq "${START_TIMEOUT_DS}"); do
  [[ -s "${TMP}/port" ]] && break
  kill -0 "${SERVER_PID}" 2>/dev/null || { cat "${TMP}/scimd.log" >&2; die "scimd exited"; }
  sleep 0.1
done
[[ -s "${TMP}/port" ]] || { cat "${TMP}/scimd.log" >&2; die "scimd did not start"; }
PORT="$(tr -d '[:space:]' <"${TMP}/port")"
log "scimd $(basename "${BUILD_DIR}") on 127.0.0.1:${PORT}, tenant ${TENANT}"

# --- environment file ------------------------------------------------------------------------
# The collection runs unmodified. Its first request (GET /Token) replaces the token in the
# environment with one the server hands out (--insecure-token-endpoint above).
SCIMD_TOKEN="$(tail -n 1 "${TMP}/token.out")" PORT="${PORT}" OUT_DIR="${TMP}" \
  SUITE_ENV="${ENV_TEMPLATE}" node -e '
const fs = require("fs");
const env = JSON.parse(fs.readFileSync(process.env.SUITE_ENV, "utf8"));
const want = {Protocol: "http", Server: "127.0.0.1", Port: ":" + process.env.PORT,
              Api: "scim/v2", token: process.env.SCIMD_TOKEN};
for (const v of env.values) if (v.key in want) { v.value = want[v.key]; delete want[v.key]; }
for (const k of Object.keys(want)) env.values.push({key: k, value: want[k], enabled: true});
fs.writeFileSync(process.env.OUT_DIR + "/env.json", JSON.stringify(env), {mode: 0o600});
' || die "could not write the environment file"
rm -f "${TMP}/token.out"

# --- newman -----------------------------------------------------------------------------------
set +e
timeout "${NEWMAN_TIMEOUT_S}" "${NEWMAN}" run "${COLLECTION}" -e "${TMP}/env.json" \
  --reporters cli,json --reporter-json-export "${TMP}/report.json" \
  --timeout-request "${REQUEST_TIMEOUT_MS}" --color off --disable-unicode
NEWMAN_RC=$?
set -e
log "newman exit status ${NEWMAN_RC} (non-zero whenever an assertion fails)"
if [[ ! -s "${TMP}/report.json" ]]; then
  echo "--- scimd log ---" >&2; tail -n 30 "${TMP}/scimd.log" >&2
  die "newman wrote no report (exit ${NEWMAN_RC})"
fi

# --- summary, failing assertions, ratchet ---------------------------------------------------
set +e
REPORT="${TMP}/report.json" REPORT_OUT="${REPORT_COPY}" BASELINE_N="${BASELINE}" \
  BASELINE_PATH="${BASELINE_FILE}" node -e '
const fs = require("fs");
const env = process.env;
const text = fs.readFileSync(env.REPORT, "utf8");
const report = JSON.parse(text);
// Every scimd bearer token (scimctl`s and the ones GET /Token handed out) is masked.
const mask = (t) => t.replace(/scimd_[0-9a-f]{16}_[A-Za-z0-9_-]+/g, "***");
if (env.REPORT_OUT) fs.writeFileSync(env.REPORT_OUT, mask(text));
// Folder path of every request, for readable names.
const where = {};
(function walk(items, path) {
  for (const it of items || []) {
    if (it.item) walk(it.item, path.concat(it.name));
    else where[it.id] = path.concat(it.name).join(" / ");
  }
})(report.collection.item, []);

const stats = report.run.stats;
const total = stats.assertions.total, failed = stats.assertions.failed;
const passed = total - failed;
const lines = [];
for (const ex of report.run.executions) {
  const name = where[ex.item.id] || ex.item.name;
  const code = ex.response ? ex.response.code : "no response";
  for (const a of ex.assertions || []) {
    if (a.error) lines.push(`  FAIL [${code}] ${name} :: ${a.assertion} -- ${a.error.message}`);
  }
  for (const s of (ex.testScript || []).concat(ex.prereqScript || [])) {
    if (s.error) {
      lines.push(`  ERR  [${code}] ${name} :: script ${s.error.name}: ${s.error.message}`);
    }
  }
  if (ex.requestError) lines.push(`  ERR  ${name} :: request: ${ex.requestError.message}`);
}
console.log(lines.length ? `conformance: failing assertions and script errors (${lines.length}):`
                         : "conformance: no failures");
for (const l of lines) console.log(mask(l));
console.log(`conformance: requests ${stats.requests.total} ` +
            `(${stats.requests.failed} failed to send), ` +
            `assertions ${total}: ${passed} passed, ${failed} failed, ` +
            `test scripts with errors ${stats.testScripts.failed}`);
const baseline = Number(env.BASELINE_N);
if (passed < baseline) {
  console.log(`conformance: REGRESSION: ${passed} assertions passed, baseline ${baseline} ` +
              `(${env.BASELINE_PATH})`);
  process.exit(1);
}
console.log(`conformance: OK: ${passed} assertions passed >= baseline ${baseline}`);
if (passed > baseline) {
  console.log(`conformance: more pass than the baseline: raise ${env.BASELINE_PATH} to ${passed}`);
}
'
RESULT=$?
set -e
if [[ -n "${REPORT_COPY}" && -s "${REPORT_COPY}" ]]; then
  log "JSON report (token masked): ${REPORT_COPY}"
fi
exit "${RESULT}"
