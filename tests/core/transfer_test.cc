// Import and export in core over the in-memory store: an export pulled in pieces of any
// size is the same text; an export imported into another tenant exports the same again;
// Prepare may run on several threads and Accept keeps the file's order; the import's
// checks against the tenant's existing data.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "core/base/clock.h"
#include "core/scim/export.h"
#include "core/scim/import.h"
#include "core/scim/import_reader.h"
#include "core/scim/import_table.h"
#include "core/usecase/service.h"
#include "storage/mem_store.h"

namespace scimd::core {
namespace {

std::string User(int i) {
  return R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u)" +
         std::to_string(i) + R"(","externalId":"x)" + std::to_string(i) + R"("})";
}

class TransferTest : public ::testing::Test {
 protected:
  TenantId NewTenant(const std::string& name) {
    auto t = store_.CreateTenant(name);
    EXPECT_TRUE(t.ok());
    return t.ok() ? t->id : 0;
  }
  Result<ImportSummary> ImportText(TenantId tenant, const std::string& text,
                                   uint64_t max_errors = 0) {
    size_t at = 0;
    ImportSource source = [&](char* buf, size_t n) -> Result<size_t> {
      const size_t k = std::min(n, text.size() - at);
      std::copy(text.data() + at, text.data() + at + k, buf);
      at += k;
      return k;
    };
    ImportOptions options;
    options.max_errors = max_errors;
    return RunImport(store_, tenant, TenantSettings(), options, source, nullptr);
  }
  std::string Export(TenantId tenant, size_t piece) {
    ExportStream stream(store_.View(tenant), ExportOptions(), piece);
    std::string all, out;
    while (stream.Next(out)) {
      EXPECT_LE(out.size(), piece + 4096);  // about a piece each
      all += out;
      out.clear();
    }
    EXPECT_TRUE(stream.status().ok());
    return all;
  }
  storage::MemStore store_;
};

TEST_F(TransferTest, PiecesOfAnySizeMakeTheSameExportAndItImportsBackTheSame) {
  const TenantId a = NewTenant("a");
  std::string file;
  for (int i = 0; i < 300; ++i) file += User(i) + "\n";
  file +=
      R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"all","members":[)";
  for (int i = 0; i < 300; ++i)
    file += std::string(i ? "," : "") + R"({"value":"x)" + std::to_string(i) + "\"}";
  file += "]}\n";
  auto imported = ImportText(a, file);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported->users, 300u);
  EXPECT_EQ(imported->members, 300u);

  const std::string whole = Export(a, size_t{1} << 20);
  EXPECT_EQ(std::count(whole.begin(), whole.end(), '\n'), 301);
  for (size_t piece : {size_t{1}, size_t{100}, size_t{5000}}) {
    EXPECT_EQ(Export(a, piece), whole) << piece;  // a group's members span pieces
  }
  const TenantId b = NewTenant("b");
  ASSERT_TRUE(ImportText(b, whole).ok());
  EXPECT_EQ(Export(b, 777), whole);
  // The same again into b: every record is now a duplicate of the tenant's data.
  auto again = ImportText(b, whole, 1000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->rejected, 301u);
  EXPECT_EQ(again->users, 0u);
}

TEST_F(TransferTest, PreparedOnManyThreadsAcceptedInFileOrder) {
  const TenantId t = NewTenant("t");
  auto importer = Importer::Start(store_, t, TenantSettings(), ImportOptions{1000});
  ASSERT_TRUE(importer.ok());
  // Records 0..199, where 150..199 repeat 0..49's userNames: prepared out of order on
  // four threads, accepted in order, so the later ones are the duplicates.
  std::vector<PreparedRecord> prepared(200);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int i = 199 - k; i >= 0; i -= 4) {
        prepared[static_cast<size_t>(i)] =
            (*importer)->Prepare(User(i < 150 ? i : i - 150), static_cast<uint64_t>(i + 1));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (auto& r : prepared) ASSERT_TRUE((*importer)->Accept(std::move(r)).ok());
  auto summary = (*importer)->Finish();
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->users, 150u);
  ASSERT_EQ(summary->errors.size(), 50u);
  EXPECT_EQ(summary->errors.front().line, 151u);
  EXPECT_NE(summary->errors.front().reason.find("line 1"), std::string::npos);
  // Assigned ids increase in the file's order.
  int next = 0;
  ASSERT_TRUE(
      store_
          .ScanResources(
              t, ResourceType::kUser, std::nullopt,
              [&](const ResourceId&, std::string_view v) {
                EXPECT_NE(v.find("\"u" + std::to_string(next) + "\""), std::string_view::npos)
                    << next;
                ++next;
                return true;
              })
          .ok());
  EXPECT_EQ(next, 150);
}

