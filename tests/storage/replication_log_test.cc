// The replication log (storage/replication_log.h, RocksStore::NewLogReader/ApplyLog): a
// follower that applies a leader's log frames holds the same data at the same sequence
// numbers (exports equal, check clean, tokens and tenants alike), whatever the page size
// and across WAL file switches; frames out of place or malformed change nothing; a gap
// (an ingest) is reported; the term history decides whether a store may follow a log.
#include "storage/replication_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/tenancy/tokens.h"
#include "core/usecase/patch.h"
#include "core/usecase/service.h"
#include "storage/rocks_store.h"
#include "tests/storage/store_test_util.h"
#include "tests/storage/test_util.h"

namespace scimd::storage::testing {
namespace {

using core::LogIsPrefix;
using core::ResourceId;
using core::ResourceType;
using core::Status;

TEST(LogIsPrefixTest, DecidesWhoMayFollow) {
  const std::vector<TermStart> none;
  const std::vector<TermStart> t5 = {{5, 1}};
  const std::vector<TermStart> t5t7 = {{5, 1}, {7, 100}};
  // An empty store follows anything; one with data but no term follows nothing.
  EXPECT_TRUE(LogIsPrefix(none, 0, t5, 50));
  EXPECT_FALSE(LogIsPrefix(none, 3, t5, 50));
  // Within the leader's own term: any position up to the leader's.
  EXPECT_TRUE(LogIsPrefix(t5, 1, t5, 50));
  EXPECT_TRUE(LogIsPrefix(t5, 50, t5, 50));
  EXPECT_FALSE(LogIsPrefix(t5, 51, t5, 50));
  // A term the leader took over from: only what came before the next term's marker.
  EXPECT_TRUE(LogIsPrefix(t5, 99, t5t7, 150));
  EXPECT_FALSE(LogIsPrefix(t5, 100, t5t7, 150));  // wrote beside the new term: discarded
  EXPECT_TRUE(LogIsPrefix(t5t7, 150, t5t7, 150));
  // A term the leader never knew (an old leader's own term), or one started elsewhere.
  EXPECT_FALSE(LogIsPrefix({{6, 60}}, 60, t5t7, 150));
  EXPECT_FALSE(LogIsPrefix({{7, 101}}, 120, t5t7, 150));
  // The history's encoding round-trips and refuses disorder and truncation.
  auto back = DecodeTerms(EncodeTerms(t5t7));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, t5t7);
  EXPECT_FALSE(DecodeTerms(EncodeTerms({{7, 1}, {5, 9}})).ok());
  EXPECT_FALSE(DecodeTerms(EncodeTerms(t5).substr(3)).ok());
}

class ReplicationLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RocksStore::Options options;
    options.replicated = true;
    options.write_buffer_bytes = 1 << 20;  // small: the WAL switches files often
    leader_ = OpenOrDie(dir_.Sub("leader"), options);
    follower_ = OpenOrDie(dir_.Sub("follower"), options);
    ASSERT_TRUE(leader_ && follower_);
    ASSERT_TRUE(leader_->StartTerm(5).ok());
    auto t = leader_->CreateTenant("acme");
    ASSERT_TRUE(t.ok());
    acme_.tenant = t->id;
    acme_.may_wait = true;
    service_ = std::make_unique<core::Service>(*leader_);
  }

  ResourceId User(int i) {
    const std::string n = std::to_string(i);
    return CreateResource(*service_, acme_, ResourceType::kUser,
                          R"({"userName":"user)" + n + R"(","externalId":"e)" + n +
                              R"(","active":true,"emails":[{"value":"u)" + n +
                              R"(@x.com","type":"work"}],"name":{"familyName":"Fam)" + n +
                              R"(","givenName":")" + std::string(200, 'g') + R"("}})");
  }
  ResourceId Group(const std::string& name, const std::vector<ResourceId>& members) {
    return CreateResource(*service_, acme_, ResourceType::kGroup, GroupJson(name, members));
  }
  void Patch(ResourceType type, const ResourceId& id, const std::string& body) {
    PatchResource(*service_, acme_, type, id, body);
  }
  // A mix of every kind of write: creates, a group with members, PATCHes of attributes
  // and members, a delete, a token.
  void Writes(int from, int n) {
    std::vector<ResourceId> users;
    for (int i = from; i < from + n; ++i) users.push_back(User(i));
    const ResourceId g = Group("group" + std::to_string(from), {users.begin(), users.end() - 1});
    Patch(ResourceType::kUser, users[0],
          R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[)"
          R"({"op":"Replace","path":"active","value":"False"}]})");
    Patch(ResourceType::kGroup, g,
          R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[)"
          R"({"op":"remove","path":"members[value eq \")" +
              users[1].ToString() + R"(\"]"}]})");
    ASSERT_TRUE(service_->Delete(acme_, ResourceType::kUser, users[2], "").ok());
    ASSERT_TRUE(core::IssueToken(*leader_, acme_.tenant, {}, 1000).ok());
  }
  // Reads the log from `reader` in pages of `page` bytes and applies each.
  void Ship(core::LogReader& reader, size_t page) {
    for (int pages = 0; reader.position() < leader_->LatestSequence(); ++pages) {
      ASSERT_LT(pages, 1000000);
      std::string frames;
      Status read = reader.Read(page, &frames);
      ASSERT_TRUE(read.ok()) << read.ToString();
      ASSERT_FALSE(frames.empty()) << "no progress at " << reader.position();
      Status applied = follower_->ApplyLog(frames);
      ASSERT_TRUE(applied.ok()) << applied.ToString();
      ASSERT_EQ(follower_->LatestSequence(), reader.position());
    }
  }
  // Ship, with each ingest's files copied into the follower's inbox first (what the
  // leader's sender does over the connection).
  void ShipWithFiles(core::LogReader& reader, size_t page) {
    for (int pages = 0; reader.position() < leader_->LatestSequence(); ++pages) {
      ASSERT_LT(pages, 1000000);
      std::string frames;
      Status read = reader.Read(page, &frames);
      ASSERT_TRUE(read.ok()) << read.ToString();
      const auto files = reader.TakeIngestFiles();
      if (!files.empty()) ++ingest_frames_;
      std::filesystem::create_directories(follower_->IngestInbox());
      for (const auto& f : files) {
        std::filesystem::copy_file(
            f, follower_->IngestInbox() + "/" + std::filesystem::path(f).filename().string());
      }
      if (frames.empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // a marker to come
        continue;
      }
      Status applied = follower_->ApplyLog(frames);
      ASSERT_TRUE(applied.ok()) << applied.ToString();
      ASSERT_EQ(follower_->LatestSequence(), reader.position());
    }
  }
  core::Result<core::ImportSummary> ImportText(const std::string& text) {
    return testing::ImportText(*leader_, acme_.tenant, text);
  }
  void ExpectSame() {
    EXPECT_EQ(follower_->LatestSequence(), leader_->LatestSequence());
    EXPECT_EQ(ExportText(*follower_, acme_.tenant), ExportText(*leader_, acme_.tenant));
    EXPECT_EQ(CheckProblems(*follower_, acme_.tenant), 0u);
    auto a = leader_->ListTokens(acme_.tenant);
    auto b = follower_->ListTokens(acme_.tenant);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->size(), b->size());
    for (size_t i = 0; i < a->size(); ++i) EXPECT_EQ((*a)[i].token_id, (*b)[i].token_id);
    auto tenant = follower_->FindTenant("acme");
    ASSERT_TRUE(tenant.ok() && tenant->has_value());
    EXPECT_EQ((*tenant)->id, acme_.tenant);
    auto terms = follower_->ReadTerms();
    ASSERT_TRUE(terms.ok());
    EXPECT_EQ(*terms, *leader_->ReadTerms());
  }

  TempDir dir_;
  std::unique_ptr<RocksStore> leader_, follower_;
  core::RequestContext acme_;
  std::unique_ptr<core::Service> service_;
  int ingest_frames_ = 0;
};

