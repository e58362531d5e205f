#include "tools/cluster.h"

#include <curl/curl.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "core/base/json.h"

namespace scimd::tools {
using core::Json;
using core::Status;

namespace {

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One HTTP GET; the status, or 0 when the server cannot be reached.
long Get(const std::string& url) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  std::string ignored;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &ignored);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 2L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  if (curl_easy_perform(curl.get()) != CURLE_OK) return 0;
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  return status;
}

// A command on HAProxy's admin socket; its answer.
core::Result<std::string> HaproxyCommand(const std::string& socket_path,
                                         const std::string& command) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return Status::IoError("cannot make a socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    close(fd);
    return Status::InvalidValue("the HAProxy socket path is too long");
  }
  std::strcpy(addr.sun_path, socket_path.c_str());
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return Status::IoError("cannot reach HAProxy's admin socket " + socket_path);
  }
  const std::string line = command + "\n";
  if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    close(fd);
    return Status::IoError("cannot write to HAProxy's admin socket");
  }
  shutdown(fd, SHUT_WR);
  std::string answer;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;)
    answer.append(buffer, static_cast<size_t>(n));
  close(fd);
  return answer;
}

}  // namespace

core::Status JoinCluster(Etcd& etcd, const std::string& node, const std::string& address,
                         const std::string& admin_url, const std::string& ready_url,
                         std::chrono::seconds ttl, const std::atomic<bool>& stop) {
  const std::string key = kNodesPrefix + node;
  int64_t lease = 0;
  const auto beat = std::max(std::chrono::milliseconds(200),
                             std::chrono::duration_cast<std::chrono::milliseconds>(ttl) / 3);
  while (!stop.load()) {
    const bool ready = Get(ready_url) == 200;
    if (ready && lease == 0) {
      auto granted = etcd.GrantLease(ttl.count());
      if (granted.ok() && etcd.Put(key, address, *granted).ok() &&
          (admin_url.empty() || etcd.Put(kAdminPrefix + node, admin_url, *granted).ok())) {
        lease = *granted;
      }
    } else if (ready) {
      if (!etcd.KeepAlive(lease).ok()) lease = 0;  // expired: registered again next beat
    } else if (lease != 0) {
      // Not ready (stopping, a full disk, gone): leave now rather than at the TTL.
      (void)etcd.Revoke(lease);
      lease = 0;
    }
    for (auto slept = std::chrono::milliseconds(0); slept < beat && !stop.load();
         slept += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (lease != 0) (void)etcd.Revoke(lease);
  return Status::Ok();
}

namespace {

// A backend `slot_<n>` of packaging/haproxy/scimd.cfg.in: one server, given to a node at
// run time. In maintenance while free.
struct Slot {
  std::string backend;
  std::string server;
  std::string address;  // "ip:port" of the node it serves
  bool free = true;
};

// The slots as HAProxy has them now (`show servers state`: a version line, a header of
// field names, then one line per server).
core::Result<std::vector<Slot>> Slots(const std::string& socket) {
  SCIMD_ASSIGN_OR_RETURN(std::string shown, HaproxyCommand(socket, "show servers state"));
  std::istringstream lines(shown);
  std::map<std::string, size_t> column;
  std::vector<Slot> out;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string word; words >> word;) w.push_back(word);
    if (!w.empty() && w[0] == "#") {
      for (size_t i = 1; i < w.size(); ++i) column[w[i]] = i - 1;
      continue;
    }
    const char* need[] = {"be_name", "srv_name", "srv_addr", "srv_port", "srv_admin_state"};
    bool ok = true;
    for (const char* c : need) ok = ok && column.count(c) > 0 && column[c] < w.size();
    if (!ok || w[column["be_name"]].rfind("slot_", 0) != 0) continue;
    Slot slot;
    slot.backend = w[column["be_name"]];
    slot.server = w[column["srv_name"]];
    slot.address = w[column["srv_addr"]] + ":" + w[column["srv_port"]];
    // Bit 0x01 of the admin state: forced into maintenance (free, or its node left).
    slot.free = (std::strtol(w[column["srv_admin_state"]].c_str(), nullptr, 10) & 1) != 0;
    out.push_back(std::move(slot));
  }
  return out;
}

// The port of an admin URL ("http://10.0.0.5:8081" -> "8081"), empty when it has none.
std::string PortOf(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t host = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t slash = url.find('/', host);
  const std::string authority = url.substr(host, slash == std::string::npos ? slash : slash - host);
  const size_t colon = authority.rfind(':');
  return colon == std::string::npos ? "" : authority.substr(colon + 1);
}

}  // namespace

