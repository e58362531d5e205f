// ExportTenant: see export.h.
#include "core/scim/export.h"

#include <string>

#include "core/resource/stored_value.h"
#include "core/scim/projection.h"
#include "core/scim/render.h"

namespace scimd::core {

Result<ExportSummary> ExportTenant(StoreView& view, const ExportOptions& options,
                                   const std::function<bool(std::string_view)>& write) {
  ExportSummary summary;
  std::string out;
  out.reserve(kExportChunkBytes + (64 << 10));
  bool stopped = false;
  auto flush = [&](bool always) {
    if (stopped || out.empty() || (!always && out.size() < kExportChunkBytes)) return;
    summary.bytes += out.size();
    if (!write(out)) stopped = true;
    out.clear();
  };
  const Projection all;
  Status failed;
  auto export_type = [&](ResourceType type) -> Status {
    return view.ScanResources(type, std::nullopt, [&](const ResourceId& id, std::string_view v) {
      auto split = SplitStored(v);
      if (!split.ok()) {
        failed = split.status();
        return false;
      }
      RenderResource(type, id, split->first, split->second, "", all, out);
      if (type == ResourceType::kGroup) {
        bool first = true;
        Status s = view.ScanMembers(
            id, std::nullopt, [&](const ResourceId& m, ResourceType mt, std::string_view display) {
              out += first ? ",\"members\":[" : ",";
              first = false;
              RenderMember(m, mt, display, "", out);
              ++summary.members;
              flush(false);
              return !stopped;
            });
        if (!s.ok()) {
          failed = s;
          return false;
        }
        if (!first) out.push_back(']');
        ++summary.groups;
      } else {
        ++summary.users;
      }
      FinishResource(out);
      out.push_back('\n');
      flush(false);
      return !stopped;
    });
  };
  if (options.users) SCIMD_RETURN_IF_ERROR(export_type(ResourceType::kUser));
  SCIMD_RETURN_IF_ERROR(failed);
  if (options.groups && !stopped) SCIMD_RETURN_IF_ERROR(export_type(ResourceType::kGroup));
  SCIMD_RETURN_IF_ERROR(failed);
  flush(true);
  if (stopped) return Status::IoError("export stopped: the output was closed");
  return summary;
}

}  // namespace scimd::core