class ReplicationLogPagesTest : public ReplicationLogTest,
                                public ::testing::WithParamInterface<size_t> {};
INSTANTIATE_TEST_SUITE_P(PageSizes, ReplicationLogPagesTest,
                         ::testing::Values(size_t{1}, size_t{5000}, size_t{1} << 24));

// The whole log at once, and the tail followed round after round with one reader while
// the leader keeps writing (and switching WAL files: ~2 MB of users per round).
TEST_P(ReplicationLogPagesTest, FollowerHoldsTheLeadersDataAtTheSameSequences) {
  Writes(0, 20);
  auto reader = leader_->NewLogReader(follower_->LatestSequence());
  Ship(*reader, GetParam());
  ExpectSame();
  for (int round = 1; round <= 4; ++round) {
    Writes(round * 10000, GetParam() == 1 ? 50 : 2000);
    Ship(*reader, GetParam());
    ExpectSame();
  }
  EXPECT_EQ(follower_->LatestSequence(), leader_->LatestSequence());
}

// After a failover a follower continues from the new leader's own log: its position,
// reached by pages cut elsewhere, is a record boundary there too (each frame is applied
// as one write, so every node's WAL keeps the first leader's records).
TEST_F(ReplicationLogTest, AnotherFollowerCatchesUpFromTheNewLeadersLog) {
  RocksStore::Options options;
  options.replicated = true;
  auto other = OpenOrDie(dir_.Sub("other"), options);
  ASSERT_TRUE(other);
  Writes(0, 30);
  auto to_follower = leader_->NewLogReader(0);
  Ship(*to_follower, 1 << 20);  // the follower: everything, in big messages
  auto to_other = leader_->NewLogReader(0);
  for (int pages = 0; pages < 7; ++pages) {  // the other: a few small pages, then stops
    std::string frames;
    ASSERT_TRUE(to_other->Read(1500, &frames).ok());
    ASSERT_TRUE(other->ApplyLog(frames).ok());
  }
  ASSERT_LT(other->LatestSequence(), follower_->LatestSequence());
  // The follower leads: the other catches up from the follower's WAL.
  ASSERT_TRUE(follower_->StartTerm(9).ok());
  auto from_new_leader = follower_->NewLogReader(other->LatestSequence());
  for (int pages = 0; other->LatestSequence() < follower_->LatestSequence(); ++pages) {
    ASSERT_LT(pages, 100000);
    std::string frames;
    Status read = from_new_leader->Read(3000, &frames);
    ASSERT_TRUE(read.ok()) << read.ToString();
    ASSERT_TRUE(other->ApplyLog(frames).ok());
  }
  EXPECT_EQ(other->LatestSequence(), follower_->LatestSequence());
  EXPECT_EQ(ExportText(*other, acme_.tenant), ExportText(*leader_, acme_.tenant));
  EXPECT_EQ(CheckProblems(*other, acme_.tenant), 0u);
  EXPECT_EQ(*other->ReadTerms(), *follower_->ReadTerms());
}

