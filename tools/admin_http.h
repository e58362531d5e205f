// One scimd admin API over HTTP (libcurl): the exchange every `scimctl --server` command
// makes (tools/remote_backend.cc) and a tenant move makes with two servers
// (tools/tenant_move.cc). The admin token goes in the Authorization header; https with
// --cacert. Thread rules: one exchange per call; calls from several threads are fine.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace scimd::tools {

class AdminHttp {
 public:
  // `url`: the admin listener, e.g. http://127.0.0.1:8081 (a trailing slash is dropped).
  AdminHttp(std::string url, std::string token, std::string ca_file);

  struct Exchange {
    const char* method = "GET";
    std::string path;  // after /admin/v1
    std::string_view body;
    const char* content_type = "application/json";
    bool has_body = false;
    // Each piece of the answer's body with the answer's status; false stops the transfer.
    std::function<bool(long status, std::string_view piece)> sink;
    // When set, the answer's headers by lower-case name.
    std::map<std::string, std::string>* headers = nullptr;
    void* curl = nullptr;  // the transfer, while it runs
  };
  // The answer's HTTP status, or IoError when the server cannot be reached or the answer
  // is cut short.
  core::Result<long> Perform(Exchange& x) const;

  const std::string& url() const { return url_; }

 private:
  std::string url_;
  std::string token_;
  std::string ca_file_;
};

}  // namespace scimd::tools
