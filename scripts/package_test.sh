#!/usr/bin/env bash
# The Debian package (issue #21; ctest packaging.deb): scripts/package.sh builds it from
# BUILD_DIR; its control fields, files and maintainer scripts are checked; then the scimd
# it holds starts from the package's own /etc/scimd/scimd.toml (only the paths and ports
# moved to a temporary directory and ephemeral loopback ports) and answers /readyz and a
# SCIM request. Installing it for real (dpkg -i: a system user, a service) is the manual
# check of docs/OPERATIONS.md, "Installing", not done here: a test does not change the
# machine it runs on.
#
#   scripts/package_test.sh BUILD_DIR
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD_DIR="$(cd "$1" && pwd)"
log() { echo "package_test: $*"; }
die() { echo "package_test: error: $*" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "package_test: no dpkg-deb: skipped"; exit 77; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimd-package-test.XXXXXX")"
PID=""
cleanup() {
  [[ -n "${PID}" ]] && kill "${PID}" 2>/dev/null && wait "${PID}" 2>/dev/null
  rm -rf "${TMP}"
}
trap cleanup EXIT

DEB="$("${SCRIPT_DIR}/package.sh" "${BUILD_DIR}" "${TMP}/out")"
[[ -f "${DEB}" ]] || die "no package was made"
log "built $(basename "${DEB}") ($(du -k "${DEB}" | cut -f1) KiB)"

dpkg-deb --field "${DEB}" Package | grep -qx scimd || die "Package is not scimd"
depends="$(dpkg-deb --field "${DEB}" Depends)"
for dep in libc6 libssl3 adduser; do
  [[ "${depends}" == *"${dep}"* ]] || die "Depends lacks ${dep}: ${depends}"
done
contents="$(dpkg-deb --contents "${DEB}" | awk '{print $6}')"
for f in ./usr/bin/scimd ./usr/bin/scimctl ./usr/bin/scimload ./etc/scimd/scimd.toml \
  ./usr/lib/systemd/system/scimd.service ./etc/logrotate.d/scimd; do
  grep -qx -- "${f}" <<<"${contents}" || die "the package lacks ${f}"
done
mkdir -p "${TMP}/control"
dpkg-deb --control "${DEB}" "${TMP}/control"
grep -qx /etc/scimd/scimd.toml "${TMP}/control/conffiles" || die "scimd.toml is not a conffile"
for script in postinst prerm postrm; do
  sh -n "${TMP}/control/${script}" || die "${script} does not parse"
done
grep -q '^ExecStart=/usr/bin/scimd --config /etc/scimd/scimd.toml$' \
  "${SCRIPT_DIR}/../packaging/scimd.service" || die "the unit does not start scimd with its config"

# The packaged scimd, with the packaged settings, paths and ports moved.
dpkg-deb --extract "${DEB}" "${TMP}/root"
head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40 >"${TMP}/admin-token"
chmod 600 "${TMP}/admin-token"
"${TMP}/root/usr/bin/scimd" --config "${TMP}/root/etc/scimd/scimd.toml" \
  --listen 127.0.0.1:0 --port-file "${TMP}/port" --data "${TMP}/data" \
  --admin-listen 127.0.0.1:0 --admin-port-file "${TMP}/admin.port" \
  --admin-token-file "${TMP}/admin-token" --log-file "${TMP}/scimd.log" \
  --log-access "${TMP}/access.log" --demo-tenant packaged >"${TMP}/out.txt" 2>&1 &
PID=$!
for _ in $(seq 100); do [[ -s "${TMP}/admin.port" ]] && break; sleep 0.1; done
[[ -s "${TMP}/admin.port" ]] || { cat "${TMP}/out.txt" >&2; die "the packaged scimd did not start"; }
ADMIN="http://127.0.0.1:$(cat "${TMP}/admin.port")"
SCIM="http://127.0.0.1:$(cat "${TMP}/port")"
[[ "$(curl -s "${ADMIN}/readyz")" == '{"status":"ready"}' ]] || die "/readyz is not ready"
[[ "$(curl -s -o /dev/null -w '%{http_code}' "${SCIM}/scim/v2/ServiceProviderConfig")" == 200 ]] ||
  die "the SCIM listener does not answer"
kill "${PID}"
wait "${PID}" || die "the packaged scimd did not stop cleanly"
PID=""
grep -q '"path":"/scim/v2/ServiceProviderConfig"' "${TMP}/access.log" || die "no access log"
log "the packaged scimd started from its own settings, answered and stopped"
echo "RESULT package deb=$(basename "${DEB}") ok=1"