TEST_F(ReplicationLogTest, FramesOutOfPlaceOrMalformedChangeNothing) {
  Writes(0, 5);
  auto reader = leader_->NewLogReader(0);
  std::string frames;
  ASSERT_TRUE(reader->Read(1 << 20, &frames).ok());
  ASSERT_TRUE(follower_->ApplyLog(frames).ok());
  const uint64_t at = follower_->LatestSequence();
  EXPECT_EQ(at, leader_->LatestSequence());
  // The same frames again: not at the follower's next sequence.
  EXPECT_EQ(follower_->ApplyLog(frames).code(), core::Status::Code::kInvalidValue);
  // A frame from the future (a skipped one).
  Writes(100, 3);
  std::string more;
  ASSERT_TRUE(reader->Read(1, &more).ok());
  std::string rest;
  ASSERT_TRUE(reader->Read(1 << 20, &rest).ok());
  EXPECT_FALSE(follower_->ApplyLog(rest).ok());
  // Truncated, garbage, a wrong entry count, an unknown column family.
  EXPECT_FALSE(follower_->ApplyLog(more.substr(0, more.size() - 1)).ok());
  EXPECT_FALSE(follower_->ApplyLog("garbage").ok());
  std::string wrong_count = more;
  wrong_count[8 + 4 + 8] = static_cast<char>(wrong_count[8 + 4 + 8] + 1);
  EXPECT_FALSE(follower_->ApplyLog(wrong_count).ok());
  {
    std::string batch(12, '\0');
    batch[0] = 1;
    batch[8] = 1;                                   // one entry
    batch += std::string("\x05\x63\x01k\x01v", 6);  // PutCF(99, "k", "v")
    std::string bad;
    AppendLogFrame(&bad, at + 1, batch);
    EXPECT_FALSE(follower_->ApplyLog(bad).ok());
  }
  EXPECT_EQ(follower_->LatestSequence(), at);
  // The genuine frames still apply.
  ASSERT_TRUE(follower_->ApplyLog(more + rest).ok());
  ExpectSame();
}

