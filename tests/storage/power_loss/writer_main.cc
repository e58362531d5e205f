// power_loss_writer DIR SYNC TENANT GROUP ROUND: the writing side of PowerLossTest
// (tests/storage/power_loss_test.cc), a program of its own so that it starts with none of
// the test process' threads (a fork would inherit RocksDB's default environment believing
// in background threads it does not have, and never flush). Opens the store in DIR
// through a FaultFs; four writers create users and add every other one to GROUP, printing
// each write the service acknowledged ("U id userName", "M id"); at a random moment the
// power goes, what was never synced is dropped ("D files_cut bytes_dropped files_removed"),
// and the process exits without closing anything.
#include <rocksdb/env.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/base/json.h"
#include "core/resource/decode.h"
#include "core/usecase/patch.h"
#include "core/usecase/service.h"
#include "storage/rocks_store.h"
#include "tests/storage/fault_fs.h"
#include "tests/storage/power_loss/create_user.h"

namespace scimd::storage::testing {
namespace {

using core::ResourceId;
using core::ResourceType;

constexpr int kWriters = 4;

core::Status AddMember(core::Service& service, const core::RequestContext& ctx,
                       const ResourceId& group, const ResourceId& user) {
  auto body =
      core::Json::Parse(R"({"Operations":[{"op":"add","path":"members","value":[{"value":")" +
                        user.ToString() + R"("}]}]})");
  if (!body.ok()) return body.status();
  auto ops = core::ParsePatchRequest(*body);
  if (!ops.ok()) return ops.status();
  auto r = service.Patch(ctx, ResourceType::kGroup, group, *ops, "");
  return r.ok() ? core::Status::Ok() : r.status();
}

// The child's side: writes through a FaultFs until the power goes at a random moment, then
// exits. Everything it reports on `fd` was acknowledged by the service first.
[[noreturn]] void WriteUntilPowerLoss(const std::string& dir, bool sync, core::TenantId tenant,
                                      ResourceId group, int round) {
  auto fs = std::make_shared<FaultFs>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  RocksStore::Options options;
  options.sync = sync;
  options.env = env.get();
  // Small write buffers: memtables flush and levels compact every few hundred writes, so
  // the power also goes in the middle of new table files and manifest updates.
  options.write_buffer_bytes = size_t{1} << 20;
  auto store = RocksStore::Open(dir, options);
  if (!store.ok()) {
    dprintf(1, "E open: %s\n", store.status().ToString().c_str());
    _exit(1);
  }
  core::Service service(**store);
  core::RequestContext ctx;
  ctx.tenant = tenant;
  ctx.may_wait = true;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; !stop.load(); ++i) {
        const std::string name = "r" + std::to_string(round) + "w" + std::to_string(w) + "n" +
                                 std::to_string(i) + "@example.com";
        auto created = CreatePowerUser(service, ctx, name);
        if (!created.ok()) {
          if (created.status().code() == core::Status::Code::kBusy) continue;
          return;  // the power is off
        }
        const ResourceId id = created->resource.id;
        dprintf(1, "U %s %s\n", id.ToString().c_str(), name.c_str());
        if (i % 2 == 0) {
          core::Status added = AddMember(service, ctx, group, id);
          if (added.ok()) dprintf(1, "M %s\n", id.ToString().c_str());
        }
      }
    });
  }
  std::mt19937 random(static_cast<unsigned>(round) * 7919u + (sync ? 1u : 0u));
  std::this_thread::sleep_for(std::chrono::milliseconds(100 + random() % 300));
  fs->PowerOff();
  stop = true;
  for (auto& t : writers) t.join();
  FaultFs::DropStats d = fs->DropUnsynced(/*halt=*/true);
  dprintf(1, "D %llu %llu %llu\n", static_cast<unsigned long long>(d.files_cut),
          static_cast<unsigned long long>(d.bytes_dropped),
          static_cast<unsigned long long>(d.files_removed));
  _exit(0);  // no destructor runs: the machine is off
}

}  // namespace
}  // namespace scimd::storage::testing

int main(int argc, char** argv) {
  using scimd::core::ResourceId;
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s DIR SYNC TENANT GROUP ROUND\n", argv[0]);
    return 2;
  }
  auto group = ResourceId::Parse(argv[4]);
  if (!group.ok()) {
    std::fprintf(stderr, "bad group id\n");
    return 2;
  }
  scimd::storage::testing::WriteUntilPowerLoss(
      argv[1], std::string(argv[2]) == "1", static_cast<scimd::core::TenantId>(std::atoll(argv[3])),
      *group, std::atoi(argv[5]));
}
