#!/usr/bin/env bash
# An Entra-style initial sync of USERS users against scimd itself, end to end (issue #18):
# how long it takes and at which rate. See docs/LOAD-TESTING.md.
#
#   scripts/entra_sync.sh [USERS] [BIN_DIR]   (default: 1000000, <repo>/build/tools)
#
# BIN_DIR holds scimd, scimctl and scimload (a Release build: `make build`).
#
# 1. fresh data dir, tenant + token via scimctl, scimd on an ephemeral 127.0.0.1 port
#    (--threads SYNC_SCIMD_THREADS; no pinning: scimd and scimload share the machine)
# 2. `scimload entra-initial` with SYNC_CONNECTIONS connections, closed loop: the test
#    connection, per user a userName filter then a POST (1 in 10 looked up again, 1 in 100
#    created a second time for the 409), then SYNC_GROUPS groups of SYNC_GROUP_SIZE members
#    added by PATCHes of SYNC_MEMBER_BATCH; bounded by SYNC_DURATION
# 3. checks /Users and /Groups totalResults, prints the end-to-end time, the rates, the
#    report's latency table, scimd's CPU and peak memory and the store's size on disk
# 4. with SYNC_FOLLOWUPS=1, against the synced tenant: an open-loop entra-initial of a second
#    directory (--seed 2) at SYNC_OPEN_RATE requests/s, then entra-incremental and okta over
#    the first SYNC_FOLLOWUP_USERS users of the synced directory (each bounded in time)
# 5. scimd stopped: bench/raw_put_bench (when built next to BIN_DIR) measures RocksDB's own
#    single-Put rate with the synced store's options and as many threads as scimd had
#    reactors, and the sync's users/s is printed as a ratio to it (issue #19)
# Then removes the data dir. Exits 1 when a scimload run exits non-zero.
#
# Environment (defaults in brackets):
#   SYNC_CONNECTIONS [8]  SYNC_SCIMD_THREADS [0: one per CPU]  SYNC_DURATION [1800]
#   SYNC_GROUPS [USERS / 1000, at least 10]  SYNC_GROUP_SIZE [1000]  SYNC_MEMBER_BATCH [500]
#   SYNC_REPORT_DIR: keep the JSON and text reports and the progress lines there
#   SYNC_FOLLOWUPS [0]  SYNC_OPEN_USERS [25000]  SYNC_OPEN_RATE [2000]
#   SYNC_FOLLOWUP_USERS [min(USERS, 100000)]  SYNC_FOLLOWUP_DURATION [600]
#
# The bearer token goes from scimctl's output file to scimload through SCIMLOAD_TOKEN and to
# curl through a header file: it is never printed or put on a command line.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
readonly USERS="${1:-1000000}"
BIN_DIR="$(cd "${2:-${REPO_ROOT}/build/tools}" 2>/dev/null && pwd)" || {
  echo "entra_sync: bin directory '${2:-${REPO_ROOT}/build/tools}' does not exist" >&2
  exit 2
}
readonly BIN_DIR
readonly SCIMD="${BIN_DIR}/scimd"
readonly SCIMCTL="${BIN_DIR}/scimctl"
readonly SCIMLOAD="${BIN_DIR}/scimload"
readonly RAW_PUT="${BIN_DIR}/../bench/raw_put_bench"
readonly CONNECTIONS="${SYNC_CONNECTIONS:-8}"
readonly SCIMD_THREADS="${SYNC_SCIMD_THREADS:-0}"
readonly DURATION="${SYNC_DURATION:-1800}"
readonly MEMBER_BATCH="${SYNC_MEMBER_BATCH:-500}"
readonly FOLLOWUPS="${SYNC_FOLLOWUPS:-0}"
readonly OPEN_USERS="${SYNC_OPEN_USERS:-25000}"
readonly OPEN_RATE="${SYNC_OPEN_RATE:-2000}"
readonly FOLLOWUP_DURATION="${SYNC_FOLLOWUP_DURATION:-600}"
readonly REPORT_DIR="${SYNC_REPORT_DIR:-}"
readonly TENANT=entrasync

# stop_pid, make_tenant, start_scimd, measure_cmd, sample_mem, proc_mem_kib: lib.sh.
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