TEST_F(ReplicationLogTest, TermsAreRecordedInTheLogAndOnlyGrow) {
  EXPECT_FALSE(leader_->StartTerm(5).ok());
  EXPECT_FALSE(leader_->StartTerm(4).ok());
  Writes(0, 4);
  const uint64_t marker = leader_->LatestSequence() + 1;
  ASSERT_TRUE(leader_->StartTerm(9).ok());
  EXPECT_EQ(leader_->LatestSequence(), marker);
  auto terms = leader_->ReadTerms();
  ASSERT_TRUE(terms.ok());
  ASSERT_EQ(terms->size(), 2u);
  EXPECT_EQ(terms->back(), (TermStart{9, marker}));
  auto reader = leader_->NewLogReader(0);
  Ship(*reader, 1 << 20);
  ExpectSame();
  EXPECT_TRUE(LogIsPrefix(*follower_->ReadTerms(), follower_->LatestSequence(), *terms,
                          leader_->LatestSequence()));
}

// An import's ingest takes sequence numbers and no WAL record: the reader turns it into
// an ingest frame and names its files, which reach the follower's inbox before the frame;
// the follower ingests them at the same sequences, then goes on with the log. Writes
// before, beside (another thread creating users while the import runs) and after it, and
// a second import right after the first, all arrive.
TEST_F(ReplicationLogTest, AnImportTravelsThroughTheLogWithItsFiles) {
  Writes(0, 10);
  auto reader = leader_->NewLogReader(0);
  ShipWithFiles(*reader, 3000);
  auto users = [](int from, int n) {
    std::string ndjson;
    for (int i = from; i < from + n; ++i) {
      ndjson +=
          R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"imported)" +
          std::to_string(i) + R"(","active":true})" + "\n";
    }
    return ndjson;
  };
  const uint64_t before = leader_->LatestSequence();
  std::atomic<bool> importing{true};
  std::thread beside([&] {
    for (int i = 0; importing || i < 20; ++i) User(5000 + i);
  });
  auto first = ImportText(users(0, 300));
  importing = false;
  beside.join();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = ImportText(users(300, 50));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  Writes(1000, 10);
  ShipWithFiles(*reader, 3000);
  ExpectSame();
  EXPECT_EQ(ingest_frames_, 2);
  // The follower can lead: a third store catches up from its log, which holds the ingest
  // only as a gap with its marker and no kept files: that store is told to be seeded.
  ASSERT_TRUE(follower_->StartTerm(9).ok());
  RocksStore::Options options;
  options.replicated = true;
  auto other = OpenOrDie(dir_.Sub("other"), options);
  auto from_follower = follower_->NewLogReader(0);
  Status last;
  for (int i = 0;
       i < 100000 && last.ok() && from_follower->position() < follower_->LatestSequence(); ++i) {
    std::string frames;
    last = from_follower->Read(5000, &frames);
    if (last.ok()) ASSERT_TRUE(other->ApplyLog(frames).ok());
  }
  EXPECT_EQ(last.code(), core::Status::Code::kNotFound) << last.ToString();
  // It stopped at the first import (after the users written beside it).
  const uint64_t stopped = from_follower->position();
  EXPECT_GT(stopped, before);
  EXPECT_LT(stopped, follower_->LatestSequence());
  EXPECT_EQ(other->LatestSequence(), stopped);
  // The leader releases the files once every follower holds them; a reader from before
  // the ingest is then told to seed, at the same place.
  leader_->ReleaseIngests(leader_->LatestSequence());
  auto late = leader_->NewLogReader(before);
  last = Status::Ok();
  for (int i = 0; i < 100000 && last.ok() && late->position() < leader_->LatestSequence(); ++i) {
    std::string frames;
    last = late->Read(5000, &frames);
  }
  EXPECT_EQ(last.code(), core::Status::Code::kNotFound) << last.ToString();
  EXPECT_EQ(late->position(), stopped);
}

