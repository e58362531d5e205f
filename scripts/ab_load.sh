#!/usr/bin/env bash
# Same-run A/B throughput of two scimd builds (before/after a change): both serve copies of
# one seeded store, and short wrk runs alternate between them, so that machine noise hits
# both alike. Reports each run and the median per build, and B/A of the medians.
#
#   scripts/ab_load.sh BUILD_A BUILD_B          (build dirs holding tools/scimd)
#
# 1. seeds AB_USERS users (seed_group_bench of BUILD_B, straight into a stopped store),
#    copies the store, starts A and B (--threads AB_THREADS, pinned to CPU 0, wrk on CPU 1,
#    each with a loopback admin listener) and waits until both stores have settled (no
#    compaction running or pending, GET /admin/v1/store) and both servers are idle;
# 2. AB_ROUNDS rounds of GET /Users/{random id} on A and B (the order flips every round),
#    AB_DURATION each, AB_CONNECTIONS connections;
# 3. AB_ROUNDS rounds of POST /Users on A and B, each on a fresh copy of the seeded store
#    with only that server running: writes grow the store and start flushes and
#    compactions, which would otherwise spill into the next runs (a long-lived pair of
#    servers gave 2-6k/s for the same build within one run).
#
# Environment: AB_USERS [100000] AB_ROUNDS [5] AB_DURATION [5s] AB_CONNECTIONS [32];
# AB_THREADS [1]: scimd's reactor threads; AB_PIN [1]: 0 leaves servers and wrk unpinned
# (with AB_THREADS=2, the set-up of scripts/write_load.sh; WRK_THREADS sets wrk's threads);
# AB_A_SETTINGS / AB_B_SETTINGS: tenant settings (name=value, space-separated) given to A's
# or B's copies of the store, e.g. the same build twice with AB_B_SETTINGS=activity=off.
# AB_B_TLS [0]: 1 starts B with a self-signed certificate (--tls-cert/--tls-key) and loads
# it over https: the same build twice gives the cost of TLS.
# AB_B_ARGS: more scimd flags for B, space-separated (e.g. "--log-access /tmp/access.log":
# the same build twice gives the cost of the access log).
# The token goes through SCIMD_TOKEN and a 0600 header file; never printed. Loopback only.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
[[ $# -eq 2 ]] || { echo "usage: $0 BUILD_A BUILD_B" >&2; exit 2; }
BUILD_A="$(cd "$1" && pwd)"
BUILD_B="$(cd "$2" && pwd)"
readonly BUILD_A BUILD_B
readonly SCIMCTL="${BUILD_B}/tools/scimctl"
readonly SEEDER="${BUILD_B}/bench/seed_group_bench"
readonly LUA="${REPO_ROOT}/bench/wrk/scim.lua"
readonly USERS="${AB_USERS:-100000}"
readonly ROUNDS="${AB_ROUNDS:-5}"
readonly DURATION="${AB_DURATION:-5s}"
readonly CONNECTIONS="${AB_CONNECTIONS:-32}"
readonly TENANT=ab

log() { echo "ab_load: $*" >&2; }
die() { echo "ab_load: error: $*" >&2; exit 1; }
for b in "${BUILD_A}" "${BUILD_B}"; do [[ -x "${b}/tools/scimd" ]] || die "no ${b}/tools/scimd"; done
[[ -x "${SEEDER}" && -x "${SCIMCTL}" ]] || die "build scimctl and seed_group_bench in ${BUILD_B}"
command -v wrk >/dev/null || die "wrk is not installed (make deps)"

TMP="$(mktemp -d /tmp/scimd-ab.XXXXXX)"
PID_A="" PID_B=""
cleanup() { stop_pid "${PID_A}"; stop_pid "${PID_B}"; rm -rf "${TMP}"; }
trap cleanup EXIT
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"
pin_setup "${AB_PIN:-1}"
readonly AB_THREADS="${AB_THREADS:-1}"

make_tenant "${SCIMCTL}" "${TMP}/data" "${TENANT}" || die "tenant/token set-up failed"
log "seeding ${USERS} users"
"${SEEDER}" --data "${TMP}/data" --tenant "${TENANT}" --users "${USERS}" \
  --ids "${TMP}/ids.txt" >"${TMP}/seed.out" 2>&1 || { cat "${TMP}/seed.out" >&2; die "seeding failed"; }
# settle DATA_DIR SIDE: applies AB_A_SETTINGS or AB_B_SETTINGS to a copy of the store. Both
# sides' copies are opened by scimctl the same way (opening flushes and may compact), so
# that the stores' shapes stay alike whatever the settings.
settle() {
  local settings
  if [[ "$2" == A ]]; then settings="${AB_A_SETTINGS:-}"; else settings="${AB_B_SETTINGS:-}"; fi
  "${SCIMCTL}" --data "$1" tenant show "${TENANT}" >/dev/null || die "tenant show"
  for kv in ${settings}; do
    "${SCIMCTL}" --data "$1" tenant set "${TENANT}" "${kv}" >/dev/null || die "tenant set ${kv}"
  done
}
cp -a "${TMP}/data" "${TMP}/data-a"
cp -a "${TMP}/data" "${TMP}/data-b"
settle "${TMP}/data-a" A
settle "${TMP}/data-b" B

# Each server's admin API (loopback) tells when its store has settled: no compaction
# running or pending.
admin_setup
B_TLS=() B_CA=""
if [[ "${AB_B_TLS:-0}" == 1 ]]; then tls_setup; B_TLS=("${TLS_ARGS[@]}") B_CA="${TLS_CA}"; fi
read -r -a B_MORE <<<"${AB_B_ARGS:-}"
B_TLS+=("${B_MORE[@]}")  # B's own flags, TLS or not
SCIMD_EXTRA_ARGS=(--admin-listen 127.0.0.1:0 --admin-port-file "${TMP}/a.admin")
SCIMD="${BUILD_A}/tools/scimd" start_scimd "${TMP}/data-a" "${AB_THREADS}" "${TMP}/a.log" || die "A did not start"
PID_A="${SCIMD_PID}" URL_A="${SCIMD_URL}"
SCIMD_EXTRA_ARGS=(--admin-listen 127.0.0.1:0 --admin-port-file "${TMP}/b.admin" "${B_TLS[@]}")
SCIMD="${BUILD_B}/tools/scimd" start_scimd "${TMP}/data-b" "${AB_THREADS}" "${TMP}/b.log" || die "B did not start"
PID_B="${SCIMD_PID}" URL_B="${SCIMD_URL}"
SCIMD_EXTRA_ARGS=()
settle_store "${PID_A}" "${TMP}/a.admin" 300 || log "warning: A's store has not settled"
settle_store "${PID_B}" "${TMP}/b.admin" 300 "${B_CA}" || log "warning: B's store has not settled"

declare -A RPS
run() {  # run KIND SIDE ROUND
  local kind="$1" side="$2" round="$3" pid url name
  if [[ "${side}" == A ]]; then pid="${PID_A}" url="${URL_A}"; else pid="${PID_B}" url="${URL_B}"; fi
  name="${kind}-${side}-${round}"
  if [[ "${kind}" == get ]]; then
    wrk_measure "${name}" "${pid}" "${LUA}" "${url}" "${CONNECTIONS}" "${DURATION}" -- \
      get "${TMP}/ids.txt" || die "wrk failed"
  else
    # A fresh copy of the seeded store, this server alone, settled before the run.
    stop_pid "${PID_A}"; stop_pid "${PID_B}"; PID_A="" PID_B=""
    rm -rf "${TMP}/data-post"
    cp -a "${TMP}/data" "${TMP}/data-post"
    settle "${TMP}/data-post" "${side}"
    SCIMD_EXTRA_ARGS=()
    [[ "${side}" == B ]] && SCIMD_EXTRA_ARGS=("${B_TLS[@]}")
    SCIMD="$([[ "${side}" == A ]] && echo "${BUILD_A}" || echo "${BUILD_B}")/tools/scimd" \
      start_scimd "${TMP}/data-post" "${AB_THREADS}" "${TMP}/post.log" || die "${side} did not start"
    pid="${SCIMD_PID}" url="${SCIMD_URL}"
    if [[ "${side}" == A ]]; then PID_A="${pid}"; else PID_B="${pid}"; fi
    wait_idle "${pid}" 120 || log "warning: ${side} still busy"
    wrk_measure "${name}" "${pid}" "${LUA}" "${url}" "${CONNECTIONS}" "${DURATION}" -- \
      post "ab${side}${round}x" || die "wrk failed"
  fi
  local rps non2xx
  rps="$(result_field "${TMP}/${name}.out" rps)"
  non2xx="$(result_field "${TMP}/${name}.out" non2xx)"
  [[ "${non2xx}" == 0 ]] || log "warning: ${name}: ${non2xx} non-2xx answers"
  RPS["${kind}-${side}"]+="${rps} "
  printf '%-5s %s round %s: %8s req/s  p50 %s ms  p99 %s ms  srv%% %s oth%% %s\n' "${kind}" \
    "${side}" "${round}" "${rps}" "$(result_field "${TMP}/${name}.out" p50_ms)" \
    "$(result_field "${TMP}/${name}.out" p99_ms)" "$(cpu_field "${name}" 1)" "$(cpu_field "${name}" 3)"
  [[ "${kind}" == post ]] || wait_idle "${pid}" 30 || true
}

echo "== scimd A/B load ($(date -u +%Y-%m-%dT%H:%M:%SZ)): A=${BUILD_A} B=${BUILD_B}"
echo "settings: A '${AB_A_SETTINGS:-}' B '${AB_B_SETTINGS:-}'${B_CA:+; B over TLS}"
echo "set-up: ${USERS} users seeded; wrk -t${WRK_THREADS:-1} -c${CONNECTIONS} -d${DURATION};" \
  "--threads ${AB_THREADS}; ${SERVER_CPU:+servers on CPU 0, wrk on CPU 1}${SERVER_CPU:-not pinned};" \
  "${ROUNDS} rounds, order flipped each round"
for kind in get post; do
  for round in $(seq "${ROUNDS}"); do
    if ((round % 2)); then run "${kind}" A "${round}"; run "${kind}" B "${round}"
    else run "${kind}" B "${round}"; run "${kind}" A "${round}"; fi
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END {
  printf "%.0f (min %.0f, max %.0f)", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR] }'; }
med() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END {
  print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
for kind in get post; do
  a="$(echo "${RPS[${kind}-A]}" | med)" b="$(echo "${RPS[${kind}-B]}" | med)"
  echo "RESULT ${kind}: A median $(echo "${RPS[${kind}-A]}" | median) req/s;" \
    "B median $(echo "${RPS[${kind}-B]}" | median) req/s; B/A $(awk -v a="${a}" -v b="${b}" 'BEGIN { printf "%.3f", b / a }')"
done
