#!/usr/bin/env bash
# Import and export speed against the raw write of the same bytes (issue #18). See
# docs/PERFORMANCE.md ("Import and export (issue #18)").
#
#   scripts/import_bench.sh [N] [BUILD_DIR]   (N users, default 1,000,000; needs scimctl and
#                                             bench/import_raw_bench in BUILD_DIR)
#
# 1. N ~1 KB users as NDJSON (import_raw_bench generate), cached as
#    BUILD_DIR/import-bench/users-N.ndjson
# 2. a fresh data dir and tenant; `scimctl --data DIR import` of the file: wall time, peak RSS
# 3. import_raw_bench raw on that data dir: the same keys and values of every family the
#    import wrote, written again with SstFileWriter + one ingest (timed part only)
# 4. `scimctl --data DIR export` of the tenant to /dev/null: wall time
# Prints records/s of each, the ratio import/raw, and RESULT lines. Each step is bounded by
# a timeout; the temp dir goes on exit. Nothing listens on a port.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
readonly USERS="${1:-1000000}"
BUILD_DIR="$(cd "${2:-${REPO_ROOT}/build}" 2>/dev/null && pwd)" || {
  echo "import_bench: build directory '${2:-${REPO_ROOT}/build}' does not exist" >&2
  exit 2
}
readonly BUILD_DIR
readonly SCIMCTL="${BUILD_DIR}/tools/scimctl"
readonly RAW="${BUILD_DIR}/bench/import_raw_bench"
readonly TENANT=importbench
readonly STEP_TIMEOUT_S="${IMPORT_BENCH_TIMEOUT_S:-3600}"
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

log() { echo "import_bench: $*"; }
die() { echo "import_bench: error: $*" >&2; exit 1; }

[[ "${USERS}" =~ ^[0-9]+$ && "${USERS}" -ge 1 ]] || die "N must be a positive number"
[[ -x "${SCIMCTL}" && -x "${RAW}" ]] || die "build scimctl and import_raw_bench in ${BUILD_DIR} first"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-importbench.XXXXXX")"
trap 'rm -rf "${TMP}"' EXIT
trap 'exit 130' INT TERM

# step NAME CMD...: runs CMD with a timeout; sets WALL (s), RSS_MIB (peak) and CPU ("self%
# other%": its CPU and the rest of the machine's, in % of one core).
step() {
  local name="$1" rss
  shift
  if [[ -x /usr/bin/time ]]; then
    cpu_run "${TMP}/${name}.cpu" /usr/bin/time -f '%e %M' -o "${TMP}/${name}.rusage" \
      timeout "${STEP_TIMEOUT_S}" "$@" >"${TMP}/${name}.out" 2>&1 || {
      cat "${TMP}/${name}.out" >&2
      die "${name} failed"
    }
    read -r WALL rss <"${TMP}/${name}.rusage"
    RSS_MIB=$((rss / 1024))
  else  # no GNU time: wall time from bash, peak RSS from /proc while it runs
    local t0 t1 pid peak=0 now
    t0="$(date +%s%N)"
    timeout "${STEP_TIMEOUT_S}" "$@" >"${TMP}/${name}.out" 2>&1 &
    pid=$!
    while kill -0 "${pid}" 2>/dev/null; do
      for p in $(pgrep -P "${pid}") "${pid}"; do
        now="$(proc_mem_kib "${p}" VmHWM)"
        [[ -n "${now}" ]] && ((now > peak)) && peak="${now}"
      done
      sleep 0.2
    done
    wait "${pid}" || { cat "${TMP}/${name}.out" >&2; die "${name} failed"; }
    t1="$(date +%s%N)"
    WALL="$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f", ns / 1e9 }')"
    RSS_MIB=$((peak / 1024))
    echo "? ?" >"${TMP}/${name}.cpu"
  fi
  CPU="$(cat "${TMP}/${name}.cpu")"
  sed 's/^/    /' "${TMP}/${name}.out"
}

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }

readonly CACHE="${BUILD_DIR}/import-bench"
readonly INPUT="${CACHE}/users-${USERS}.ndjson"
mkdir -p "${CACHE}"
if [[ ! -s "${INPUT}" ]]; then
  log "generating ${USERS} users into ${INPUT}"
  timeout "${STEP_TIMEOUT_S}" "${RAW}" generate "${USERS}" "${INPUT}.tmp" || die "generate failed"
  mv "${INPUT}.tmp" "${INPUT}"
fi
log "input: ${INPUT}, $(du -m "${INPUT}" | cut -f1) MiB"

"${SCIMCTL}" --data "${TMP}/data" tenant create "${TENANT}" >"${TMP}/tenant.out" 2>&1 ||
  { cat "${TMP}/tenant.out" >&2; die "tenant create failed"; }

log "scimctl import"
step import "${SCIMCTL}" --data "${TMP}/data" import "${TENANT}" "${INPUT}"
IMPORT_WALL="${WALL}"
IMPORT_RSS="${RSS_MIB}"
read -r IMPORT_SELF IMPORT_OTHER <<<"${CPU}"
IMPORT_RATE="$(rate "${USERS}" "${IMPORT_WALL}")"

log "raw: the same keys and values, SstFileWriter + ingest"
step raw "${RAW}" raw "${TMP}/data" "${TMP}/raw"
RAW_RATE="$(sed -n 's/.*: \([0-9]*\) records\/s$/\1/p' "${TMP}/raw.out")"
[[ -n "${RAW_RATE}" ]] || die "raw printed no rate"
read -r RAW_SELF RAW_OTHER <<<"${CPU}"
rm -rf "${TMP}/raw"

log "scimctl export to /dev/null"
step export "${SCIMCTL}" --data "${TMP}/data" export "${TENANT}" --out /dev/null
EXPORT_WALL="${WALL}"
EXPORT_RATE="$(rate "${USERS}" "${EXPORT_WALL}")"
grep -q "^exported [0-9,]* users" "${TMP}/export.out" || die "export printed no summary"
EXPORTED="$(sed -n 's/^exported \([0-9,]*\) users.*/\1/p' "${TMP}/export.out" | tr -d ,)"
((EXPORTED == USERS)) || die "exported ${EXPORTED} users, wanted ${USERS}"

RATIO="$(awk -v a="${IMPORT_RATE}" -v b="${RAW_RATE}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
printf 'RESULT import users=%d wall_s=%s records_per_s=%d max_rss_mib=%d self_cpu_pct=%s other_cpu_pct=%s\n' \
  "${USERS}" "${IMPORT_WALL}" "${IMPORT_RATE}" "${IMPORT_RSS}" "${IMPORT_SELF}" "${IMPORT_OTHER}"
printf 'RESULT raw records_per_s=%d self_cpu_pct=%s other_cpu_pct=%s\n' "${RAW_RATE}" "${RAW_SELF}" "${RAW_OTHER}"
printf 'RESULT ratio import/raw=%s\n' "${RATIO}"
printf 'RESULT export users=%d wall_s=%s users_per_s=%d max_rss_mib=%d\n' "${EXPORTED}" \
  "${EXPORT_WALL}" "${EXPORT_RATE}" "${RSS_MIB}"
echo "import_bench: $(date -u +%FT%TZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
