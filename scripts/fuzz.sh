#!/usr/bin/env bash
# Runs each libFuzzer target of tests/fuzz/ for a bounded time under ASan + UBSan (issue
# #20; `make fuzz` builds them first). docs/RELIABILITY.md says how to read the results.
#
#   scripts/fuzz.sh BUILD_DIR [SECONDS [TARGET...]]     (SECONDS: 60 per target)
#
# Each target starts from its seeds (scripts/fuzz_seeds.py: the tests' golden files and
# written requests) plus the inputs kept in tests/fuzz/corpus/<target>/ (those that once
# crashed), and grows BUILD_DIR/fuzz-corpus/<target>/ across runs. An input slower than
# 1 s is a finding (-timeout=1), as is a crash, a leak, undefined behaviour or more than
# 2 GiB of memory. A finding is written to BUILD_DIR/fuzz-findings/ and fails the run:
# minimize it (the target with -minimize_crash=1 -runs=10000 FILE), keep it in
# tests/fuzz/corpus/<target>/ and make it a unit test.
# Prints one line per target: RESULT fuzz target=T seconds=S runs=N corpus=N findings=N.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
[[ $# -ge 1 ]] || { echo "usage: fuzz.sh BUILD_DIR [SECONDS [TARGET...]]" >&2; exit 2; }
BUILD_DIR="$(cd "$1" && pwd)"
readonly SECONDS_EACH="${2:-60}"
shift $(($# >= 2 ? 2 : 1))
TARGETS=("$@")
((${#TARGETS[@]} > 0)) || TARGETS=(fuzz_http fuzz_filter fuzz_patch fuzz_resource fuzz_keys fuzz_replica)

SEEDS="${BUILD_DIR}/fuzz-seeds"
rm -rf "${SEEDS}"
python3 "${SCRIPT_DIR}/fuzz_seeds.py" "${SEEDS}"
mkdir -p "${BUILD_DIR}/fuzz-findings"
failed=0
for t in "${TARGETS[@]}"; do
  bin="${BUILD_DIR}/tests/fuzz/${t}"
  [[ -x "${bin}" ]] || { echo "fuzz: ${bin} is not built (make fuzz)" >&2; exit 2; }
  corpus="${BUILD_DIR}/fuzz-corpus/${t}"
  kept="${REPO_ROOT}/tests/fuzz/corpus/${t}"
  mkdir -p "${corpus}" "${kept}"
  log="${BUILD_DIR}/fuzz-${t}.log"
  status=0
  before="$(find "${BUILD_DIR}/fuzz-findings" -name "${t}-*" | wc -l)"
  # Kept findings first, as inputs of their own: each must pass now.
  if compgen -G "${kept}/*" >/dev/null; then
    ASAN_OPTIONS=detect_leaks=1 "${bin}" -timeout=1 -rss_limit_mb=2048 "${kept}"/* \
      >"${log}.kept" 2>&1 || { echo "fuzz: ${t}: a kept input fails again (${log}.kept)" >&2; status=1; }
  fi
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "${bin}" -max_total_time="${SECONDS_EACH}" -timeout=1 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="${BUILD_DIR}/fuzz-findings/${t}-" \
    "${corpus}" "${SEEDS}/${t}" "${kept}" >"${log}" 2>&1 || status=1
  # A sanitizer report printed while the process exits may not change its exit status.
  if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "${log}"; then
    status=1
  fi
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "${log}" | tail -1)"
  findings=$(($(find "${BUILD_DIR}/fuzz-findings" -name "${t}-*" | wc -l) - before))  # this run's
  echo "RESULT fuzz target=${t} seconds=${SECONDS_EACH} runs=${runs:-0}" \
    "corpus=$(find "${corpus}" -type f | wc -l) findings=${findings}"
  if ((status != 0)); then
    failed=1
    echo "fuzz: ${t} found something; the end of ${log}:" >&2
    tail -40 "${log}" >&2
  fi
done
exit "${failed}"
