# scimd: the two commands of README.md, plus bench.
#   make run    install what is missing, build (Release), start scimd on 127.0.0.1:8080
#   make test   install what is missing, build, run every test with ctest
#   make bench  micro-benchmarks and the HTTP load test (see docs/PERFORMANCE.md)
# Idempotent: only missing Debian packages / npm modules are installed.

BUILD_DIR  ?= build
BUILD_TYPE ?= Release
LISTEN     ?= 127.0.0.1:8080
DATA_DIR   ?= ./data
ADMIN_LISTEN ?= 127.0.0.1:8081
# The admin API's token (docs/ADMIN.md): made once, readable only by you, never in git.
ADMIN_TOKEN_FILE ?= ./admin-token
JOBS       ?= $(shell nproc)

# Everything the build, the tests and the load scripts need (Debian package names).
DEB_PACKAGES := cmake ninja-build g++ make pkg-config \
  librocksdb-dev libsimdjson-dev libasio-dev libgtest-dev libgmock-dev libbenchmark-dev \
  node-llhttp libsodium-dev libcli11-dev curl wrk nginx-light \
  time python3 clang-format libcurl4-openssl-dev libjemalloc-dev zlib1g-dev libutf8proc-dev \
  libssl-dev openssl libtomlplusplus-dev libspdlog-dev dpkg-dev haproxy etcd-server \
  chromium fonts-dejavu-core

SUDO := $(shell [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null && echo sudo)

.PHONY: all deps deb-deps npm-deps build run test bench asan fuzz format clean install package

all: build

deps: deb-deps npm-deps

deb-deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# newman (pinned in package.json / package-lock.json) runs the conformance collection;
# puppeteer-core drives Debian's chromium in the console's browser test (it downloads no
# browser).
npm-deps:
	@[ -x node_modules/.bin/newman ] && [ -f node_modules/puppeteer-core/package.json ] || \
	  npm ci --no-audit --no-fund --loglevel=error

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deb-deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Only the two programs: a first `make run` need not build the test suites.
run: deb-deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS) --target scimd scimctl
	@[ -s $(ADMIN_TOKEN_FILE) ] || (umask 077 && \
	  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $(ADMIN_TOKEN_FILE) && \
	  echo "make: wrote a new admin API token to $(ADMIN_TOKEN_FILE)")
	@echo "make: admin API: SCIMD_ADMIN_TOKEN=\$$(cat $(ADMIN_TOKEN_FILE)) $(BUILD_DIR)/tools/scimctl --server http://$(ADMIN_LISTEN) tenant list"
	@echo "make: admin console: http://$(ADMIN_LISTEN)/console/ (sign in with the token in $(ADMIN_TOKEN_FILE))"
	./$(BUILD_DIR)/tools/scimd --listen $(LISTEN) --data $(DATA_DIR) --demo-tenant demo \
	  --admin-listen $(ADMIN_LISTEN) --admin-token-file $(ADMIN_TOKEN_FILE)

# The programs under PREFIX (DESTDIR for staging), the systemd unit and the default settings
# (packaging/). As root on the machine itself (no DESTDIR): also the scimd system user, the
# data and log directories and an admin token, as the .deb does (docs/OPERATIONS.md).
PREFIX ?= /usr/local
install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD_DIR) --prefix $(PREFIX)
	install -D -m 0644 packaging/scimd.toml $(DESTDIR)/etc/scimd/scimd.toml.example
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
	  [ -f /etc/scimd/scimd.toml ] || cp packaging/scimd.toml /etc/scimd/scimd.toml; \
	  mkdir -p /etc/systemd/system; \
	  sed 's|/usr/bin/scimd|$(PREFIX)/bin/scimd|' packaging/scimd.service > /etc/systemd/system/scimd.service; \
	  packaging/postinst configure; \
	fi

# A Debian package of this build (Release): build/scimd_VERSION_ARCH.deb.
package: build
	./scripts/package.sh $(BUILD_DIR) $(BUILD_DIR)

test: deps build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 600

bench: deps build
	./scripts/bench.sh $(BUILD_DIR)

# ASan + UBSan build and tests, in its own directory.
asan: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCIMD_SANITIZE=ON -DSCIMD_BUILD_BENCH=OFF
	cmake --build build-asan -j $(JOBS)
	ctest --test-dir build-asan --output-on-failure -j $(JOBS) --timeout 900

# libFuzzer targets under ASan + UBSan (clang), each run FUZZ_SECONDS (scripts/fuzz.sh;
# docs/RELIABILITY.md). CI runs them for 60 s each after the tests.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := fuzz_http fuzz_filter fuzz_patch fuzz_resource fuzz_keys fuzz_replica
fuzz: DEB_PACKAGES += clang libclang-rt-14-dev
fuzz: deb-deps
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSCIMD_FUZZ=ON -DSCIMD_BUILD_TESTS=OFF -DSCIMD_BUILD_BENCH=OFF
	cmake --build build-fuzz -j $(JOBS) --target $(FUZZ_TARGETS)
	./scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

# Rewrites the C++ sources as .clang-format says (ctest's format.clang_format checks it).
format:
	./scripts/check_format.sh --fix

clean:
	rm -rf $(BUILD_DIR) build-asan build-fuzz
