// MemStore: core::Store in memory, for unit tests of core without a process or disk, and as
// a second implementation that keeps the contract of core/base/store.h honest: the contract tests
// (tests/storage/*_contract_test.cc) run against it and RocksStore alike. Nothing persists.
//
// It keeps the very keys and values RocksStore writes (key_codec.h, record_codec.h), one
// ordered map per column family, so every scan order is RocksStore's by construction.
//
// Invariants:
//   - the committed maps change only under the store mutex, one whole transaction (or admin
//     write) at a time: a reader sees a transaction entirely or not at all;
//   - a transaction (mem_transaction.h) keeps its writes to itself until Commit applies them
//     in write order; destroying it without Commit drops them and its locks. Commit never
//     fails: RocksTransaction takes no snapshot, so only locks decide conflicts, here as there;
//   - locks follow the rules at the top of rocks_transaction.h key by key, including the
//     shared/exclusive membership lock and RemoveAllMembers' unlocked deletes of committed
//     edges, invisible to later calls in the transaction (they decide a cleared group's edges
//     from the transaction's own writes), so every call returns and counts what
//     RocksTransaction's does. A key held by another open transaction gives Busy at once;
//   - counter updates take no lock and are added up at Commit: they never conflict;
//   - a scan sees the store as of its start (as a RocksDB iterator does): a commit made
//     while it is open leaves it the values it overwrites. Its visitor runs without the
//     mutex, because visitors read and even commit (core/usecase/reindex.cc does);
//   - tenant and token calls are each one hold of the mutex: atomic, and never Busy.
//
// Thread rules: every MemStore method is safe from any thread. A Transaction is used by one
// thread at a time and must be destroyed before the MemStore that made it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/store.h"

namespace scimd::storage {

namespace internal {
struct MemState;
}  // namespace internal

class MemStore final : public core::Store {
 public:
  MemStore();
  ~MemStore() override;
  MemStore(const MemStore&) = delete;
  MemStore& operator=(const MemStore&) = delete;

  // ---- core::Store ----
  std::unique_ptr<core::Transaction> Begin(core::TenantId tenant) override;
  std::unique_ptr<core::StoreView> View(core::TenantId tenant) override;
  core::Result<std::unique_ptr<core::BulkLoad>> BeginBulkLoad(core::TenantId tenant) override;
  core::Result<std::string> GetResource(core::TenantId tenant, core::ResourceType type,
                                        const core::ResourceId& id) override;
  core::Status GetResources(core::TenantId tenant, core::ResourceType type,
                            const std::vector<core::ResourceId>& ids,
                            const core::OptionalResourceVisitor& visit) override;
  core::Status ScanResources(core::TenantId tenant, core::ResourceType type,
                             const std::optional<core::ResourceId>& start_after,
                             const core::ResourceVisitor& visit) override;
  core::Result<uint64_t> CountResources(core::TenantId tenant, core::ResourceType type) override;
  std::optional<uint64_t> ResourceSetGeneration(core::TenantId tenant,
                                                core::ResourceType type) override;
  core::Status ScanIndexEq(core::TenantId tenant, core::ResourceType type,
                           const core::IndexTerm& term, const core::IdVisitor& visit) override;
  core::Result<bool> HasIndexEntry(core::TenantId tenant, core::ResourceType type,
                                   const core::IndexTerm& term,
                                   const core::ResourceId& id) override;
  core::Result<bool> HasPresence(core::TenantId tenant, core::ResourceType type, core::AttrId attr,
                                 const core::ResourceId& id) override;
  core::Status ScanIndexPrefix(core::TenantId tenant, core::ResourceType type, core::AttrId attr,
                               std::string_view prefix, const core::IdVisitor& visit) override;
  core::Status ScanIndexRange(core::TenantId tenant, core::ResourceType type, core::AttrId attr,
                              core::IndexValue::Kind kind,
                              const std::optional<core::IndexBound>& lower,
                              const std::optional<core::IndexBound>& upper,
                              const core::IdVisitor& visit) override;
  core::Status ScanPresence(core::TenantId tenant, core::ResourceType type, core::AttrId attr,
                            const core::IdVisitor& visit) override;
  core::Status ScanIndexValuesDescending(core::TenantId tenant, core::ResourceType type,
                                         core::AttrId attr, core::IndexValue::Kind kind,
                                         const core::IndexEntryVisitor& visit) override;
  core::Status ScanIndexEntries(core::TenantId tenant, core::ResourceType type, core::AttrId attr,
                                const core::IndexEntryVisitor& visit) override;
  core::Status ScanUniqueEntries(core::TenantId tenant, core::ResourceType type, core::AttrId attr,
                                 const core::IndexEntryVisitor& visit) override;
  core::Result<std::optional<core::ResourceId>> LookupUnique(core::TenantId tenant,
                                                             core::ResourceType type,
                                                             const core::IndexTerm& term) override;
  core::Status ScanMembers(core::TenantId tenant, const core::ResourceId& group,
                           const std::optional<core::ResourceId>& start_after,
                           const core::MemberVisitor& visit) override;
  core::Status ScanMemberOf(core::TenantId tenant, const core::ResourceId& member,
                            const core::IdVisitor& visit) override;
  core::Result<uint64_t> CountMembers(core::TenantId tenant,
                                      const core::ResourceId& group) override;
  core::Status ScanEdges(core::TenantId tenant, bool mirror,
                         const core::EdgeVisitor& visit) override;

  core::Result<core::TenantRecord> CreateTenant(std::string_view name) override;
  core::Result<std::optional<core::TenantRecord>> FindTenant(std::string_view name) override;
  core::Result<std::optional<core::TenantRecord>> GetTenant(core::TenantId id) override;
  core::Result<std::vector<core::TenantRecord>> ListTenants() override;
  core::Status PutTenantSettings(core::TenantId id,
                                 const std::map<std::string, std::string>& settings) override;
  core::Status PutToken(const core::TokenRecord& token) override;
  core::Result<std::optional<core::TokenRecord>> LookupToken(std::string_view token_id) override;
  core::Result<std::vector<core::TokenRecord>> ListTokens(core::TenantId tenant) override;
  core::Status AppendActivity(const std::vector<core::ActivityWrite>& writes) override;
  core::Status ScanActivity(core::TenantId tenant, uint64_t before,
                            const core::ActivityVisitor& visit) override;
  core::Status ScanActivityOldest(core::TenantId tenant,
                                  const core::ActivityVisitor& visit) override;
  core::Status DeleteActivityBefore(core::TenantId tenant, uint64_t sequence) override;
  // Memory always takes a write.
  core::Status ProbeWrite() override { return core::Status::Ok(); }
  core::Status Checkpoint(const std::string&) override {
    return core::Status(core::Status::Code::kNotImplemented,
                        "the in-memory store has no files to copy");
  }

  // Removes a token. NotFound if absent.
  core::Result<bool> DeleteTenant(core::TenantId id) override;
  core::Status DeleteToken(std::string_view token_id) override;
  core::Status UpdateToken(
      std::string_view token_id,
      const std::function<core::Status(core::TokenRecord& token)>& change) override;

  // Transactions committed so far: lets tests check how many commits a use case makes
  // (Service::CreateMany: one for a whole /Bulk run of POSTs).
  uint64_t commits() const;

 private:
  std::unique_ptr<internal::MemState> state_;
};

}  // namespace scimd::storage
