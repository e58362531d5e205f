#!/usr/bin/env bash
# Builds scimd's Debian package from a Release build (issue #21; `make package`):
#
#   scripts/package.sh BUILD_DIR OUT_DIR      -> OUT_DIR/scimd_VERSION_ARCH.deb
#
# The programs (cmake --install, prefix /usr), the systemd unit, /etc/scimd/scimd.toml
# (a conffile), the logrotate rule, and the maintainer scripts of packaging/. Depends is
# what dpkg-shlibdeps finds the programs linked against (librocksdb, libssl, ...), so the
# package installs on the Debian release it was built on. Prints the .deb's path.
set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
[[ $# -eq 2 ]] || { echo "usage: package.sh BUILD_DIR OUT_DIR" >&2; exit 2; }
BUILD_DIR="$(cd "$1" && pwd)"
mkdir -p "$2"
OUT_DIR="$(cd "$2" && pwd)"
command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null ||
  { echo "package: needs dpkg-deb and dpkg-shlibdeps (dpkg-dev)" >&2; exit 2; }

VERSION="$(sed -n 's/^project(scimd VERSION \([0-9.]*\).*/\1/p' "${REPO_ROOT}/CMakeLists.txt")"
REVISION="$(git -C "${REPO_ROOT}" rev-list --count HEAD 2>/dev/null || echo 0)"
ARCH="$(dpkg --print-architecture)"
STAGE="$(mktemp -d "${TMPDIR:-/tmp}/scimd-package.XXXXXX")"
trap 'rm -rf "${STAGE}"' EXIT
ROOT="${STAGE}/root"

DESTDIR="${ROOT}" cmake --install "${BUILD_DIR}" --prefix /usr >/dev/null
strip --strip-unneeded "${ROOT}"/usr/bin/* 2>/dev/null || true
install -D -m 0644 "${REPO_ROOT}/packaging/scimd.toml" "${ROOT}/etc/scimd/scimd.toml"
install -D -m 0644 "${REPO_ROOT}/packaging/scimd.logrotate" "${ROOT}/etc/logrotate.d/scimd"
mkdir -p "${ROOT}/DEBIAN"
for script in postinst prerm postrm; do
  install -m 0755 "${REPO_ROOT}/packaging/${script}" "${ROOT}/DEBIAN/${script}"
done
printf '/etc/scimd/scimd.toml\n/etc/logrotate.d/scimd\n' >"${ROOT}/DEBIAN/conffiles"

# dpkg-shlibdeps wants a source package around it: a minimal one.
mkdir -p "${STAGE}/src/debian"
printf 'Source: scimd\n\nPackage: scimd\nArchitecture: any\n' >"${STAGE}/src/debian/control"
DEPENDS="$(cd "${STAGE}/src" && dpkg-shlibdeps -O -e"${ROOT}"/usr/bin/scimd \
  -e"${ROOT}"/usr/bin/scimctl -e"${ROOT}"/usr/bin/scimload 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')"
[[ -n "${DEPENDS}" ]] || { echo "package: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
SIZE_KB="$(du -sk "${ROOT}" --exclude=DEBIAN | cut -f1)"
cat >"${ROOT}/DEBIAN/control" <<CONTROL
Package: scimd
Version: ${VERSION}-${REVISION}
Architecture: ${ARCH}
Maintainer: scimd developers <scimd@localhost>
Installed-Size: ${SIZE_KB}
Depends: ${DEPENDS}, adduser
Recommends: logrotate
Section: net
Priority: optional
Homepage: https://localhost/scimd
Description: multi-tenant SCIM 2.0 server
 scimd provisions Users and Groups from identity providers (Microsoft Entra ID,
 Okta and others) into per-tenant stores, with an admin API, metrics, online
 backups and a load generator (scimload).
CONTROL

DEB="${OUT_DIR}/scimd_${VERSION}-${REVISION}_${ARCH}.deb"
dpkg-deb --root-owner-group --build "${ROOT}" "${DEB}" >/dev/null
echo "${DEB}"