log() { echo "entra_sync: $*"; }
die() { echo "entra_sync: error: $*" >&2; exit 1; }

for tool in curl node; do
  command -v "${tool}" >/dev/null || die "${tool} is not installed (make deps)"
done
[[ -x "${SCIMD}" && -x "${SCIMCTL}" && -x "${SCIMLOAD}" ]] ||
  die "build scimd, scimctl and scimload into ${BIN_DIR} first (make build)"
[[ "${USERS}" =~ ^[0-9]+$ && "${USERS}" -gt 0 ]] || die "USERS must be a positive integer"
# Entra tenants of this size sync hundreds to thousands of assigned groups: one group per
# 1,000 users, each of 1,000 members (as many memberships as users), by default.
readonly NGROUPS="${SYNC_GROUPS:-$((USERS / 1000 > 10 ? USERS / 1000 : 10))}"
readonly GROUP_SIZE="${SYNC_GROUP_SIZE:-$((USERS < 1000 ? USERS : 1000))}"
readonly FOLLOWUP_USERS="${SYNC_FOLLOWUP_USERS:-$((USERS < 100000 ? USERS : 100000))}"

# shellcheck disable=SC2034  # read by start_scimd (lib.sh): no pinning, both CPUs shared
SERVER_CPU=()
TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-entrasync.XXXXXX")"
SCIMD_PID=""
SAMPLER_PID=""
cleanup() {
  stop_pid "${SAMPLER_PID}"
  stop_pid "${SCIMD_PID}"
  rm -rf "${TMP}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- scimd --------------------------------------------------------------------------------------
make_tenant "${SCIMCTL}" "${TMP}/data" "${TENANT}" || die "tenant/token set-up failed"
export SCIMLOAD_TOKEN="${SCIMD_TOKEN}"
start_scimd "${TMP}/data" "${SCIMD_THREADS}" "${TMP}/scimd.log" || die "scimd did not start"
readonly BASE="${SCIMD_URL}/scim/v2"
log "scimd --threads ${SCIMD_THREADS} on ${SCIMD_URL#http://}; $(nproc) CPUs shared with scimload"

total() {  # total Users|Groups: totalResults of the tenant
  curl -sS --max-time 120 -H @"${TMP}/auth.header" "${BASE}/$1?count=0" |
    node -e 'let s = ""; process.stdin.on("data", d => s += d)
      .on("end", () => console.log(JSON.parse(s).totalResults))'
}

# summary JSON_FILE: the figures of one scimload report, one line each.
summary() {
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const f = (x, d = 1) => x.toLocaleString("en-US", { maximumFractionDigits: d });
    const users = r.kinds["POST /Users"] ? r.kinds["POST /Users"].count : 0;
    console.log(`  ${r.profile}: ${r.users} users, ${r.groups_requested} groups of ` +
      `${r.group_size}, ${r.connections} connections, ${r.mode} loop` +
      (r.rate ? ` at ${r.rate} req/s` : "") + `; complete=${r.complete} exit=${r.exit_code}`);
    console.log(`  time ${f(r.duration_s, 1)} s, ${f(r.total_requests, 0)} requests, ` +
      `${f(r.requests_per_s, 0)} req/s, ${f(users / r.duration_s, 0)} users created/s`);
    console.log(`  errors ${JSON.stringify(r.errors_by_status)}, wrong answers ` +
      `${r.wrong_answers}, connection failures ${r.connection_failures}, unfinished ` +
      `${r.unfinished}` + (r.mode === "open" ? `, idle slots ${r.idle_slots}` : ""));
    console.log("  " + ["kind", "count", "p50", "p90", "p99", "p99.9", "max ms"]
      .map((h, i) => i ? h.padStart(9) : h.padEnd(24)).join(""));
    for (const [k, v] of Object.entries(r.kinds)) {
      const l = v.latency_ms;
      console.log("  " + k.padEnd(24) + [v.count, l.p50, l.p90, l.p99, l["p99.9"], l.max]
        .map((x, i) => (i ? x.toFixed(2) : String(x)).padStart(9)).join(""));
    }
    const d = r.directory;
    console.log(`  directory: users ${d.users_created} created, ${d.users_found} found, ` +
      `${d.users_changed} changed, ${d.users_disabled} disabled; groups ${d.groups_created} ` +
      `created, ${d.groups_found} found; members ${d.members_added} added, ` +
      `${d.members_removed} removed, ${d.members_moved} moved`);' "$1"
}

# run_load NAME PROFILE ARGS...: one scimload run (its progress on stderr into NAME.progress,
# its text report into NAME.txt, JSON into NAME.json), under CPU accounting (NAME.cpu:
# scimd% scimload% other% wall_s). Returns scimload's exit code.
run_load() {
  local name="$1" profile="$2" rc=0
  shift 2
  measure_cmd "${name}" "${SCIMD_PID}" "${SCIMLOAD}" "${profile}" --url "${BASE}" \
    --json "${TMP}/${name}.json" "$@" >"${TMP}/${name}.txt" 2>"${TMP}/${name}.progress" || rc=$?
  [[ -s "${TMP}/${name}.json" ]] || { cat "${TMP}/${name}.progress" >&2; die "${name}: no report"; }
  if [[ -n "${REPORT_DIR}" ]]; then
    mkdir -p "${REPORT_DIR}"
    cp "${TMP}/${name}.json" "${TMP}/${name}.txt" "${TMP}/${name}.progress" "${REPORT_DIR}/"
  fi
  return "${rc}"
}
cpu_line() {  # cpu_line NAME
  local srv cmd oth wall
  read -r srv cmd oth wall <"${TMP}/$1.cpu"
  echo "  CPU over the run (100 = one core, $(nproc) CPUs): scimd ${srv}%, scimload ${cmd}%," \
    "rest of the machine ${oth}% (other processes, kernel); wall ${wall} s"
}

# --- the initial sync ----------------------------------------------------------------------------
sample_mem "${SCIMD_PID}" "${TMP}/mem.samples" 1 "$((DURATION + 60))" &
SAMPLER_PID=$!
log "entra-initial: ${USERS} users, ${NGROUPS} groups of ${GROUP_SIZE} (PATCHes of" \
  "${MEMBER_BATCH}), ${CONNECTIONS} connections, closed loop, --duration ${DURATION}"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
START_NS="$(date +%s%N)"
SYNC_RC=0
run_load initial entra-initial --users "${USERS}" --groups "${NGROUPS}" \
  --group-size "${GROUP_SIZE}" --member-batch "${MEMBER_BATCH}" \
  --connections "${CONNECTIONS}" --duration "${DURATION}" || SYNC_RC=$?
END_NS="$(date +%s%N)"
touch "${TMP}/mem.samples.stop"
wait "${SAMPLER_PID}" 2>/dev/null || true
SAMPLER_PID=""
HAVE_USERS="$(total Users)"
HAVE_GROUPS="$(total Groups)"
PEAK_RSS="$(awk '{ if ($1 > m) m = $1 } END { print m + 0 }' "${TMP}/mem.samples")"
HWM="$(proc_mem_kib "${SCIMD_PID}" VmHWM)"

echo
echo "== Entra-style initial sync of ${USERS} users against scimd ($(date -u +%Y-%m-%dT%H:%M:%SZ)) =="
echo "machine: $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1))," \
  "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM; scimd" \
  "--threads ${SCIMD_THREADS} and scimload on the same CPUs; load average ${LOAD_BEFORE}" \
  "before, $(cut -d' ' -f1-3 /proc/loadavg) after"
echo "command: scimload entra-initial --url ${BASE} --users ${USERS} --groups ${NGROUPS}" \
  "--group-size ${GROUP_SIZE} --member-batch ${MEMBER_BATCH} --connections ${CONNECTIONS}" \
  "--duration ${DURATION} --json initial.json   (token from SCIMLOAD_TOKEN)"
summary "${TMP}/initial.json"
cpu_line initial
awk -v ns=$((END_NS - START_NS)) -v u="${USERS}" 'BEGIN {
  s = ns / 1e9; printf "  end to end (scimload started to report written): %.1f s = %.1f min," \
    " %.0f users/s\n", s, s / 60, u / s }'
