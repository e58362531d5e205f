// The fixture of the store contract tests (store_contract_test.cc and
// store_membership_contract_test.cc): one RocksStore in a temporary directory or one
// MemStore per test, and helpers over core::Store. StoreContractTest is instantiated for
// both stores once, in store_contract_test.cc.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/storage/store_test_util.h"
#include "tests/storage/test_util.h"

namespace scimd::storage {

using core::IndexTerm;
using core::IndexValue;
using core::ResourceId;
using core::ResourceType;
using core::Status;
using core::Transaction;
using testing::Id;
using testing::RunTxn;
using testing::StoreKind;

constexpr ResourceType kUser = ResourceType::kUser;
constexpr ResourceType kGroup = ResourceType::kGroup;

class StoreContractTest : public testing::StoreContractFixture {
 protected:
  std::vector<ResourceId> ScanAll(core::TenantId t, ResourceType type,
                                  std::optional<ResourceId> after = std::nullopt) {
    std::vector<ResourceId> ids;
    EXPECT_TRUE(store_
                    ->ScanResources(t, type, after,
                                    [&](const ResourceId& id, std::string_view) {
                                      ids.push_back(id);
                                      return true;
                                    })
                    .ok());
    return ids;
  }
  std::vector<ResourceId> Eq(core::TenantId t, ResourceType type, const IndexTerm& term) {
    std::vector<ResourceId> ids;
    EXPECT_TRUE(store_
                    ->ScanIndexEq(t, type, term,
                                  [&](const ResourceId& id) {
                                    ids.push_back(id);
                                    return true;
                                  })
                    .ok());
    return ids;
  }
  std::vector<ResourceId> Presence(core::TenantId t, ResourceType type, core::AttrId attr) {
    std::vector<ResourceId> ids;
    EXPECT_TRUE(store_
                    ->ScanPresence(t, type, attr,
                                   [&](const ResourceId& id) {
                                     ids.push_back(id);
                                     return true;
                                   })
                    .ok());
    return ids;
  }
  std::vector<ResourceId> Members(core::TenantId t, const ResourceId& g,
                                  std::optional<ResourceId> after = std::nullopt) {
    return testing::MemberIds(*store_, t, g, after);
  }
  std::vector<ResourceId> MemberOf(core::TenantId t, const ResourceId& m) {
    return testing::GroupIds(*store_, t, m);
  }
  uint64_t MemberCount(core::TenantId t, const ResourceId& g) {
    return testing::MemberCount(*store_, t, g);
  }
  uint64_t ResourceCount(core::TenantId t, ResourceType type) {
    auto c = store_->CountResources(t, type);
    EXPECT_TRUE(c.ok());
    return c.ok() ? *c : ~uint64_t{0};
  }
  Status Create(core::TenantId t, ResourceType type, const ResourceId& id,
                const std::string& value) {
    return RunTxn(*store_, t, [&](Transaction& txn) {
      SCIMD_RETURN_IF_ERROR(txn.PutResource(type, id, value));
      return txn.AdjustResourceCount(type, 1);
    });
  }
};

}  // namespace scimd::storage
