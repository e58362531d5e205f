// ExportStream and ExportTenant: see export.h.
#include "core/scim/export.h"

#include <utility>

#include "core/resource/stored_value.h"
#include "core/scim/projection.h"
#include "core/scim/render.h"

namespace scimd::core {

ExportStream::ExportStream(std::unique_ptr<StoreView> view, ExportOptions options,
                           size_t piece_bytes)
    : view_(std::move(view)),
      options_(options),
      piece_bytes_(piece_bytes),
      type_(options.users ? ResourceType::kUser : ResourceType::kGroup) {
  done_ = !options.users && !options.groups;
}

bool ExportStream::MoreMembers(std::string& out) {
  bool full = false;
  Status s =
      view_->ScanMembers(*group_, member_after_,
                         [&](const ResourceId& m, ResourceType type, std::string_view display) {
                           out += first_member_ ? ",\"members\":[" : ",";
                           first_member_ = false;
                           RenderMember(m, type, display, "", out);
                           member_after_ = m;
                           ++summary_.members;
                           full = out.size() >= piece_bytes_;
                           return !full;
                         });
  if (!s.ok()) {
    status_ = s;
    return false;
  }
  if (full) return false;  // more may follow: the next piece goes on
  if (!first_member_) out.push_back(']');
  FinishResource(out);
  out.push_back('\n');
  ++summary_.groups;
  group_.reset();
  member_after_.reset();
  first_member_ = true;
  return true;
}

bool ExportStream::Next(std::string& out) {
  if (!status_.ok()) return false;
  const size_t start = out.size();
  const Projection all;
  while (!done_ && out.size() - start < piece_bytes_) {
    if (group_ && !MoreMembers(out)) break;
    bool more = false;
    Status failed;
    Status s = view_->ScanResources(type_, after_, [&](const ResourceId& id, std::string_view v) {
      auto split = SplitStored(v);
      if (!split.ok()) {
        failed = split.status();
        return false;
      }
      after_ = id;
      more = true;
      RenderResource(type_, id, split->first, split->second, "", all, out);
      if (type_ == ResourceType::kGroup) {
        group_ = id;
        return false;  // its members next
      }
      FinishResource(out);
      out.push_back('\n');
      ++summary_.users;
      return out.size() - start < piece_bytes_;
    });
    if (!s.ok() || !failed.ok()) {
      status_ = s.ok() ? failed : s;
      return false;
    }
    if (!more) {
      // This type is done: the next one, or the end.
      if (type_ == ResourceType::kUser && options_.groups) {
        type_ = ResourceType::kGroup;
        after_.reset();
      } else {
        done_ = true;
      }
    }
  }
  if (!status_.ok()) return false;
  summary_.bytes += out.size() - start;
  return out.size() > start;
}

Result<ExportSummary> ExportTenant(std::unique_ptr<StoreView> view, const ExportOptions& options,
                                   const std::function<bool(std::string_view)>& write) {
  ExportStream stream(std::move(view), options, kExportChunkBytes);
  std::string piece;
  for (;;) {
    piece.clear();
    if (!stream.Next(piece)) break;
    if (!write(piece)) return Status::IoError("export stopped: the output was closed");
  }
  SCIMD_RETURN_IF_ERROR(stream.status());
  return stream.summary();
}

}  // namespace scimd::core
