# Shell functions shared by the load and measurement scripts (source it; bash only).
# Callers set TMP (their private temp dir) and, for pinning, SERVER_CPU / CLIENT_CPU arrays.
# Nothing here prints a token.

# stop_pid PID: TERM, wait up to 10 s, then KILL. Only ever a pid the caller started.
stop_pid() {
  local pid="$1"
  [[ -n "${pid}" ]] && kill -0 "${pid}" 2>/dev/null || return 0
  kill -TERM "${pid}" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "${pid}" 2>/dev/null || true
  wait "${pid}" 2>/dev/null || true
}

free_port() {
  node -e 'const s = require("net").createServer();
    s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# pin_setup [PIN]: with PIN=1 and >= 2 CPUs, servers on CPU 0 and clients on CPU 1.
pin_setup() {
  SERVER_CPU=()
  CLIENT_CPU=()
  if [[ "${1:-1}" == 1 ]] && command -v taskset >/dev/null && (($(nproc) >= 2)); then
    SERVER_CPU=(taskset -c 0)
    CLIENT_CPU=(taskset -c 1)
  fi
}

readonly LIB_CLK_TCK="$(getconf CLK_TCK)"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }  # utime + stime, all threads
idle_ticks() { awk '/^cpu / { print $5 + $6 }' /proc/stat; }  # idle + iowait, all CPUs
# Whole-machine busy ticks (all CPUs): everything but idle and iowait.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# cpu_run OUT_CPU_FILE CMD...: runs CMD (its own CPU from `time`), then writes
# "self% other%" to OUT_CPU_FILE: CMD's CPU and the rest of the machine's busy time in %
# of one core over the run. Returns CMD's status.
cpu_run() {
  local out="$1" b0 b1 t0 t1 rc=0 wall user sys
  shift
  b0="$(busy_ticks)"
  t0="$(date +%s%N)"
  local TIMEFORMAT='%R %U %S'
  { time "$@" 2>&3; } 3>&2 2>"${out}.time" || rc=$?
  t1="$(date +%s%N)"
  b1="$(busy_ticks)"
  read -r wall user sys <"${out}.time"
  awk -v b=$((b1 - b0)) -v hz="${LIB_CLK_TCK}" -v ns=$((t1 - t0)) -v u="${user}" -v s="${sys}" \
    'BEGIN { sec = ns / 1e9; self = 100 * (u + s) / sec; other = 100 * b / hz / sec - self;
             printf "%.0f %.0f\n", self, other < 0 ? 0 : other }' >"${out}"
  return "${rc}"
}

# proc_mem_kib PID FIELD: VmRSS / VmHWM of a process, in KiB.
proc_mem_kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null; }

# start_scimd DATA_DIR THREADS LOG: scimd on an ephemeral 127.0.0.1 port (pinned with
# SERVER_CPU; more flags from the array SCIMD_EXTRA_ARGS); sets SCIMD_PID and SCIMD_URL
# (https:// when the flags hold --tls-cert).
# Waits up to 60 s (a large store opens slowly).
start_scimd() {
  local data="$1" threads="$2" log="$3"
  rm -f "${TMP}/port"
  "${SERVER_CPU[@]}" "${SCIMD}" --listen 127.0.0.1:0 --data "${data}" \
    --threads "${threads}" --port-file "${TMP}/port" "${SCIMD_EXTRA_ARGS[@]}" >"${log}" 2>&1 &
  SCIMD_PID=$!
  for _ in $(seq 600); do
    [[ -s "${TMP}/port" ]] && break
    kill -0 "${SCIMD_PID}" 2>/dev/null || { cat "${log}" >&2; return 1; }
    sleep 0.1
  done
  [[ -s "${TMP}/port" ]] || return 1
  SCIMD_URL="http://127.0.0.1:$(tr -d '[:space:]' <"${TMP}/port")"
  [[ " ${SCIMD_EXTRA_ARGS[*]:-} " == *" --tls-cert "* ]] && SCIMD_URL="https${SCIMD_URL#http}"
  return 0
}

