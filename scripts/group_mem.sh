#!/usr/bin/env bash
# A 1,000,000-member group over HTTP (issue #6): scimd's memory while it streams the group
# (GET /Groups/{id}, ~120 MB), the time of that GET and of GET with
# excludedAttributes=members, and the time and memory of a PATCH that replaces all the
# members of such a group by one, and of DELETE of the whole group.
# See docs/PERFORMANCE.md ("PATCH and group membership").
#
#   scripts/group_mem.sh [BUILD_DIR]   (needs scimd, scimctl, bench/seed_group_bench there)
#
# 1. fresh data dir, tenant + token via scimctl; GROUP_MEMBERS users and two groups each
#    holding them all written straight into the stopped store by seed_group_bench
# 2. scimd --threads 1 on an ephemeral 127.0.0.1 port (pinned to CPU 0, clients on CPU 1)
# 3. its VmRSS sampled every 50 ms (VmHWM reset before each step through
#    /proc/PID/clear_refs) while curl: GETs the group and counts the members in the body
#    (python3); GETs it with excludedAttributes=members (wrk, and the same for a 10-member
#    group for comparison); PATCHes the second group with replace members by one user
#    (checking the group then has exactly that member); DELETEs the first group.
#
# Environment: GROUP_MEMBERS [1000000]  FULL_REPS [3]  EXCL_DURATION [5s]
#              EXCL_CONNECTIONS [8]  LOAD_PIN [1]
# The bearer token never appears in output or on a command line. Servers on 127.0.0.1.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
BUILD_DIR="$(cd "${1:-${REPO_ROOT}/build}" 2>/dev/null && pwd)" || {
  echo "group_mem: build directory '${1:-${REPO_ROOT}/build}' does not exist" >&2
  exit 2
}
readonly BUILD_DIR
readonly SCIMD="${BUILD_DIR}/tools/scimd"
readonly SCIMCTL="${BUILD_DIR}/tools/scimctl"
readonly SEEDER="${BUILD_DIR}/bench/seed_group_bench"
readonly MEMBERS="${GROUP_MEMBERS:-1000000}"
readonly EXCL_DURATION="${EXCL_DURATION:-5s}"
readonly EXCL_CONNECTIONS="${EXCL_CONNECTIONS:-8}"
readonly LUA="${REPO_ROOT}/bench/wrk/patch.lua"
readonly FULL_REPS="${FULL_REPS:-3}"
readonly TENANT=groupmem
# Every HTTP step is bounded in time.
readonly BIG_TIMEOUT_S=600
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

log() { echo "group_mem: $*"; }
die() { echo "group_mem: error: $*" >&2; exit 1; }

for tool in curl python3 node wrk; do
  command -v "${tool}" >/dev/null || die "${tool} is not installed"
done
[[ -x "${SCIMD}" && -x "${SCIMCTL}" && -x "${SEEDER}" ]] ||
  die "build scimd, scimctl and seed_group_bench in ${BUILD_DIR} first"
[[ "${MEMBERS}" =~ ^[0-9]+$ && "${MEMBERS}" -gt 10 ]] || die "GROUP_MEMBERS must be > 10"
[[ "${FULL_REPS}" =~ ^[0-9]+$ && "${FULL_REPS}" -gt 0 && "${FULL_REPS}" -le 20 ]] ||
  die "FULL_REPS must be 1..20"

pin_setup "${LOAD_PIN:-1}"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-groupmem.XXXXXX")"
SCIMD_PID=""
SAMPLER_PID=""
cleanup() {
  stop_pid "${SAMPLER_PID}"
  stop_pid "${SCIMD_PID}"
  rm -rf "${TMP}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- data ---------------------------------------------------------------------------------------
make_tenant "${SCIMCTL}" "${TMP}/data" "${TENANT}" || die "tenant/token set-up failed"
log "seeding ${MEMBERS} users and two groups of all of them (seed_group_bench)"
cpu_run "${TMP}/seed.cpu" "${SEEDER}" --data "${TMP}/data" --tenant "${TENANT}" \
  --users "${MEMBERS}" --members "${MEMBERS}" --groups 2 --ids "${TMP}/ids.txt" \
  --group-id "${TMP}/group.txt" >"${TMP}/seed.out" || die "seeding failed"
SEED_LINE="$(grep '^SEED' "${TMP}/seed.out")"
log "${SEED_LINE}; with close: $(cat "${TMP}/seed.cpu") (self% other%)"
GROUP="$(sed -n 1p "${TMP}/group.txt" | tr -d '[:space:]')"         # GETs, then DELETE
PATCH_GROUP="$(sed -n 2p "${TMP}/group.txt" | tr -d '[:space:]')"   # PATCH replace members
[[ -n "${GROUP}" && -n "${PATCH_GROUP}" ]] || die "seed_group_bench wrote no group ids"

start_scimd "${TMP}/data" 1 "${TMP}/scimd.log" || die "scimd did not start"
log "scimd --threads 1 on ${SCIMD_URL#http://}; waiting for the store to settle"
wait_idle "${SCIMD_PID}" 180 || log "warning: scimd still busy after 180 s"
log "scimd idle: VmRSS $(($(proc_mem_kib "${SCIMD_PID}" VmRSS) / 1024)) MiB," \
  "VmHWM since start $(($(proc_mem_kib "${SCIMD_PID}" VmHWM) / 1024)) MiB"

# A 10-member group made over HTTP, for the excludedAttributes comparison.
SMALL_BODY="$(head -n 10 "${TMP}/ids.txt" | node -e 'let s = "";
  process.stdin.on("data", d => s += d).on("end", () => console.log(JSON.stringify({
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Small group",
    members: s.trim().split("\n").map(v => ({ value: v })) })))')"
SMALL="$(curl -sS --max-time 10 -H @"${TMP}/auth.header" -H 'Content-Type: application/scim+json' \
  --data-binary "${SMALL_BODY}" "${SCIMD_URL}/scim/v2/Groups" |
  node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () => console.log(JSON.parse(s).id))')"
