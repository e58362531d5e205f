// Power loss and a read-only file system, simulated under RocksDB (issue #20; FaultFs in
// tests/storage/fault_fs.h), with the real store and the real use cases above it.
//
// Power loss: a child process (power_loss_writer) opens the store through a FaultFs; four
// writers create users and add every other one to a group, and report every write the
// service acknowledged on a pipe; at a random moment the power goes: every write after it
// fails, what was never synced is dropped from the files (and new files whose directory
// was never synced disappear), and the child exits without closing anything. The parent reopens the
// directory with the plain file system and checks that every acknowledged user and membership is
// there, that `scimctl check`'s CheckTenant finds nothing wrong, and that userName uniqueness
// holds. With sync (scimd --sync) nothing acknowledged may be lost in any round; without it, a
// control round must lose acknowledged writes, or the harness would prove nothing.
//
// Read-only: writes refused with Unavailable (503) naming the read-only directory, reads
// go on, and nothing acknowledged before is lost after a restart.
#include <gtest/gtest.h>
#include <rocksdb/env.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/base/json.h"
#include "core/resource/decode.h"
#include "core/usecase/check.h"
#include "core/usecase/service.h"
#include "storage/rocks_store.h"
#include "tests/storage/fault_fs.h"
#include "tests/storage/power_loss/create_user.h"
#include "tests/storage/test_util.h"

namespace scimd::storage::testing {
namespace {

using core::ResourceId;
using core::ResourceType;

struct Acked {
  std::vector<std::pair<ResourceId, std::string>> users;  // id, userName
  std::vector<ResourceId> members;                        // added to the group
  FaultFs::DropStats dropped;
};

// tests/storage/power_loss/writer_main.cc, built next to this test binary.
std::string WriterPath() {
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  return self.substr(0, self.rfind('/')) + "/power_loss_writer";
}

// Runs the writer on `dir` until its power goes; returns what it acknowledged.
Acked RunRound(const std::string& dir, bool sync, core::TenantId tenant, const ResourceId& group,
               int round) {
  int pipe_fds[2];
  EXPECT_EQ(pipe(pipe_fds), 0);
  const std::vector<std::string> args = {WriterPath(),     dir,
                                         sync ? "1" : "0", std::to_string(tenant),
                                         group.ToString(), std::to_string(round)};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], 1);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  std::string text;
  char buffer[65536];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0;) text.append(buffer, n);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text.substr(0, 500);
  Acked acked;
  std::istringstream lines(text);
  std::string kind, id_text, name;
  while (lines >> kind) {
    if (kind == "U") {
      lines >> id_text >> name;
      auto id = ResourceId::Parse(id_text);
      EXPECT_TRUE(id.ok()) << id_text;
      if (id.ok()) acked.users.emplace_back(*id, name);
    } else if (kind == "M") {
      lines >> id_text;
      auto id = ResourceId::Parse(id_text);
      if (id.ok()) acked.members.push_back(*id);
    } else if (kind == "D") {
      lines >> acked.dropped.files_cut >> acked.dropped.bytes_dropped >>
          acked.dropped.files_removed;
    } else {
      ADD_FAILURE() << "child: " << text.substr(0, 500);
      break;
    }
  }
  return acked;
}

struct Found {
  size_t users_lost = 0;
  size_t members_lost = 0;
};

Found Verify(RocksStore& store, core::TenantId tenant, const ResourceId& group,
             const Acked& acked) {
  Found found;
  core::Service service(store);
  core::RequestContext ctx;
  ctx.tenant = tenant;
  ctx.may_wait = true;
  for (const auto& [id, name] : acked.users) {
    if (!store.GetResource(tenant, ResourceType::kUser, id).ok()) ++found.users_lost;
  }
  for (const ResourceId& id : acked.members) {
    auto groups = service.GroupsOf(ctx, id);
    bool in = false;
    if (groups.ok()) {
      for (const auto& g : *groups) in = in || g.group == group;
    }
    if (!in) ++found.members_lost;
  }
  return found;
}

class PowerLossTest : public ::testing::Test {
 protected:
  // A tenant and its group, made with the plain file system before the first round.
  void SetUp() override {
    dir_ = tmp_.Sub("data");
    auto store = RocksStore::Open(dir_, RocksStore::Options());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto tenant = (*store)->CreateTenant("acme");
    ASSERT_TRUE(tenant.ok());
    tenant_ = tenant->id;
    core::Service service(**store);
    core::RequestContext ctx;
    ctx.tenant = tenant_;
    ctx.may_wait = true;
    auto json = core::Json::Parse(R"({"displayName":"powered"})");
    auto input = core::DecodeInput(ResourceType::kGroup, *json, ctx.settings.decode);
    auto g = service.Create(ctx, ResourceType::kGroup, std::move(input).value());
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    group_ = g->resource.id;
  }

  TempDir tmp_;
  std::string dir_;
  core::TenantId tenant_ = 0;
  ResourceId group_;
};