# make_tenant SCIMCTL DATA_DIR NAME: tenant + token via scimctl; the token goes to the
# exported SCIMD_TOKEN and to ${TMP}/auth.header (for curl -H @file), never to output.
make_tenant() {
  local scimctl="$1" data="$2" name="$3"
  "${scimctl}" --data "${data}" tenant create "${name}" >"${TMP}/scimctl.log" 2>&1 ||
    { cat "${TMP}/scimctl.log" >&2; return 1; }
  (umask 077 && "${scimctl}" --data "${data}" token issue "${name}" >"${TMP}/token.out" \
    2>"${TMP}/token.err") || { cat "${TMP}/token.err" >&2; return 1; }
  SCIMD_TOKEN="$(tail -n 1 "${TMP}/token.out")"
  export SCIMD_TOKEN
  rm -f "${TMP}/token.out"
  (umask 077 && printf 'Authorization: Bearer %s\n' "${SCIMD_TOKEN}" >"${TMP}/auth.header")
}

# seed_and_start_scimd USERS [SEEDER_ARGS...]: the data of a 1-core load test. A tenant and
# token (make_tenant), USERS users written into the stopped store by ${SEEDER}
# (seed_group_bench; SEEDER_ARGS appended), then scimd --threads 1 started, left to settle,
# and checked to hold exactly USERS users. Uses the caller's SCIMCTL, SEEDER, TENANT, log
# and die; sets SEED_LINE (the seeder's SEED summary) and what start_scimd sets.
seed_and_start_scimd() {
  local users="$1" have
  shift
  make_tenant "${SCIMCTL}" "${TMP}/data" "${TENANT}" || die "tenant/token set-up failed"
  log "seeding ${users} users straight into the store (seed_group_bench)"
  cpu_run "${TMP}/seed.cpu" "${SEEDER}" --data "${TMP}/data" --tenant "${TENANT}" \
    --users "${users}" "$@" >"${TMP}/seed.out" || die "seeding failed"
  SEED_LINE="$(grep '^SEED' "${TMP}/seed.out")"
  log "${SEED_LINE} (wall+other incl. close: $(cat "${TMP}/seed.cpu") self%/other%)"

  start_scimd "${TMP}/data" 1 "${TMP}/scimd.log" || die "scimd did not start"
  log "scimd --threads 1 on ${SCIMD_URL#http://}; waiting for the store to settle"
  wait_idle "${SCIMD_PID}" 180 || log "warning: scimd still busy after 180 s"
  have="$(curl -sS --max-time 60 -H @"${TMP}/auth.header" "${SCIMD_URL}/scim/v2/Users?count=0" |
    node -e 'let s = ""; process.stdin.on("data", d => s += d)
      .on("end", () => console.log(JSON.parse(s).totalResults))')"
  ((have == users)) || die "totalResults ${have}, wanted ${users}"
}

# start_nginx PORT FILE LOCATION_PREFIX: unprivileged foreground nginx (one worker, pinned
# with SERVER_CPU) answering every path under LOCATION_PREFIX with FILE (copied into
# ${TMP}/www); sets NGINX_PID. The reference of every load script.
start_nginx() {
  local port="$1" file="$2" prefix="$3"
  mkdir -p "${TMP}/nginx" "${TMP}/www"
  [[ "${file}" -ef "${TMP}/www/static.json" ]] || cp "${file}" "${TMP}/www/static.json"
  cat >"${TMP}/nginx/nginx.conf" <<CONF
# Unprivileged foreground nginx for the reference run; everything lives in ${TMP}.
daemon off;
master_process off;
worker_processes 1;
pid ${TMP}/nginx/nginx.pid;
error_log ${TMP}/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${TMP}/nginx/body;
  proxy_temp_path ${TMP}/nginx/proxy;
  fastcgi_temp_path ${TMP}/nginx/fastcgi;
  uwsgi_temp_path ${TMP}/nginx/uwsgi;
  scgi_temp_path ${TMP}/nginx/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 75s;
  default_type application/scim+json;
  sendfile on;
  open_file_cache max=16 inactive=60s;
  open_file_cache_valid 60s;
  server {
    listen 127.0.0.1:${port};
    root ${TMP}/www;
    location ${prefix} { rewrite ^ /static.json break; }
  }
}
CONF
  "${SERVER_CPU[@]}" nginx -p "${TMP}/nginx" -e "${TMP}/nginx/error.log" \
    -c "${TMP}/nginx/nginx.conf" >>"${TMP}/nginx/stdout.log" 2>&1 &
  NGINX_PID=$!
  for _ in $(seq 50); do
    kill -0 "${NGINX_PID}" 2>/dev/null || return 1
    curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:${port}${prefix}x" && return 0
    sleep 0.1
  done
  return 1
}

