// A small client of etcd's v3 JSON gateway (libcurl): leases, keys, and the one
// transaction leader election needs (create a key only if it is absent). Used by scimctl's
// placement commands and by a replicated scimd's election (net/replica_node.h). Each call
// is one blocking HTTP request bounded by the client's timeout; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/base/status.h"

namespace scimd::net {

class Etcd {
 public:
  explicit Etcd(std::string url, int64_t timeout_ms = 5000)
      : url_(std::move(url)), timeout_ms_(timeout_ms) {}
  const std::string& url() const { return url_; }

  core::Result<int64_t> GrantLease(int64_t ttl_seconds);
  // NotFound when the lease has expired.
  core::Status KeepAlive(int64_t lease);
  core::Status Revoke(int64_t lease);
  core::Status Put(const std::string& key, const std::string& value, int64_t lease = 0);
  core::Status Delete(const std::string& key);
  // Every key under `prefix` with its value.
  core::Result<std::map<std::string, std::string>> List(const std::string& prefix);

  struct KeyValue {
    std::string value;
    int64_t create_revision = 0;  // the revision that created the key (grows forever)
    int64_t lease = 0;
  };
  core::Result<std::optional<KeyValue>> Get(const std::string& key);
  // Creates `key` under `lease` unless it exists: its create revision when it was created
  // by this call, nullopt when it existed already.
  core::Result<std::optional<int64_t>> CreateIfAbsent(const std::string& key,
                                                      const std::string& value, int64_t lease);
  // Deletes `key` only if it is still the one created at `create_revision`.
  core::Status DeleteIfCreatedAt(const std::string& key, int64_t create_revision);

 private:
  core::Result<std::string> Call(const std::string& path, const std::string& body);
  std::string url_;
  int64_t timeout_ms_;
};

}  // namespace scimd::net
