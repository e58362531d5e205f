// A reactor thread never waits for a lock: with one reactor thread, a user DELETE that
// meets the exclusive membership lock of a group whose members are being cleared is moved
// to a blocking thread, and GETs on the same reactor keep being answered meanwhile.
//
// The group is seeded straight into the data directory (edges only: the cleared members
// need not exist as users), SCIMD_TEST_CLEAR_MEMBERS of them (default 300,000; 1,000,000
// is the figure in docs/PERFORMANCE.md).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "bench/seed_util.h"
#include "storage/rocks_store.h"
#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t MembersToClear() {
  const char* env = std::getenv("SCIMD_TEST_CLEAR_MEMBERS");
  const uint64_t n = env != nullptr ? std::strtoull(env, nullptr, 10) : 0;
  return n > 0 ? n : 300'000;
}

long long Millis(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

class ReactorTest : public ScimServerTest {
 protected:
  std::vector<std::string> ServerArgs() override {
    return {"--threads", "1", "--blocking-threads", "2"};
  }

  void SetUp() override {
    ScimServerTest::SetUp();
    StopServer();  // the store is the server's while it runs
    {
      auto store = storage::RocksStore::Open(data_, {});
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      auto tenant = (*store)->FindTenant("acme");
      ASSERT_TRUE(tenant.ok() && tenant->has_value());
      group_ = bench::SeedId(0x7e1, 0);
      ASSERT_TRUE(bench::SeedGroup(**store, (*tenant)->id, group_, "Everyone"));
      ASSERT_TRUE(
          bench::SeedMembers(**store, (*tenant)->id, group_, 0x7e2, 0, MembersToClear(), false));
    }
    StartServer();
  }

  core::ResourceId group_;
};

TEST_F(ReactorTest, ReadsGoOnWhileAWriteWaitsForAGroupBeingCleared) {
  const uint64_t members = MembersToClear();
  const std::string gid = group_.ToString();
  const std::string uid = CreateUser("member");
  const std::string add =
      R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[)"
      R"({"op":"add","path":"members","value":[{"value":")" +
      uid + R"("}]}]})";
  ASSERT_EQ(client_->Send("PATCH", "/scim/v2/Groups/" + gid, add, Auth()).status, 204);

  // 1. Clear the group (a blocking thread holds its membership lock exclusively meanwhile).
  std::atomic<bool> clear_sent{false};
  HttpResult cleared;
  Clock::duration clear_time{};
  std::thread clearer([&] {
    HttpClient client(server_->port());
    const auto start = Clock::now();
    clear_sent = true;
    cleared = client.Send("PATCH", "/scim/v2/Groups/" + gid,
                          R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
                          R"("Operations":[{"op":"remove","path":"members"}]})",
                          Auth({{"Prefer", "return=minimal"}}));
    clear_time = Clock::now() - start;
  });
  while (!clear_sent) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));

  // 2. Delete the member user: removing its edge needs the same lock. It starts on the
  // reactor, loses the race, and must wait off the reactor.
  std::atomic<bool> delete_done{false};
  HttpResult deleted;
  Clock::duration delete_time{};
  std::thread deleter([&] {
    HttpClient client(server_->port());
    const auto start = Clock::now();
    deleted = client.Send("DELETE", "/scim/v2/Users/" + uid, "", Auth());
    delete_time = Clock::now() - start;
    delete_done = true;
  });

  // 3. Reads on the same reactor while the DELETE waits.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  int gets_while_waiting = 0;
  Clock::duration slowest_get{};
  while (!delete_done) {
    const auto start = Clock::now();
    HttpResult r = Get("/Groups/" + gid + "?attributes=displayName");
    slowest_get = std::max(slowest_get, Clock::now() - start);
    ASSERT_EQ(r.status, 200) << r.body;
    if (!delete_done) ++gets_while_waiting;
  }
  deleter.join();
  clearer.join();
  std::printf(
      "clearing %llu members: %lld ms; a member's DELETE sent meanwhile took %lld ms; %d GETs "
      "answered while it waited, the slowest in %lld ms\n",
      static_cast<unsigned long long>(members), Millis(clear_time), Millis(delete_time),
      gets_while_waiting, Millis(slowest_get));

  ASSERT_EQ(cleared.status, 204) << cleared.body.substr(0, 300);
  ASSERT_EQ(deleted.status, 204) << deleted.body;
  // The DELETE really met the clear (it waited for a good part of it), and the reactor did
  // not: on the reactor, a read would have waited about as long as the DELETE.
  EXPECT_GT(delete_time, clear_time / 4);
  EXPECT_GE(gets_while_waiting, 3);
  EXPECT_LT(slowest_get, delete_time / 3);

  // Both writes took effect, exactly.
  EXPECT_EQ(Get("/Users/" + uid).status, 404);
  HttpResult group = Get("/Groups/" + gid);
  ASSERT_EQ(group.status, 200);
  EXPECT_TRUE(MemberIds(Parse(group)).empty());
}

}  // namespace
}  // namespace scimd::testing