# start_nginx_retry FILE LOCATION_PREFIX: start_nginx on a free port, 3 tries (a port can
# be taken between the probe and the bind); sets NGINX_PORT.
start_nginx_retry() {
  NGINX_PORT=""
  local port
  for _ in 1 2 3; do
    port="$(free_port)"
    if start_nginx "${port}" "$1" "$2"; then NGINX_PORT="${port}"; return 0; fi
    stop_pid "${NGINX_PID}"
    NGINX_PID=""
  done
  return 1
}

# wrk_measure NAME SERVER_PID LUA URL CONNS DURATION -- LUA_ARGS...: one wrk run (pinned
# with CLIENT_CPU; WRK_THREADS threads, default 1) into ${TMP}/NAME.out, and
# "server% wrk% other%" into ${TMP}/NAME.cpu.
wrk_measure() {
  local name="$1" pid="$2" lua="$3" url="$4" conns="$5" dur="$6" before after idle0 idle1 t0 t1
  shift 6
  [[ "${1:-}" == "--" ]] && shift
  before="$(cpu_ticks "${pid}")"
  idle0="$(idle_ticks)"
  t0="$(date +%s%N)"
  local TIMEFORMAT='%R %U %S'
  { time "${CLIENT_CPU[@]}" wrk -t"${WRK_THREADS:-1}" -c"${conns}" -d"${dur}" --timeout 10s -s "${lua}" "${url}" \
      -- "$@" >"${TMP}/${name}.out" 2>&1; } 2>"${TMP}/${name}.time" ||
    { cat "${TMP}/${name}.out" >&2; return 1; }
  t1="$(date +%s%N)"
  after="$(cpu_ticks "${pid}")"
  idle1="$(idle_ticks)"
  read -r wall user sys <"${TMP}/${name}.time"
  awk -v d=$((after - before)) -v hz="${LIB_CLK_TCK}" -v ns=$((t1 - t0)) -v w="${wall}" \
    -v u="${user}" -v s="${sys}" -v idle=$((idle1 - idle0)) -v cpus="$(nproc)" \
    'BEGIN { sec = ns / 1e9; srv = 100 * d / hz / sec; cli = 100 * (u + s) / w;
             other = 100 * cpus - 100 * idle / hz / sec - srv - cli;
             printf "%.0f %.0f %.0f\n", srv, cli, other < 0 ? 0 : other }' >"${TMP}/${name}.cpu"
}
result_field() { sed -n "s/^RESULT.* $2=\([^ ]*\).*/\1/p" "$1"; }  # result_field FILE KEY
cpu_field() { cut -d' ' -f"$2" "${TMP}/$1.cpu"; }  # cpu_field NAME 1=server 2=wrk 3=other

# measure_cmd NAME SERVER_PID CMD...: runs CMD (a client such as curl) and writes
# "server% cmd% other% wall_s" to ${TMP}/NAME.cpu: the server's CPU, CMD's, and the rest of
# the machine's busy time (other work, unattributed kernel time), in % of one core.
measure_cmd() {
  local name="$1" pid="$2" before after b0 b1 t0 t1 rc=0 wall user sys
  shift 2
  before="$(cpu_ticks "${pid}")"
  b0="$(busy_ticks)"
  t0="$(date +%s%N)"
  local TIMEFORMAT='%R %U %S'
  { time "$@" 2>&3; } 3>&2 2>"${TMP}/${name}.time" || rc=$?
  t1="$(date +%s%N)"
  b1="$(busy_ticks)"
  after="$(cpu_ticks "${pid}")"
  read -r wall user sys <"${TMP}/${name}.time"
  awk -v d=$((after - before)) -v b=$((b1 - b0)) -v hz="${LIB_CLK_TCK}" -v ns=$((t1 - t0)) \
    -v u="${user}" -v s="${sys}" \
    'BEGIN { sec = ns / 1e9; srv = 100 * d / hz / sec; cmd = 100 * (u + s) / sec;
             other = 100 * b / hz / sec - srv - cmd;
             printf "%.0f %.0f %.0f %.3f\n", srv, cmd, other < 0 ? 0 : other, sec }' \
    >"${TMP}/${name}.cpu"
  return "${rc}"
}

# wait_idle PID [MAX_S]: waits (at most MAX_S, default 120 s) until PID uses < 5% of a core
# over a second, e.g. a freshly opened store done with its recovery flush and compactions.
wait_idle() {
  local pid="$1" max="${2:-120}" a b
  for _ in $(seq "${max}"); do
    a="$(cpu_ticks "${pid}")"
    sleep 1
    b="$(cpu_ticks "${pid}")"
    (((b - a) * 100 < 5 * LIB_CLK_TCK)) && return 0
  done
  return 1
}