[[ -n "${SMALL}" && "${SMALL}" != undefined ]] || die "could not create the small group"

# step NAME CURL_ARGS...: one curl under VmRSS sampling, with scimd's VmHWM reset first.
# Writes ${TMP}/NAME.curl (http_code size time_total), .cpu, .mem (peak VmRSS, VmHWM, sample
# count, first sampled VmRSS; KiB).
step() {
  local name="$1"
  shift
  echo 5 >"/proc/${SCIMD_PID}/clear_refs"
  rm -f "${TMP}/${name}.samples" "${TMP}/${name}.samples.stop"
  sample_mem "${SCIMD_PID}" "${TMP}/${name}.samples" 0.05 "${BIG_TIMEOUT_S}" &
  SAMPLER_PID=$!
  measure_cmd "${name}" "${SCIMD_PID}" "${CLIENT_CPU[@]}" curl -sS --max-time "${BIG_TIMEOUT_S}" \
    -H @"${TMP}/auth.header" -w '%{http_code} %{size_download} %{time_total}\n' "$@" \
    >"${TMP}/${name}.curl" || die "curl (${name}) failed"
  touch "${TMP}/${name}.samples.stop"
  wait "${SAMPLER_PID}" 2>/dev/null || true
  SAMPLER_PID=""
  awk -v hwm="$(proc_mem_kib "${SCIMD_PID}" VmHWM)" '{ if ($1 > m) m = $1; if (NR == 1) f = $1 }
    END { print m, hwm, NR, f }' "${TMP}/${name}.samples" >"${TMP}/${name}.mem"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

# --- GET the whole group -------------------------------------------------------------------------
RSS_IDLE="$(proc_mem_kib "${SCIMD_PID}" VmRSS)"
echo
echo "== scimd ${MEMBERS}-member group over HTTP ($(date -u +%Y-%m-%dT%H:%M:%SZ)) =="
echo "data: ${SEED_LINE#SEED }"
echo "scimd idle before the GETs: VmRSS $(mib "${RSS_IDLE}") MiB"
# FULL_REPS GETs of the whole group (a disturbed run is told apart by its "other" CPU);
# the first body is parsed and its members counted.
for k in $(seq "${FULL_REPS}"); do
  step "get_full${k}" -o "${TMP}/group.json" "${SCIMD_URL}/scim/v2/Groups/${GROUP}"
  read -r code bytes secs <"${TMP}/get_full${k}.curl"
  [[ "${code}" == 200 ]] || die "GET group gave ${code}"
  members_note=""
  if ((k == 1)); then
    read -r n_members n_distinct < <(python3 -c 'import json, sys
g = json.load(open(sys.argv[1]))
ids = {m["value"] for m in g.get("members", [])}
print(len(g.get("members", [])), len(ids))' "${TMP}/group.json")
    members_note="; members in body ${n_members} (${n_distinct} distinct)"
    ((n_members == MEMBERS && n_distinct == MEMBERS)) || log "warning: member count mismatch"
  fi
  rm -f "${TMP}/group.json"
  read -r peak hwm samples first <"${TMP}/get_full${k}.mem"
  read -r srv cli oth wall <"${TMP}/get_full${k}.cpu"
  echo "GET /Groups/{id} #${k}: HTTP ${code}, ${bytes} B in ${secs} s" \
    "($(awk -v b="${bytes}" -v s="${secs}" 'BEGIN { printf "%.0f", b / s / 1048576 }') MiB/s)" \
    "${members_note}; scimd peak sampled VmRSS $(mib "${peak}") MiB, VmHWM $(mib "${hwm}") MiB" \
    "(${samples} samples); CPU % srv ${srv} curl ${cli} other ${oth}"
done

# --- GET with excludedAttributes=members, big and small group --------------------------------------
# wrk with EXCL_CONNECTIONS connections for EXCL_DURATION each, scimd pinned as above.
for which in big small; do
  id="${GROUP}"
  [[ "${which}" == small ]] && id="${SMALL}"
  path="/scim/v2/Groups/${id}?excludedAttributes=members"
  curl -sS --max-time 10 -H @"${TMP}/auth.header" -o "${TMP}/excl.json" "${SCIMD_URL}${path}"
  grep -q '"members"' "${TMP}/excl.json" && die "excludedAttributes=members still has members"
  wrk_measure "excl_${which}" "${SCIMD_PID}" "${LUA}" "${SCIMD_URL}" "${EXCL_CONNECTIONS}" \
    "${EXCL_DURATION}" -- fixed "${path}" || die "wrk (excludedAttributes) failed"
  f="${TMP}/excl_${which}.out"
  echo "GET ?excludedAttributes=members, ${which} group (wrk -t1 -c${EXCL_CONNECTIONS}" \
    "-d${EXCL_DURATION}): $(result_field "${f}" rps) req/s, p50 $(result_field "${f}" p50_ms) ms," \
    "p99 $(result_field "${f}" p99_ms) ms, non2xx $(result_field "${f}" non2xx);" \
    "CPU % srv $(cpu_field "excl_${which}" 1) wrk $(cpu_field "excl_${which}" 2)" \
    "other $(cpu_field "excl_${which}" 3)"
done

# --- PATCH replace all members of the second group by one -----------------------------------------
KEEP="$(sed -n 1p "${TMP}/ids.txt" | tr -d '[:space:]')"
PATCH_BODY='{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"members","value":[{"value":"'"${KEEP}"'"}]}]}'
step patch_replace -o "${TMP}/patch.json" -X PATCH -H 'Content-Type: application/scim+json' \
  --data-binary "${PATCH_BODY}" "${SCIMD_URL}/scim/v2/Groups/${PATCH_GROUP}"
read -r code bytes secs <"${TMP}/patch_replace.curl"
[[ "${code}" == 200 ]] || die "PATCH replace members gave ${code}: $(head -c 300 "${TMP}/patch.json")"
read -r peak hwm samples first <"${TMP}/patch_replace.mem"
read -r srv cli oth wall <"${TMP}/patch_replace.cpu"
curl -sS --max-time 60 -H @"${TMP}/auth.header" -o "${TMP}/patched.json" \
  "${SCIMD_URL}/scim/v2/Groups/${PATCH_GROUP}"
left="$(python3 -c 'import json, sys
print(" ".join(m["value"] for m in json.load(open(sys.argv[1])).get("members", [])))' \
  "${TMP}/patched.json")"
[[ "${left}" == "${KEEP}" ]] || log "warning: members after the PATCH: '${left:0:100}'"
echo "PATCH /Groups/{id} replace members (${MEMBERS} -> 1): HTTP ${code} in ${secs} s;" \
  "members afterwards $(wc -w <<<"${left}"); scimd VmRSS $(mib "${first}") MiB at the start," \
  "peak sampled $(mib "${peak}") MiB, VmHWM $(mib "${hwm}") MiB;" \
  "CPU % srv ${srv} curl ${cli} other ${oth}"

# --- DELETE the group ------------------------------------------------------------------------------
step delete -o /dev/null -X DELETE "${SCIMD_URL}/scim/v2/Groups/${GROUP}"
read -r code bytes secs <"${TMP}/delete.curl"
read -r peak hwm samples first <"${TMP}/delete.mem"
read -r srv cli oth wall <"${TMP}/delete.cpu"
after="$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H @"${TMP}/auth.header" \
  "${SCIMD_URL}/scim/v2/Groups/${GROUP}?excludedAttributes=members")"
echo "DELETE /Groups/{id} (${MEMBERS} members): HTTP ${code} in ${secs} s; GET afterwards" \
  "${after}; scimd VmRSS $(mib "${first}") MiB at the start, peak sampled $(mib "${peak}") MiB," \
  "VmHWM $(mib "${hwm}") MiB;" \
  "CPU % srv ${srv} curl ${cli} other ${oth}"
log "scimd VmRSS at the end $(($(proc_mem_kib "${SCIMD_PID}" VmRSS) / 1024)) MiB"
for s in $(seq -f 'get_full%g' "${FULL_REPS}") excl_big excl_small patch_replace delete; do
  other="$(cut -d' ' -f3 "${TMP}/${s}.cpu")"
  ((other <= 30)) || log "warning: ${other}% CPU went elsewhere during ${s}: re-run"
done