core::Result<int> ReconcileOnce(Etcd& etcd, const std::string& socket,
                                const std::string& map_file) {
  SCIMD_ASSIGN_OR_RETURN(auto nodes, etcd.List(kNodesPrefix));
  SCIMD_ASSIGN_OR_RETURN(auto tenants, etcd.List(kTenantsPrefix));
  SCIMD_ASSIGN_OR_RETURN(auto admins, etcd.List(kAdminPrefix));
  SCIMD_ASSIGN_OR_RETURN(std::vector<Slot> slots, Slots(socket));
  int changed = 0;
  auto run = [&](const std::string& command) -> Status {
    SCIMD_ASSIGN_OR_RETURN(std::string answer, HaproxyCommand(socket, command));
    // Silence is success; `set server ... addr` also reports what it did ("... changed
    // from ... by 'stats socket command'", or "no need to change ...").
    const bool reported = answer.find("by 'stats socket command'") != std::string::npos;
    if (!reported && answer.find_first_not_of("\r\n ") != std::string::npos) {
      return Status::IoError("HAProxy refused \"" + command + "\": " + answer);
    }
    ++changed;
    return Status::Ok();
  };
  // Each registered node's backend: the slot that serves its address, else a free one,
  // pointed at it (and its health check at its admin port's /readyz).
  std::map<std::string, std::string> backend_of;  // node -> backend
  std::map<std::string, std::string> node_at;     // address -> node
  for (const auto& [key, address] : nodes) node_at[address] = key.substr(std::strlen(kNodesPrefix));
  for (Slot& slot : slots) {
    if (slot.free) continue;
    auto it = node_at.find(slot.address);
    if (it != node_at.end() && backend_of.count(it->second) == 0) {
      backend_of[it->second] = slot.backend;
      continue;
    }
    // Its node left (or another slot serves it): the slot is free again.
    SCIMD_RETURN_IF_ERROR(run("set server " + slot.backend + "/" + slot.server + " state maint"));
    slot.free = true;
  }
  for (const auto& [address, node] : node_at) {
    if (backend_of.count(node) > 0) continue;
    Slot* slot = nullptr;
    for (Slot& s : slots) {
      if (s.free) {
        slot = &s;
        break;
      }
    }
    if (slot == nullptr) break;  // all taken: its tenants stay unplaced until one frees
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos) continue;  // not ip:port
    const std::string server = slot->backend + "/" + slot->server;
    SCIMD_RETURN_IF_ERROR(run("set server " + server + " addr " + address.substr(0, colon) +
                              " port " + address.substr(colon + 1)));
    auto admin = admins.find(kAdminPrefix + node);
    const std::string check_port = admin == admins.end() ? "" : PortOf(admin->second);
    if (!check_port.empty()) {
      SCIMD_RETURN_IF_ERROR(run("set server " + server + " check-port " + check_port));
      SCIMD_RETURN_IF_ERROR(run("enable health " + server));
    } else {
      SCIMD_RETURN_IF_ERROR(run("disable health " + server));  // up while registered
    }
    SCIMD_RETURN_IF_ERROR(run("set server " + server + " state ready"));
    slot->free = false;
    backend_of[node] = slot->backend;
  }

  std::map<std::string, std::string> want;  // tenant -> backend
  for (const auto& [key, node] : tenants) {
    const std::string tenant = key.substr(std::strlen(kTenantsPrefix));
    auto it = backend_of.find(node);
    want[tenant] = it != backend_of.end() ? it->second : "unplaced";
  }
  // What the map says now: "<id> <key> <value>" per line.
  SCIMD_ASSIGN_OR_RETURN(std::string shown, HaproxyCommand(socket, "show map " + map_file));
  std::map<std::string, std::string> have;
  std::istringstream lines(shown);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string id, key, value;
    if (words >> id >> key >> value) have[key] = value;
  }
  for (const auto& [tenant, backend] : want) {
    auto it = have.find(tenant);
    if (it == have.end()) {
      SCIMD_RETURN_IF_ERROR(run("add map " + map_file + " " + tenant + " " + backend));
    } else if (it->second != backend) {
      SCIMD_RETURN_IF_ERROR(run("set map " + map_file + " " + tenant + " " + backend));
    }
  }
  for (const auto& [tenant, backend] : have) {
    if (want.count(tenant) == 0) SCIMD_RETURN_IF_ERROR(run("del map " + map_file + " " + tenant));
  }
  return changed;
}

}  // namespace scimd::tools