# tls_setup: a self-signed certificate for 127.0.0.1 (Debian's openssl) in ${TMP}/tls;
# sets TLS_ARGS (scimd's flags) and TLS_CA (what a client trusts).
tls_setup() {
  mkdir -p "${TMP}/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "${TMP}/tls/key.pem" -out "${TMP}/tls/cert.pem" 2>/dev/null
  TLS_ARGS=(--tls-cert "${TMP}/tls/cert.pem" --tls-key "${TMP}/tls/key.pem")
  TLS_CA="${TMP}/tls/cert.pem"
}

# admin_setup: a random admin API token for this run's servers, exported as
# SCIMD_ADMIN_TOKEN (scimd reads it; never printed) and written to ${TMP}/admin.header for
# curl. Start a server with SCIMD_EXTRA_ARGS=(--admin-listen 127.0.0.1:0 --admin-port-file
# FILE) to reach its admin API.
admin_setup() {
  SCIMD_ADMIN_TOKEN="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  export SCIMD_ADMIN_TOKEN
  (umask 077 && printf 'Authorization: Bearer %s\n' "${SCIMD_ADMIN_TOKEN}" >"${TMP}/admin.header")
}

# store_backlog ADMIN_PORT_FILE [CA_FILE]: "pending_bytes running_compactions level0_files"
# of the server's storage engine (GET /admin/v1/store); with CA_FILE over https (a server
# started with --tls-cert), trusting that certificate.
store_backlog() {
  local url="http://127.0.0.1:$(tr -d '[:space:]' <"$1")/admin/v1/store" tls=()
  [[ -n "${2:-}" ]] && url="https${url#http}" tls=(--cacert "$2")
  curl -sS --max-time 10 "${tls[@]}" -H @"${TMP}/admin.header" "${url}" |
    node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      const j = JSON.parse(s);
      console.log(j.pendingCompactionBytes, j.runningCompactions, j.level0Files); })'
}

# settle_store PID ADMIN_PORT_FILE [MAX_S [CA_FILE]]: waits (at most MAX_S, 300) until the
# server's engine has no compaction running or pending and the server is idle. (Idle alone
# is not enough: a pause between two compactions passes for it.) CA_FILE: as store_backlog.
settle_store() {
  local pending running l0
  for _ in $(seq "${3:-300}"); do
    read -r pending running l0 <<<"$(store_backlog "$2" "${4:-}")"
    ((pending == 0 && running == 0)) && wait_idle "$1" 30 && return 0
    sleep 1
  done
  return 1
}

# sample_mem PID OUT INTERVAL_S MAX_S: appends "VmRSS VmHWM" (KiB) of PID every
# INTERVAL_S to OUT until PID exits, the file ${OUT}.stop appears, or MAX_S has passed.
sample_mem() {
  local pid="$1" out="$2" interval="$3" max="$4" end
  end=$((SECONDS + max))
  while kill -0 "${pid}" 2>/dev/null && [[ ! -e "${out}.stop" ]] && ((SECONDS < end)); do
    # Builtins only: a fork per sample would itself show up as "other" CPU.
    local key value rss="" hwm=""
    while read -r key value _; do
      case "${key}" in
        VmHWM:) hwm="${value}" ;;
        VmRSS:) rss="${value}" ;;
      esac
    done <"/proc/${pid}/status" 2>/dev/null || break
    echo "${rss} ${hwm}" >>"${out}"
    sleep "${interval}"
  done
}

# start_etcd NAME: a one-member etcd on two free loopback ports, data in ${TMP}/etcd, its
# pid added to PIDS; sets ETCD (the client URL). Returns 1 when it does not answer in 10 s.
start_etcd() {
  local name="$1" client peer
  client="$(free_port)" peer="$(free_port)"
  ETCD="http://127.0.0.1:${client}"
  etcd --name "${name}" --data-dir "${TMP}/etcd" --listen-client-urls "${ETCD}" \
    --advertise-client-urls "${ETCD}" --listen-peer-urls "http://127.0.0.1:${peer}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${peer}" \
    --initial-cluster "${name}=http://127.0.0.1:${peer}" >"${TMP}/etcd.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do curl -s "${ETCD}/health" | grep -q true && return 0; sleep 0.1; done
  tail "${TMP}/etcd.log" >&2
  return 1
}

