#!/usr/bin/env bash
# `make bench`: the Google Benchmark micro-benchmarks in BUILD_DIR/bench, then the HTTP
# load test (scripts/load.sh). See docs/PERFORMANCE.md.
#
#   scripts/bench.sh [BUILD_DIR]      (default: <repo>/build)
#
# Environment: BENCH_MIN_TIME [0.2] seconds per micro-benchmark (the micro part then
# takes ~10 s); BENCH_SKIP_LOAD=1 runs only the micro-benchmarks; LOAD_* see load.sh.
# JSON results of the micro-benchmarks go to BUILD_DIR/bench-results/.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
BUILD_DIR="$(cd "${1:-${REPO_ROOT}/build}" 2>/dev/null && pwd)" || {
  echo "bench: build directory '${1:-${REPO_ROOT}/build}' does not exist" >&2
  exit 2
}
readonly BUILD_DIR
readonly MIN_TIME="${BENCH_MIN_TIME:-0.2}"
readonly RESULTS="${BUILD_DIR}/bench-results"

shopt -s nullglob
benches=("${BUILD_DIR}"/bench/*_bench)
if ((${#benches[@]} == 0)); then
  echo "bench: no micro-benchmarks in ${BUILD_DIR}/bench (configure with SCIMD_BUILD_BENCH=ON)" >&2
  exit 2
fi
mkdir -p "${RESULTS}"
echo "bench: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for b in "${benches[@]}"; do
  [[ -x "${b}" ]] || continue
  name="$(basename "${b}")"
  echo "== ${name} (--benchmark_min_time=${MIN_TIME}) =="
  "${b}" --benchmark_min_time="${MIN_TIME}" \
    --benchmark_out="${RESULTS}/${name}.json" --benchmark_out_format=json
done

if [[ "${BENCH_SKIP_LOAD:-0}" == 1 ]]; then
  exit 0
fi
echo "== HTTP load test (scripts/load.sh) =="
exec "${SCRIPT_DIR}/load.sh" "${BUILD_DIR}"
