// Store-level test helpers: open a RocksStore in a temp dir and run a transaction body
// with the retry-on-Busy loop every caller of core::Transaction is expected to have.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/store.h"
#include "storage/rocks_store.h"

namespace scimd::storage::testing {

inline std::unique_ptr<RocksStore> OpenOrDie(const std::string& dir,
                                             RocksStore::Options options = {}) {
  auto store = RocksStore::Open(dir, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

// Runs body(txn) then Commit, retrying the whole thing while it ends in Busy. Returns the
// first non-Busy outcome (of body or Commit). *busy_retries counts the retries.
template <typename Body>
core::Status RunTxn(core::Store& store, core::TenantId tenant, Body&& body,
                    int* busy_retries = nullptr) {
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<core::Transaction> txn = store.Begin(tenant);
    core::Status s = body(*txn);
    if (s.ok()) s = txn->Commit();
    if (!s.Is(core::Status::Code::kBusy) || attempt > 1'000'000) return s;
    if (busy_retries != nullptr) ++*busy_retries;
    txn.reset();  // roll back before retrying
    std::this_thread::yield();
  }
}

// A group's member ids (from after `after`, when given) and a member's group ids, in id
// order, and a group's member count; a failed read fails the test.
inline std::vector<core::ResourceId> MemberIds(
    core::Store& store, core::TenantId tenant, const core::ResourceId& group,
    const std::optional<core::ResourceId>& after = std::nullopt) {
  std::vector<core::ResourceId> ids;
  EXPECT_TRUE(
      store
          .ScanMembers(tenant, group, after,
                       [&](const core::ResourceId& id, core::ResourceType, std::string_view) {
                         ids.push_back(id);
                         return true;
                       })
          .ok());
  return ids;
}
inline std::vector<core::ResourceId> GroupIds(core::Store& store, core::TenantId tenant,
                                              const core::ResourceId& member) {
  std::vector<core::ResourceId> ids;
  EXPECT_TRUE(store
                  .ScanMemberOf(tenant, member,
                                [&](const core::ResourceId& id) {
                                  ids.push_back(id);
                                  return true;
                                })
                  .ok());
  return ids;
}
inline uint64_t MemberCount(core::Store& store, core::TenantId tenant,
                            const core::ResourceId& group) {
  auto c = store.CountMembers(tenant, group);
  EXPECT_TRUE(c.ok());
  return c.ok() ? *c : ~uint64_t{0};
}

}  // namespace scimd::storage::testing