# write_cluster_file FILE N: a replica group's file (group "test") of N nodes on free
# loopback ports, with a random replication secret in FILE.secret; fills the arrays PORT,
# ADMIN and REPL (declare -A them first).
write_cluster_file() {
  local file="$1" count="$2" n
  (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"${file}.secret")
  {
    echo 'group = "test"'
    echo "secret-file = \"${file}.secret\""
    for n in $(seq "${count}"); do
      PORT[${n}]="$(free_port)" ADMIN[${n}]="$(free_port)" REPL[${n}]="$(free_port)"
      printf '[[node]]\nid = %d\nlisten = "127.0.0.1:%s"\nadmin = "127.0.0.1:%s"\nreplication = "127.0.0.1:%s"\n' \
        "${n}" "${PORT[${n}]}" "${ADMIN[${n}]}" "${REPL[${n}]}"
    done
  } >"${file}"
}

# group_leader N: the node (1..N, by the ADMIN array) whose /readyz answers 200, if any.
group_leader() {
  local n
  for n in $(seq "$1"); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' -m 1 "http://127.0.0.1:${ADMIN[${n}]}/readyz")" == 200 ]] &&
      { echo "${n}"; return 0; }
  done
  return 0
}

# wait_group_leader N: group_leader, waited for up to 30 s (nothing printed when none).
wait_group_leader() {
  local l
  for _ in $(seq 300); do
    l="$(group_leader "$1")"
    [[ -n "${l}" ]] && { echo "${l}"; return 0; }
    sleep 0.1
  done
  return 0
}

