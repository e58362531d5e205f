#!/usr/bin/env bash
# The systemd unit read by systemd's own checker (ctest packaging.unit): directives it
# does not know, a bad value, an ExecStart that cannot run. `systemd-analyze verify` needs
# no running systemd; the unit's /usr/bin/scimd is pointed at the build's binary.
#
#   scripts/unit_verify.sh [BUILD_DIR]
set -euo pipefail
readonly REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$(cd "${1:-${REPO_ROOT}/build}" && pwd)"
command -v systemd-analyze >/dev/null || { echo "unit_verify: no systemd-analyze: skipped"; exit 77; }
TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-unit.XXXXXX")"
trap 'rm -rf "${TMP}"' EXIT
sed "s|/usr/bin/scimd|${BUILD_DIR}/tools/scimd|g" "${REPO_ROOT}/packaging/scimd.service" \
  >"${TMP}/scimd.service"
out="$(systemd-analyze verify "${TMP}/scimd.service" 2>&1)" || {
  echo "${out}" >&2
  exit 1
}
# Warnings do not fail verify: any line at all is one.
if [[ -n "${out}" ]]; then
  echo "${out}" >&2
  exit 1
fi
echo "unit_verify: packaging/scimd.service verified"
