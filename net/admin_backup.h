// The admin API's backups (issue #21; tools/backup.h has the format): POST
// /admin/v1/backups makes a RocksDB checkpoint of the whole store under the server's data
// directory (hard links: instant, no copy) and lists its files; GET
// /admin/v1/backups/{id}/files/{name} streams one; DELETE /admin/v1/backups/{id} removes
// the checkpoint. `scimctl --server URL backup DIR` does the three. Checkpoints left by a
// client that went away are removed at the next start, and at most kMaxBackups exist at
// once. Safe on any thread.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/clock.h"
#include "core/base/store.h"
#include "net/admin_transfer.h"

namespace scimd::net {

inline constexpr size_t kMaxBackups = 4;

class AdminBackups {
 public:
  using Reply = AdminTransfers::Reply;
  // `dir`: where checkpoints are made (emptied now); must be on the data directory's file
  // system for hard links.
  AdminBackups(core::Store& store, std::string dir, const core::Clock& clock);

  // `rest`: the path segments after /backups.
  Reply Handle(const std::vector<std::string_view>& rest, std::string_view method);

 private:
  Reply Create();
  Reply File(std::string_view id, std::string_view name);
  Reply Remove(std::string_view id);

  core::Store& store_;
  const std::string dir_;
  const core::Clock& clock_;
  std::mutex mu_;                               // guards backups_, next_
  std::map<std::string, std::string> backups_;  // id -> checkpoint directory
  uint64_t next_ = 0;
};

}  // namespace scimd::net
