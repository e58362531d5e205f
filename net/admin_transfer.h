// Imports and exports through the admin API (docs/ADMIN.md): a file is uploaded in pieces
// into the server's staging directory, then imported on a thread of its own while the
// tenant's writes are held (503 with Retry-After; reads go on) and its progress is polled;
// an export is streamed from one consistent view while the tenant keeps serving.
//   POST   /tenants/T/imports                       -> 201 {"id": ...}
//   PUT    /tenants/T/imports/ID/data?offset=N      raw bytes appended at N
//   POST   /tenants/T/imports/ID/start {"maxErrors": N}  -> 202
//   GET    /tenants/T/imports/ID                    the state (admin::ImportState)
//   GET    /tenants/T/imports                       the tenant's imports, oldest first
//   DELETE /tenants/T/imports/ID                    drops an upload that has not started
//   GET    /tenants/T/export[?resource=Users|Groups] NDJSON, chunked
// Thread rules: every method is safe on any thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/base/clock.h"
#include "core/base/json.h"
#include "core/base/store.h"
#include "core/tenancy/activity.h"
#include "core/tenancy/gate.h"
#include "net/admin_json.h"

namespace scimd::net {

// Bytes one PUT of an upload may carry (below the admin server's body limit).
inline constexpr size_t kImportPieceBytes = size_t{4} << 20;
// Uploads and finished imports kept for their state: the oldest finished go past this.
inline constexpr size_t kMaxImportSessions = 64;
// An upload that has not started and received no piece for this long is dropped (its
// file removed) at the next imports request: a client that gave up leaves no file behind.
inline constexpr int64_t kUploadIdleExpiryMicros = int64_t{24} * 3600 * 1000 * 1000;

class AdminTransfers {
 public:
  struct Options {
    std::string staging_dir;  // uploads live here (removed and made again at start)
    const core::Clock* clock = &core::Clock::System();
    // Writes admitted before an import holds the tenant end within this (as for index
    // builds); the import starts after it.
    std::chrono::milliseconds in_flight_grace{3000};
  };
  struct Reply {
    Reply() = default;
    Reply(int s, std::string b) : status(s), body(std::move(b)) {}
    int status = 200;
    std::string body;  // JSON, unless `stream` is set
    std::function<bool(std::string& out)> stream;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
  };

  AdminTransfers(core::Store& store, core::Gate& gate, core::ActivityLog& activity,
                 Options options);
  ~AdminTransfers();  // waits for running imports
  AdminTransfers(const AdminTransfers&) = delete;
  AdminTransfers& operator=(const AdminTransfers&) = delete;

  // `rest`: the path segments after /tenants/T/imports; `raw`: the request body.
  Reply Imports(const core::TenantRecord& tenant, const std::vector<std::string_view>& rest,
                std::string_view method, std::string_view offset, std::string_view raw);
  Reply Export(const core::TenantRecord& tenant, std::string_view resource);

  int Running() const { return running_.load(); }
  // Whether an import of `tenant` has started and not ended (a tenant delete waits).
  bool Importing(core::TenantId tenant);
  // Each import the server still knows (uploading, running, or finished and not expired)
  // with its figures, for /metrics.
  struct Progress {
    core::TenantId tenant = 0;
    std::string id;
    std::string state;
    uint64_t uploaded = 0;  // bytes
    uint64_t read = 0;      // bytes of the upload read so far
    uint64_t records = 0;
    uint64_t rejected = 0;
  };
  std::vector<Progress> Imports();
  void WaitForImports();

 private:
  struct Session {
    std::mutex mu;  // guards state and the bytes counters
    core::TenantId tenant = 0;
    std::string path;
    admin::ImportState state;
    int64_t touched_us = 0;  // when the upload was opened or last received a piece
  };
  // Drops uploads idle past kUploadIdleExpiryMicros. REQUIRES: mu_ held.
  void ExpireIdleUploads();
  Reply Start(const std::shared_ptr<Session>& s, const core::Json& body);
  void Run(std::shared_ptr<Session> s, uint64_t max_errors);
  std::shared_ptr<Session> Find(const core::TenantRecord& tenant, std::string_view id);

  core::Store& store_;
  core::Gate& gate_;
  core::ActivityLog& activity_;
  const Options options_;
  std::mutex mu_;  // guards sessions_, threads_
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  std::vector<std::thread> threads_;
  uint64_t next_id_ = 0;  // guarded by mu_
  std::atomic<int> running_{0};
};

}  // namespace scimd::net
