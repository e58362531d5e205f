// KeyedBulkLoad: see keyed_bulk_load.h.
#include "storage/keyed_bulk_load.h"

namespace scimd::storage {

using core::ResourceId;
using core::ResourceType;
using core::Status;

Status KeyedBulkLoad::Add(LoadCf cf, std::string_view key, std::string_view value) {
  if (committed_) return Status::Internal("bulk load already committed");
  bytes_ += key.size() + value.size();
  return Put(cf, key, value);
}

Status KeyedBulkLoad::PutResource(ResourceType type, const ResourceId& id, std::string_view value) {
  EncodeResourceKey(&key_, tenant_, type, id);
  return Add(LoadCf::kResources, key_, value);
}

Status KeyedBulkLoad::AddIndex(ResourceType type, const core::IndexTerm& term,
                               const ResourceId& id) {
  SCIMD_RETURN_IF_ERROR(EncodeIndexValueKey(&key_, tenant_, type, term, id));
  return Add(LoadCf::kIndex, key_, {});
}

Status KeyedBulkLoad::AddPresence(ResourceType type, core::AttrId attr, const ResourceId& id) {
  EncodeIndexPresenceKey(&key_, tenant_, type, attr, id);
  return Add(LoadCf::kIndex, key_, {});
}

Status KeyedBulkLoad::AddUnique(ResourceType type, const core::IndexTerm& term,
                                const ResourceId& id) {
  SCIMD_RETURN_IF_ERROR(EncodeUniqueKey(&key_, tenant_, type, term));
  return Add(LoadCf::kUnique, key_, id.AsBytes());
}

Status KeyedBulkLoad::AddMember(const ResourceId& group, const ResourceId& member,
                                ResourceType member_type, std::string_view display) {
  SCIMD_RETURN_IF_ERROR(Add(LoadCf::kMembers, MemberKey(tenant_, group, member),
                            EncodeMemberValue(member_type, display)));
  SCIMD_RETURN_IF_ERROR(Add(LoadCf::kMemberOf, MemberOfKey(tenant_, member, group), {}));
  ++member_counts_[group];
  return Status::Ok();
}

Status KeyedBulkLoad::AdjustResourceCount(ResourceType type, int64_t delta) {
  const auto t = static_cast<size_t>(type);
  if (t == 0 || t > 2) return Status::InvalidValue("unknown resource type");
  resource_counts_[t] += delta;
  return Status::Ok();
}

Status KeyedBulkLoad::Commit() {
  if (committed_) return Status::Internal("bulk load already committed");
  committed_ = true;
  std::vector<std::pair<std::string, int64_t>> counters;
  for (ResourceType type : {ResourceType::kUser, ResourceType::kGroup}) {
    const int64_t delta = resource_counts_[static_cast<size_t>(type)];
    if (delta != 0) counters.emplace_back(ResourceCountKey(tenant_, type), delta);
  }
  for (const auto& [group, n] : member_counts_) {
    counters.emplace_back(MemberCountKey(tenant_, group), n);
  }
  return Finish(counters);
}

}  // namespace scimd::storage