// A file missing from the inbox, or an ingest frame out of place, changes nothing.
TEST_F(ReplicationLogTest, AnIngestFrameWithoutItsFilesIsRefused) {
  Writes(0, 3);
  auto reader = leader_->NewLogReader(0);
  ShipWithFiles(*reader, 1 << 20);
  auto imported = ImportText(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],)"
                             R"("userName":"solo"})"
                             "\n");
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  std::string frames;
  ASSERT_TRUE(reader->Read(1 << 20, &frames).ok());
  ASSERT_FALSE(reader->TakeIngestFiles().empty());  // not copied to the inbox
  const uint64_t at = follower_->LatestSequence();
  EXPECT_FALSE(follower_->ApplyLog(frames).ok());
  EXPECT_EQ(follower_->LatestSequence(), at);
}

TEST_F(ReplicationLogTest, AGapWithoutAnIngestIsReported) {
  // On a store that is not replicated, an ingest leaves no marker: a reader that must
  // pass its sequence number says so instead of skipping it.
  auto plain = OpenOrDie(dir_.Sub("plain"));
  ASSERT_TRUE(plain);
  auto t = plain->CreateTenant("t");
  ASSERT_TRUE(t.ok());
  // A user first: its count is in the memtable, so the ingest's count overlaps it and
  // takes a sequence number (a file that overlaps nothing takes none).
  core::Service plain_service(*plain);
  core::RequestContext ctx;
  ctx.tenant = t->id;
  ctx.may_wait = true;
  CreateResource(plain_service, ctx, ResourceType::kUser, R"({"userName":"first"})");
  {
    auto bulk = plain->BeginBulkLoad(t->id);
    ASSERT_TRUE(bulk.ok());
    ASSERT_TRUE((*bulk)->PutResource(ResourceType::kUser, Id(7), "x").ok());
    ASSERT_TRUE((*bulk)->AdjustResourceCount(ResourceType::kUser, 1).ok());
    ASSERT_TRUE((*bulk)->Commit().ok());
  }
  ASSERT_TRUE(plain->CreateTenant("after").ok());
  auto reader = plain->NewLogReader(0);
  Status last;
  for (int i = 0; i < 1000 && last.ok() && reader->position() < plain->LatestSequence(); ++i) {
    std::string frames;
    last = reader->Read(1, &frames);
  }
  EXPECT_EQ(last.code(), core::Status::Code::kNotFound) << last.ToString();
  EXPECT_LT(reader->position(), plain->LatestSequence());
}

}  // namespace
}  // namespace scimd::storage::testing
