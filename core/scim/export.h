// Exporting a tenant as NDJSON (scimctl export, the admin API's export): one SCIM resource
// per line, Users then Groups, each group with all its members, exactly as a GET renders
// them (id, meta with created, lastModified and version), from one consistent view of the
// tenant while writes go on. What an import of the file loads back, with the same ids,
// attributes, members and meta. Passwords are never exported (they are kept only as
// hashes and never returned). Thread rules: one thread at a time per view.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/ids.h"
#include "core/base/status.h"
#include "core/base/store.h"

namespace scimd::core {

struct ExportOptions {
  bool users = true;
  bool groups = true;
};

struct ExportSummary {
  uint64_t users = 0;
  uint64_t groups = 0;
  uint64_t members = 0;
  uint64_t bytes = 0;
};

// The export in pieces, pulled one at a time (an HTTP response streams them). Each piece
// is about `piece_bytes` of whole lines, or of one line when a group has many members.
class ExportStream {
 public:
  ExportStream(std::unique_ptr<StoreView> view, ExportOptions options, size_t piece_bytes);
  // Appends the next piece to `out`; false once everything was written (`out` unchanged
  // then) or on an error (status()).
  bool Next(std::string& out);
  const Status& status() const { return status_; }
  const ExportSummary& summary() const { return summary_; }

 private:
  // Continues the current group's members; true when they are all written.
  bool MoreMembers(std::string& out);

  std::unique_ptr<StoreView> view_;
  const ExportOptions options_;
  const size_t piece_bytes_;
  ResourceType type_;
  bool done_ = false;
  std::optional<ResourceId> after_;         // the last resource written of type_
  std::optional<ResourceId> group_;         // a group whose members are being written
  std::optional<ResourceId> member_after_;  // the last member of group_ written
  bool first_member_ = true;
  Status status_;
  ExportSummary summary_;
};

// The whole export handed to `write` piece by piece (about kExportChunkBytes each);
// `write` returns false to stop: IoError then.
inline constexpr size_t kExportChunkBytes = size_t{1} << 20;
Result<ExportSummary> ExportTenant(std::unique_ptr<StoreView> view, const ExportOptions& options,
                                   const std::function<bool(std::string_view)>& write);

}  // namespace scimd::core
