// Store-level test helpers: open a RocksStore in a temp dir, the fixture of the contract
// tests (one store of each implementation), and run a transaction body with the
// retry-on-Busy loop every caller of core::Transaction is expected to have.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "core/base/json.h"
#include "core/base/store.h"
#include "core/resource/decode.h"
#include "core/scim/export.h"
#include "core/scim/import_reader.h"
#include "core/usecase/check.h"
#include "core/usecase/patch.h"
#include "core/usecase/service.h"
#include "storage/mem_store.h"
#include "storage/rocks_store.h"
#include "tests/storage/test_util.h"

namespace scimd::storage::testing {

// Creates a resource from its JSON through the typed core, as a POST does; its id (an
// empty id after a failed expectation).
inline core::ResourceId CreateResource(core::Service& service, const core::RequestContext& ctx,
                                       core::ResourceType type, const std::string& body) {
  auto json = core::Json::Parse(body);
  EXPECT_TRUE(json.ok()) << body;
  if (!json.ok()) return core::ResourceId();
  auto input = core::DecodeInput(type, *json, ctx.settings.decode);
  EXPECT_TRUE(input.ok()) << input.status().ToString();
  if (!input.ok()) return core::ResourceId();
  auto written = service.Create(ctx, type, std::move(input).value());
  EXPECT_TRUE(written.ok()) << written.status().ToString();
  return written.ok() ? written->resource.id : core::ResourceId();
}

// The JSON of a group named `name` with `members`.
inline std::string GroupJson(const std::string& name,
                             const std::vector<core::ResourceId>& members) {
  std::string body = R"({"displayName":")" + name + R"(","members":[)";
  for (size_t i = 0; i < members.size(); ++i) {
    body += (i > 0 ? R"(,{"value":")" : R"({"value":")") + members[i].ToString() + "\"}";
  }
  return body + "]}";
}

// Applies a PATCH request's JSON through the typed core; the test fails if it is refused.
inline void PatchResource(core::Service& service, const core::RequestContext& ctx,
                          core::ResourceType type, const core::ResourceId& id,
                          const std::string& body) {
  auto json = core::Json::Parse(body);
  ASSERT_TRUE(json.ok());
  auto ops = core::ParsePatchRequest(*json);
  ASSERT_TRUE(ops.ok()) << ops.status().ToString();
  auto r = service.Patch(ctx, type, id, *ops, "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

// A tenant's export (NDJSON) as it stands now.
inline std::string ExportText(core::Store& store, core::TenantId tenant) {
  std::string out;
  auto r = core::ExportTenant(store.View(tenant), {}, [&](std::string_view piece) {
    out.append(piece);
    return true;
  });
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return out;
}

// `scimctl import` of NDJSON `text` into a tenant, with the default options and settings.
inline core::Result<core::ImportSummary> ImportText(core::Store& store, core::TenantId tenant,
                                                    const std::string& text) {
  size_t at = 0;
  core::ImportSource source = [&](char* buf, size_t n) -> core::Result<size_t> {
    const size_t k = std::min(n, text.size() - at);
    std::copy(text.data() + at, text.data() + at + k, buf);
    at += k;
    return k;
  };
  return core::RunImport(store, tenant, core::TenantSettings(), core::ImportOptions(), source,
                         nullptr);
}

// What `scimctl check` finds wrong in a tenant (each problem's line fails the test).
inline uint64_t CheckProblems(core::Store& store, core::TenantId tenant) {
  std::string lines;
  auto r = core::CheckTenant(store, tenant, false,
                             [&](std::string_view line) { lines.append(line).append("\n"); });
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(lines, "");
  return r.ok() ? r->problems : 1;
}

inline std::unique_ptr<RocksStore> OpenOrDie(const std::string& dir,
                                             RocksStore::Options options = {}) {
  auto store = RocksStore::Open(dir, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

// The implementations of core::Store that the contract tests run against.
enum class StoreKind { kRocks, kMem };

inline const char* StoreKindText(StoreKind kind) {
  return kind == StoreKind::kRocks ? "Rocks" : "Mem";
}
// Names the instances of a contract test: Suite.Test/Rocks, Suite.Test/Mem.
inline std::string StoreKindName(const ::testing::TestParamInfo<StoreKind>& info) {
  return StoreKindText(info.param);
}
// For GoogleTest's failure messages ("where GetParam() = Mem").
inline void PrintTo(StoreKind kind, std::ostream* os) { *os << StoreKindText(kind); }

// Fixture of the contract tests (store_contract_test.cc, transaction_contract_test.cc): a
// fresh store of the kind under test, a RocksStore in a temporary directory or a MemStore.
// Instantiate with
//   INSTANTIATE_TEST_SUITE_P(Stores, Suite, ::testing::Values(StoreKind::kRocks,
//                            StoreKind::kMem), StoreKindName);
class StoreContractFixture : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    if (GetParam() == StoreKind::kMem) {
      store_ = std::make_unique<MemStore>();
      return;
    }
    ASSERT_FALSE(dir_.path().empty());
    store_ = OpenOrDie(dir_.Sub("db"));
    ASSERT_NE(store_, nullptr);
  }

  core::Status DeleteToken(std::string_view token_id) { return store_->DeleteToken(token_id); }

  TempDir dir_;
  std::unique_ptr<core::Store> store_;
};

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