// NDJSON lines that are ListResponses or Bulk requests (a "Resources" or "Operations" key
// at their top, in any case) are read as documents in their turn among the records around
// them, on whichever line; a line that mentions those keys only inside a record is a record.
TEST_F(TransferTest, ContainerLinesAreReadInTheirTurn) {
  const TenantId t = NewTenant("t");
  std::string file;
  for (int i = 0; i < 300; ++i) file += User(i) + "\n";
  file += R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"Resources":[)" +
          User(300) + "," + User(301) + "]}\n";
  file += R"({"resources":[)" + User(302) + "]}\n";
  file += R"({"Operations":[{"method":"POST","path":"/Users","data":)" + User(303) + "}]}\n";
  file += R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u-x",)"
          R"("title":"\"Resources\"","displayName":"Operations"})"
          "\n";
  file += User(0) + "\n";  // a duplicate of the first: rejected, named by its line (305)
  auto imported = ImportText(t, file, 10);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported->users, 305u);
  ASSERT_EQ(imported->rejected, 1u);
  EXPECT_EQ(imported->errors.front().line, 305u);
}

TEST_F(TransferTest, MembersByExternalIdResolveToOneResourceOrAreRefusedWhenSeveral) {
  // Users' externalIds are taken into the importer's table only when groups need them:
  // a group naming "x1" gets that user; a member naming an externalId that two users of
  // the file share is refused (skipped with a warning naming the group's line, as an
  // unknown member is by default); a user's externalId ("x2") may equal a group's.
  const TenantId t = NewTenant("ext");
  std::string file;
  for (int i = 0; i < 3; ++i) file += User(i) + "\n";
  file += R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"twin",)"
          R"("externalId":"x0"})"
          "\n";
  const std::string group = R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],)";
  file += group + R"("displayName":"one","externalId":"x2","members":[{"value":"x1"}]})" + "\n";
  file += group + R"("displayName":"two","members":[{"value":"x0"}]})" + "\n";
  auto imported = ImportText(t, file, 10);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported->users, 4u);
  EXPECT_EQ(imported->groups, 2u);
  EXPECT_EQ(imported->members, 1u);  // "two" is kept without its member (the default)
  EXPECT_EQ(imported->rejected, 0u);
  ASSERT_EQ(imported->warnings, 1u);
  const std::string& warning = imported->warning_samples.front();
  EXPECT_EQ(warning.rfind("line 6: ", 0), 0u) << warning;
  EXPECT_NE(warning.find("several resources of the file"), std::string::npos) << warning;
}

// The importer's table: every key of every length found with its value (keys that differ
// only in their last byte, in a NUL, in length), absent ones not, first value kept.
TEST(ImportTableTest, FindsEveryKeyOfEveryLength) {
  ImportTable<uint64_t> table;
  std::vector<std::string> keys;
  for (size_t len = 0; len <= 40; ++len) {
    for (int v = 0; v < 300; ++v) {
      std::string k(len, 'a');
      if (len > 0) k[len - 1] = static_cast<char>(v % 256);
      if (len > 1) k[0] = static_cast<char>(v / 256);
      keys.push_back(k);
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_FALSE(table.Insert(keys[i], i).has_value());
  EXPECT_EQ(table.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_EQ(table.Find(keys[i]), std::optional<uint64_t>(i)) << i;
    EXPECT_EQ(table.Insert(keys[i], 7), std::optional<uint64_t>(i));  // kept
  }
  EXPECT_FALSE(table.Find(std::string(41, 'a')).has_value());
  EXPECT_FALSE(table.Find(std::string("a\0", 2) + "zz").has_value());
  ASSERT_TRUE(table.Update(keys[5], 99));
  EXPECT_EQ(table.Find(keys[5]), std::optional<uint64_t>(99));
  EXPECT_FALSE(table.Update("absent-key", 1));
}

// Deferred entries: not found before Settle; after it, every one is, with its value, a key
// deferred twice or already present keeps what on_repeat makes of the two, and the table
// grows to hold them all (more than its first size).
TEST(ImportTableTest, DeferredKeysAreFoundOnceSettled) {
  ImportTable<uint64_t> table;
  ASSERT_FALSE(table.Insert("present", 1).has_value());
  for (uint64_t i = 0; i < 5000; ++i) table.Defer("k" + std::to_string(i), i);
  table.Defer("k17", 1000017);  // twice
  table.Defer("present", 2);
  EXPECT_FALSE(table.Find("k3").has_value());
  EXPECT_EQ(table.size(), 1u);
  table.Settle([](uint64_t kept, uint64_t added) { return kept * 10'000'000 + added; });
  EXPECT_EQ(table.size(), 5001u);
  for (uint64_t i = 0; i < 5000; ++i) {
    const uint64_t want = i == 17 ? 17 * 10'000'000 + 1000017 : i;
    ASSERT_EQ(table.Find("k" + std::to_string(i)), std::optional<uint64_t>(want)) << i;
  }
  EXPECT_EQ(table.Find("present"), std::optional<uint64_t>(10'000'002));
  EXPECT_FALSE(table.Find("k5000").has_value());
  table.Settle([](uint64_t, uint64_t) { return uint64_t{0}; });  // nothing deferred: no change
  EXPECT_EQ(table.size(), 5001u);
}

}  // namespace
}  // namespace scimd::core