TEST_F(PowerLossTest, WithSyncNothingAcknowledgedIsLostIn20Rounds) {
  size_t total_users = 0, total_members = 0;
  uint64_t total_dropped = 0, total_removed = 0;
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Acked acked = RunRound(dir_, /*sync=*/true, tenant_, group_, round);
    ASSERT_FALSE(acked.users.empty());
    total_users += acked.users.size();
    total_members += acked.members.size();
    total_dropped += acked.dropped.bytes_dropped;
    total_removed += acked.dropped.files_removed;
    auto store = RocksStore::Open(dir_, RocksStore::Options());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Found found = Verify(**store, tenant_, group_, acked);
    EXPECT_EQ(found.users_lost, 0u);
    EXPECT_EQ(found.members_lost, 0u);
    std::vector<std::string> problems;
    auto report = core::CheckTenant(**store, tenant_, /*repair=*/false,
                                    [&](std::string_view line) { problems.emplace_back(line); });
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->problems, 0u) << (problems.empty() ? "" : problems.front());
    EXPECT_GE(report->users, total_users);
    // Uniqueness holds across the loss: an acknowledged userName cannot be taken again.
    core::Service service(**store);
    core::RequestContext ctx;
    ctx.tenant = tenant_;
    ctx.may_wait = true;
    auto again = CreatePowerUser(service, ctx, acked.users.back().second);
    EXPECT_EQ(again.status().code(), core::Status::Code::kUniqueness);
  }
  size_t tables = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    tables += entry.path().extension() == ".sst" ? 1 : 0;
  }
  // The rounds flushed memtables into table files (the power also went during those), and
  // the cuts landed in the middle of writes: unsynced bytes or new files were dropped.
  EXPECT_GT(tables, 10u);
  EXPECT_GT(total_dropped + total_removed, 0u);
  std::printf(
      "%zu table files; power loss with sync: 20 rounds, %zu users and %zu memberships "
      "acknowledged, "
      "all found; %llu unsynced bytes dropped, %llu unsynced new files removed\n",
      tables, total_users, total_members, static_cast<unsigned long long>(total_dropped),
      static_cast<unsigned long long>(total_removed));
}

TEST_F(PowerLossTest, WithoutSyncAcknowledgedWritesAreLostSoTheHarnessSeesLoss) {
  // The control: the WAL is written but not synced, so the power cut takes the writes of
  // the round with it. If nothing were lost here, the test above would prove nothing.
  Acked acked = RunRound(dir_, /*sync=*/false, tenant_, group_, 0);
  ASSERT_FALSE(acked.users.empty());
  EXPECT_GT(acked.dropped.bytes_dropped, 0u);
  auto store = RocksStore::Open(dir_, RocksStore::Options());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Found found = Verify(**store, tenant_, group_, acked);
  EXPECT_GT(found.users_lost, 0u);
  // What survives is still consistent: lost whole, never half-written.
  auto report = core::CheckTenant(**store, tenant_, false, [](std::string_view) {});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->problems, 0u);
}

TEST_F(PowerLossTest, AReadOnlyDirectoryRefusesWritesWith503AndKeepsServingReads) {
  std::vector<std::pair<ResourceId, std::string>> before;
  {
    auto fs = std::make_shared<FaultFs>();
    std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
    RocksStore::Options options;
    options.env = env.get();
    auto store = RocksStore::Open(dir_, options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    core::Service service(**store);
    core::RequestContext ctx;
    ctx.tenant = tenant_;
    ctx.may_wait = true;
    for (int i = 0; i < 50; ++i) {
      const std::string name = "before" + std::to_string(i) + "@example.com";
      auto created = CreatePowerUser(service, ctx, name);
      ASSERT_TRUE(created.ok()) << created.status().ToString();
      before.emplace_back(created->resource.id, name);
    }
    EXPECT_TRUE((*store)->ProbeWrite().ok());
    fs->SetReadOnly(true);
    auto refused = CreatePowerUser(service, ctx, "during@example.com");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), core::Status::Code::kUnavailable)
        << refused.status().ToString();
    EXPECT_NE(refused.status().detail().find("read-only"), std::string::npos);
    EXPECT_EQ(core::ToHttp(refused.status().code()).http_status, 503);
    // The write probe of /readyz says so too.
    EXPECT_EQ((*store)->ProbeWrite().code(), core::Status::Code::kUnavailable);
    EXPECT_GT(refused.status().retry_after(), 0);
    // Reads go on, the latest write included.
    for (const auto& [id, name] : before) {
      auto got = service.Get(ctx, ResourceType::kUser, id);
      EXPECT_TRUE(got.ok()) << got.status().ToString();
    }
    // Every later write is refused the same way, never with another error.
    auto again = CreatePowerUser(service, ctx, "during2@example.com");
    EXPECT_EQ(again.status().code(), core::Status::Code::kUnavailable);
  }
  // Writable again and reopened (a restart): everything acknowledged before is there.
  auto store = RocksStore::Open(dir_, RocksStore::Options());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (const auto& [id, name] : before) {
    EXPECT_TRUE((*store)->GetResource(tenant_, ResourceType::kUser, id).ok());
  }
  auto report = core::CheckTenant(**store, tenant_, false, [](std::string_view) {});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->problems, 0u);
  EXPECT_EQ(report->users, before.size());
}

}  // namespace
}  // namespace scimd::storage::testing
