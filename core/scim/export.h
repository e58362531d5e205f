// Exporting a tenant as NDJSON (scimctl export, the admin API's export): one SCIM resource
// per line, Users then Groups, each group with all its members, exactly as a GET renders
// them (id, meta with created, lastModified and version), from one consistent view of the
// tenant while writes go on. What an import of the file loads back, with the same ids,
// attributes, members and meta. Passwords are never exported (they are kept only as
// hashes and never returned). Thread rules: one thread at a time per view.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

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

// Hands `write` the NDJSON in pieces of whole lines of about kExportChunkBytes (a group
// with many members: pieces of one line). `write` returns false to stop: IoError then.
inline constexpr size_t kExportChunkBytes = size_t{1} << 20;
Result<ExportSummary> ExportTenant(StoreView& view, const ExportOptions& options,
                                   const std::function<bool(std::string_view)>& write);

}  // namespace scimd::core