# scimload's progress lines (every 5 s) tell when the groups phase began.
GROUPS_AT="$(sed -n 's/^scimload: *\([0-9.]*\) s .*phase groups.*/\1/p' "${TMP}/initial.progress" |
  head -n 1)"
[[ -z "${GROUPS_AT}" ]] || echo "  users phase over, groups phase running, by the progress line at" \
  "${GROUPS_AT} s (lines every 5 s)"
echo "  after: /Users totalResults ${HAVE_USERS} (wanted ${USERS}), /Groups totalResults" \
  "${HAVE_GROUPS} (wanted ${NGROUPS}); scimd peak sampled VmRSS $((PEAK_RSS / 1024)) MiB," \
  "VmHWM $((${HWM:-0} / 1024)) MiB"
((SYNC_RC == 0)) || log "warning: scimload exited ${SYNC_RC}; its report: ${TMP}/initial.txt"
((HAVE_USERS == USERS && HAVE_GROUPS == NGROUPS)) || {
  log "warning: the tenant does not hold what the sync should have written"
  SYNC_RC=1
}

# --- follow-ups against the synced tenant ---------------------------------------------------------
RC=0
if [[ "${FOLLOWUPS}" == 1 ]]; then
  # Open loop, a second directory (--seed 2: other userNames) into the same tenant: every
  # latency counts from the request's intended send time.
  echo
  echo "== open loop: entra-initial --seed 2 --users ${OPEN_USERS} --rate ${OPEN_RATE} =="
  run_load open entra-initial --seed 2 --users "${OPEN_USERS}" --groups 0 \
    --connections "${CONNECTIONS}" --rate "${OPEN_RATE}" --duration "${FOLLOWUP_DURATION}" ||
    RC=1
  summary "${TMP}/open.json"
  cpu_line open

  # The synced directory's first FOLLOWUP_USERS users (seed 1) and the same groups.
  for profile in entra-incremental okta; do
    echo
    echo "== ${profile} over ${FOLLOWUP_USERS} users of the synced directory =="
    run_load "${profile}" "${profile}" --users "${FOLLOWUP_USERS}" --groups "${NGROUPS}" \
      --group-size "${GROUP_SIZE}" --member-batch "${MEMBER_BATCH}" \
      --connections "${CONNECTIONS}" --duration "${FOLLOWUP_DURATION}" || RC=1
    summary "${TMP}/${profile}.json"
    cpu_line "${profile}"
  done
