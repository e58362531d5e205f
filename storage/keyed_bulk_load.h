// KeyedBulkLoad: core::BulkLoad turned into key/value entries of the column families of
// key_codec.h, shared by RocksStore's load (sorted SST files) and MemStore's (one locked
// write). It encodes each entry once and sums counters in memory; a store supplies where
// the entries go (Put) and how they become visible together (Finish). Thread rules: one
// thread at a time, like every BulkLoad.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/store.h"
#include "storage/key_codec.h"

namespace scimd::storage {

// The column families a load writes.
enum class LoadCf : uint8_t { kResources, kIndex, kUnique, kMembers, kMemberOf, kCounters };
inline constexpr size_t kLoadCfCount = 6;

class KeyedBulkLoad : public core::BulkLoad {
 public:
  explicit KeyedBulkLoad(core::TenantId tenant) : tenant_(tenant) {}

  core::Status PutResource(core::ResourceType type, const core::ResourceId& id,
                           std::string_view value) override;
  core::Status AddIndex(core::ResourceType type, const core::IndexTerm& term,
                        const core::ResourceId& id) override;
  core::Status AddPresence(core::ResourceType type, core::AttrId attr,
                           const core::ResourceId& id) override;
  core::Status AddUnique(core::ResourceType type, const core::IndexTerm& term,
                         const core::ResourceId& id) override;
  core::Status AddMember(const core::ResourceId& group, const core::ResourceId& member,
                         core::ResourceType member_type, std::string_view display) override;
  core::Status AdjustResourceCount(core::ResourceType type, int64_t delta) override;
  core::Status Commit() override;
  uint64_t bytes() const override { return bytes_; }

 protected:
  // One entry for `cf` (never kCounters: those come to Finish).
  virtual core::Status Put(LoadCf cf, std::string_view key, std::string_view value) = 0;
  // Makes the entries and the counter deltas (key, delta to add) visible together.
  virtual core::Status Finish(const std::vector<std::pair<std::string, int64_t>>& counters) = 0;

  core::TenantId tenant() const { return tenant_; }

 private:
  core::Status Add(LoadCf cf, std::string_view key, std::string_view value);

  const core::TenantId tenant_;
  std::string key_;  // the key being added, encoded in place (no allocation per entry)
  uint64_t bytes_ = 0;
  int64_t resource_counts_[3] = {0, 0, 0};  // by ResourceType value (1 User, 2 Group)
  std::map<core::ResourceId, int64_t> member_counts_;
  bool committed_ = false;
};

}  // namespace scimd::storage