# For a replica group's scripts (replica_failover.sh, replica_partition.sh): the nodes'
# admin ports in the array ADMIN, their data in ${TMP}/node<N>, their pids in
# ${TMP}/node<N>.pid, the admin token's header in ${TMP}/admin.header.
# group_state N: "role position" of node N, or "down".
group_state() {
  curl -s -m 1 -H @"${TMP}/admin.header" "http://127.0.0.1:${ADMIN[$1]}/admin/v1/cluster" |
    python3 -c 'import json,sys; j = json.load(sys.stdin); print(j["role"], j["position"])' \
      2>/dev/null || echo down
}
# wait_group_converged N: one leader and its N-1 followers connected and caught up (the
# leader writes a little all the time: HAProxy's /readyz probes), twice 1 s apart, within
# 60 s; returns 1 (printing the leader's view) otherwise.
wait_group_converged() {
  local l view stable=0
  for _ in $(seq 60); do
    l="$(group_leader "$1")"
    view=""
    [[ -n "${l}" ]] && view="$(curl -s -m 1 -H @"${TMP}/admin.header" \
      "http://127.0.0.1:${ADMIN[${l}]}/admin/v1/cluster")"
    if [[ -n "${view}" ]] && python3 -c '
import json, sys
j = json.loads(sys.argv[1])
f = [n for n in j["nodes"] if n["id"] != j["node"]]
sys.exit(0 if len(f) == int(sys.argv[2]) - 1 and
         all(n.get("connected") and n.get("lag", 1 << 60) < 1000 for n in f) else 1)' "${view}" "$1"; then
      ((++stable >= 2)) && return 0
    else
      stable=0
    fi
    sleep 1
  done
  echo "the leader's view: ${view}" >&2
  return 1
}
# group_tenant LEADER NAME: the tenant NAME and a SCIM token for it (in ${TMP}/token), made
# through the leader's admin API (and so replicated).
group_tenant() {
  local a="http://127.0.0.1:${ADMIN[$1]}/admin/v1"
  curl -sf -H @"${TMP}/admin.header" "${a}/tenants" -d "{\"name\":\"$2\"}" >/dev/null || return 1
  (umask 077 && curl -sf -H @"${TMP}/admin.header" "${a}/tenants/$2/tokens" -d '{"scope":"scim"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' >"${TMP}/token")
}
# start_group_haproxy N: HAProxy on PROXY_PORT (set here) with one backend of the N nodes
# (SCIM ports in the array PORT), health-checked on /readyz of their admin listeners: only
# the leader passes. Waits until a read with ${TMP}/token gets through (10 s).
start_group_haproxy() {
  local n
  PROXY_PORT="$(free_port)"
  {
    cat <<CFG
global
  maxconn 1000
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
frontend scim
  bind 127.0.0.1:${PROXY_PORT}
  default_backend group
backend group
  option httpchk GET /readyz
  http-check expect status 200
CFG
    for n in $(seq "$1"); do
      echo "  server n${n} 127.0.0.1:${PORT[${n}]} check port ${ADMIN[${n}]} inter 300ms fall 1 rise 1"
    done
  } >"${TMP}/haproxy.cfg"
  haproxy -db -f "${TMP}/haproxy.cfg" >"${TMP}/haproxy.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "${TMP}/token")" \
      "http://127.0.0.1:${PROXY_PORT}/scim/v2/Users?count=1")" == 200 ]] && return 0
    sleep 0.1
  done
  return 1
}
# group_terms_single N: from the N nodes' logs, each term in which a node acknowledged a
# write as leader and the node; returns 1 when two nodes acknowledged writes in one term.
# Prints "terms=T" (how many terms saw writes acknowledged).
group_terms_single() {
  cat "${TMP}"/node?.log | python3 -c '
import re, sys
seen = {}
for line in sys.stdin:
    m = re.search(r"node (\d+) acknowledged its first write as the leader of term (\d+)", line)
    if m:
        seen.setdefault(int(m.group(2)), set()).add(int(m.group(1)))
bad = {t: sorted(n) for t, n in seen.items() if len(n) > 1}
if bad:
    print("terms in which two nodes acknowledged writes as leader: %s" % bad, file=sys.stderr)
    sys.exit(1)
print("terms=%d" % len(seen))'
}
# group_supervise N CLUSTER_FILE ETCD_URL DELAY: node N of a group (SCIMD, data in
# ${TMP}/node<N>, log appended to ${TMP}/node<N>.log, pid in ${TMP}/node<N>.pid), started
# again DELAY seconds after it ends (as systemd's Restart= would) until ${TMP}/stopping
# exists. Run it in the background.
group_supervise() {
  local n="$1" cluster="$2" etcd="$3" delay="$4"
  while [[ ! -e "${TMP}/stopping" ]]; do
    "${SCIMD}" --node-id "${n}" --cluster "${cluster}" --etcd "${etcd}" \
      --data "${TMP}/node${n}" --threads 1 >>"${TMP}/node${n}.log" 2>&1 &
    echo $! >"${TMP}/node${n}.pid"
    wait $! 2>/dev/null || true  # (no "Killed" notice for the kills the tests make)
    [[ -e "${TMP}/stopping" ]] && break
    sleep "${delay}"
  done
}
# group_stop N: stops the N nodes (SIGTERM; the supervisors must have been told to stop)
# and waits up to 10 s each.
group_stop() {
  local n pid
  for n in $(seq "$1"); do
    pid="$(cat "${TMP}/node${n}.pid")"
    kill -0 "${pid}" 2>/dev/null && kill -TERM "${pid}" 2>/dev/null || true
  done
  for n in $(seq "$1"); do
    for _ in $(seq 100); do kill -0 "$(cat "${TMP}/node${n}.pid")" 2>/dev/null || break; sleep 0.1; done
  done
}
# group_compare N TENANT: exports TENANT from each stopped store and checks it (`scimctl
# check`); returns 1 when an export or check fails or the exports differ. Prints the
# count of resources.
group_compare() {
  local count="$1" tenant="$2" n
  for n in $(seq "${count}"); do
    "${SCIMCTL}" --data "${TMP}/node${n}" export "${tenant}" --out "${TMP}/export${n}.ndjson" \
      >/dev/null 2>&1 || { echo "export of node ${n} failed" >&2; return 1; }
    "${SCIMCTL}" --data "${TMP}/node${n}" check "${tenant}" >"${TMP}/check${n}.log" 2>&1 ||
      { cat "${TMP}/check${n}.log" >&2; echo "check of node ${n} failed" >&2; return 1; }
    cmp -s "${TMP}/export1.ndjson" "${TMP}/export${n}.ndjson" ||
      { echo "the exports of nodes 1 and ${n} differ" >&2; return 1; }
  done
  wc -l <"${TMP}/export1.ndjson"
}

# An EXIT trap for a script that starts several processes: each pid in the array PIDS is
# stopped and waited for, then the directory TMP removed.
stop_pids_and_clean() {
  local pid
  for pid in "${PIDS[@]}"; do kill "${pid}" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "${pid}" 2>/dev/null || true; done
  rm -rf "${TMP}"
}