fi

stop_pid "${SCIMD_PID}"
SCIMD_PID=""
echo
echo "store on disk after the runs (scimd stopped): $(du -sh "${TMP}/data" | cut -f1)"

# --- the raw reference (issue #19) ------------------------------------------------------------
# RocksDB's own single-Put rate in the same run: a new store with the synced store's
# options, as many writer threads as scimd had reactors, 10 s of ~1 KB Puts (WAL on, no
# fsync, as scimd without --sync). Skipped when bench/raw_put_bench is not built.
if [[ -x "${RAW_PUT}" ]]; then
  RAW_THREADS="${SCIMD_THREADS}"
  ((RAW_THREADS > 0)) || RAW_THREADS="$(nproc)"
  "${RAW_PUT}" "${TMP}/data" "${TMP}/raw-db" "${RAW_THREADS}" 10 >"${TMP}/raw.out" 2>&1 ||
    { cat "${TMP}/raw.out" >&2; die "raw_put_bench failed"; }
  RAW_RPS="$(sed -n 's/^RESULT raw_put.* puts_per_s=\([0-9]*\).*/\1/p' "${TMP}/raw.out")"
  awk -v ns=$((END_NS - START_NS)) -v u="${USERS}" -v g="${GROUPS_AT:-0}" -v raw="${RAW_RPS}" \
    -v t="${RAW_THREADS}" 'BEGIN {
      e2e = u / (ns / 1e9); users = g > 0 ? u / g : 0;
      printf "raw RocksDB single Put (%d threads, the synced store'"'"'s options): %d/s\n", t, raw;
      printf "RESULT entra_sync users_per_s_end_to_end=%.0f users_per_s_users_phase=%.0f" \
        " raw_put_rps=%d ratio_end_to_end=%.3f ratio_users_phase=%.3f\n",
        e2e, users, raw, e2e / raw, (users > 0 ? users / raw : 0) }'
fi
((SYNC_RC == 0 && RC == 0)) || exit 1
