// Moving a tenant between two running scimd servers (issue #21, `scimctl tenant move`):
// while four clients create users and one adds each to a group, the tenant moves; every
// write the source acknowledged is on the target (same body, same ETag, same token),
// memberships too, `scimctl check` finds nothing; the source no longer has the tenant;
// writes were refused (503) only for the pause. A move that fails part way leaves the
// source serving and the target without the tenant.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"

namespace scimd::testing {
namespace {

constexpr char kAdminToken[] = "admin-token-for-move-tests-0123456789abcdef";

class MoveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("SCIMD_ADMIN_TOKEN", kAdminToken, 1);
    source_data_ = dir_.path() + "/source";
    target_data_ = dir_.path() + "/target";
    token_ = CreateTenantWithToken(source_data_, "acme");
    CreateTenantWithToken(source_data_, "other");
    // The target numbers its tenants differently: it has one already.
    CreateTenantWithToken(target_data_, "earlier");
  }
  std::unique_ptr<ScimdProcess> Start(const std::string& data, const std::string& name,
                                      std::string* admin_url) {
    const std::string port_file = dir_.path() + "/" + name + ".admin.port";
    auto p = std::make_unique<ScimdProcess>(
        data,
        std::vector<std::string>{"--admin-listen", "127.0.0.1:0", "--admin-port-file", port_file});
    *admin_url = "http://127.0.0.1:" + std::to_string(WaitForPortFile(port_file));
    return p;
  }
  std::vector<std::pair<std::string, std::string>> Auth() {
    return {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/scim+json"}};
  }
  static std::vector<std::pair<std::string, std::string>> AdminAuth() {
    return {{"Authorization", std::string("Bearer ") + kAdminToken}};
  }
  // A client of the admin listener at `admin_url`.
  static HttpClient AdminClient(const std::string& admin_url) {
    return HttpClient(std::stoi(admin_url.substr(admin_url.rfind(':') + 1)));
  }
  // Opens a move of acme through `admin` and fences it; its path.
  static std::string FencedMove(HttpClient& admin) {
    HttpResult started = admin.Send("POST", "/admin/v1/tenants/acme/moves", "", AdminAuth());
    EXPECT_EQ(started.status, 201) << started.body;
    const std::string move = "/admin/v1/tenants/acme/moves/" + IdOf(started.body);
    EXPECT_EQ(admin.Send("POST", move + "/fence", "", AdminAuth()).status, 200);
    return move;
  }

  TempDir dir_;
  std::string source_data_, target_data_, token_;
};

TEST_F(MoveTest, AMoveUnderWriteLoadLosesNoAcknowledgedWrite) {
  std::string source_admin, target_admin;
  auto source = Start(source_data_, "source", &source_admin);
  auto target = Start(target_data_, "target", &target_admin);
  HttpClient setup(source->port());
  HttpResult group = setup.Send("POST", "/scim/v2/Groups", R"({"displayName":"Movers"})", Auth());
  ASSERT_EQ(group.status, 201) << group.body;
  const std::string group_id = IdOf(group.body);

  // Each acknowledged user with its body and ETag; each acknowledged membership.
  std::mutex mu;
  std::map<std::string, std::pair<std::string, std::string>> acked;
  std::vector<std::string> to_add;
  std::set<std::string> members;
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0}, other{0};
  std::vector<std::thread> clients;
  for (int w = 0; w < 4; ++w) {
    clients.emplace_back([&, w] {
      HttpClient client(source->port());
      for (int i = 0; !stop.load() && i < 100000; ++i) {
        const std::string body = R"({"userName":"w)" + std::to_string(w) + "-" + std::to_string(i) +
                                 R"(@example.com","title":"moving"})";
        HttpResult r = client.Send("POST", "/scim/v2/Users", body, Auth());
        if (r.status == 201) {
          std::lock_guard<std::mutex> lock(mu);
          acked[IdOf(r.body)] = {r.body, r.Header("etag")};
          to_add.push_back(IdOf(r.body));
        } else if (r.status == 503) {
          refused.fetch_add(1);  // the pause
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        } else {
          other.fetch_add(1);  // 401 once the source no longer has the tenant
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      }
    });
  }
  clients.emplace_back([&] {
    HttpClient client(source->port());
    while (!stop.load()) {
      std::string id;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (!to_add.empty()) {
          id = to_add.back();
          to_add.pop_back();
        }
      }
      if (id.empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      const std::string patch =
          R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":")" +
          id + R"("}]}]})";
      HttpResult r = client.Send("PATCH", "/scim/v2/Groups/" + group_id, patch, Auth());
      if (r.status == 200 || r.status == 204) {
        std::lock_guard<std::mutex> lock(mu);
        members.insert(id);
      }
    }
  });
  auto count = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return acked.size();
  };
  while (count() < 400) std::this_thread::sleep_for(std::chrono::milliseconds(10));

  CommandResult moved = RunCommand({ScimctlBin(), "--server", source_admin, "tenant", "move",
                                    "acme", "--to", "node-b", "--to-server", target_admin},
                                   120);
  ASSERT_EQ(moved.exit_code, 0) << moved.out << moved.err;
  EXPECT_NE(moved.out.find("writes paused"), std::string::npos) << moved.out;
  // The writers see the source refuse the tenant now (401: it is gone there).
  const int other_at_move = other.load();
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (other.load() < other_at_move + 20 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_GT(other.load(), other_at_move);

  HttpClient there(target->port()), here(source->port());
  // Gone there: 401 (or 429 once the writers' failed tokens reached the address' limit).
  const int gone = here.Send("GET", "/scim/v2/Users?count=1", "", Auth()).status;
  EXPECT_TRUE(gone == 401 || gone == 429) << gone;
  ASSERT_GE(acked.size(), 400u);
  for (const auto& [id, answer] : acked) {
    HttpResult r = there.Send("GET", "/scim/v2/Users/" + id, "", Auth());
    ASSERT_EQ(r.status, 200) << "acknowledged by the source, missing on the target: " << id;
    // As created, but for the group it joined since (and the server's address).
    std::string body = r.body;
    if (const size_t groups = body.find(",\"groups\":["); groups != std::string::npos) {
      body.erase(groups, body.rfind(']') + 1 - groups);
    }
    EXPECT_EQ(Unport(body, target->port()), Unport(answer.first, source->port()));
    EXPECT_EQ(r.Header("etag"), answer.second);
  }
  HttpResult g = there.Send("GET", "/scim/v2/Groups/" + group_id, "", Auth());
  ASSERT_EQ(g.status, 200);
  for (const auto& id : members) {
    EXPECT_NE(g.body.find(id), std::string::npos) << "membership acknowledged, missing: " << id;
  }
  EXPECT_GT(members.size(), 20u);
  // The target takes the tenant's writes, with the same token.
  EXPECT_EQ(
      there.Send("POST", "/scim/v2/Users", R"({"userName":"after@example.com"})", Auth()).status,
      201);
  // The other tenant stayed where it was.
  CommandResult list = RunCommand({ScimctlBin(), "--server", source_admin, "tenant", "list"});
  EXPECT_NE(list.out.find("other"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find("acme"), std::string::npos) << list.out;

  target->Stop();
  CommandResult check = RunCommand({ScimctlBin(), "--data", target_data_, "check", "acme"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("0 problems"), std::string::npos) << check.out;
}

TEST_F(MoveTest, AFailedMoveLeavesTheSourceServingAndTheTargetWithout) {
  std::string source_admin, target_admin;
  auto source = Start(source_data_, "source", &source_admin);
  auto target = Start(target_data_, "target", &target_admin);
  HttpClient client(source->port());
  ASSERT_EQ(client.Send("POST", "/scim/v2/Users", R"({"userName":"a@example.com"})", Auth()).status,
            201);
  // No such tenant at the source: the target's arrival is abandoned.
  CommandResult missing = RunCommand({ScimctlBin(), "--server", source_admin, "tenant", "move",
                                      "nobody", "--to", "node-b", "--to-server", target_admin});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("nobody"), std::string::npos) << missing.err;
  CommandResult list = RunCommand({ScimctlBin(), "--server", target_admin, "tenant", "list"});
  EXPECT_EQ(list.out.find("nobody"), std::string::npos) << list.out;
  // The name is taken at the target: nothing happens at the source.
  RunCommand({ScimctlBin(), "--server", target_admin, "tenant", "create", "acme"});
  CommandResult taken = RunCommand({ScimctlBin(), "--server", source_admin, "tenant", "move",
                                    "acme", "--to", "node-b", "--to-server", target_admin});
  EXPECT_NE(taken.exit_code, 0);
  EXPECT_EQ(client.Send("POST", "/scim/v2/Users", R"({"userName":"b@example.com"})", Auth()).status,
            201);
  // An unreachable target: the same.
  CommandResult gone = RunCommand({ScimctlBin(), "--server", source_admin, "tenant", "move", "acme",
                                   "--to", "node-c", "--to-server", "http://127.0.0.1:1"});
  EXPECT_NE(gone.exit_code, 0);
  EXPECT_EQ(client.Send("POST", "/scim/v2/Users", R"({"userName":"c@example.com"})", Auth()).status,
            201);
  // Nothing of the attempts is left at the source: a move can start again.
  HttpClient admin = AdminClient(source_admin);
  const auto auth = AdminAuth();
  HttpResult started = admin.Send("POST", "/admin/v1/tenants/acme/moves", "", auth);
  EXPECT_EQ(started.status, 201) << started.body;
  // While it is open the tenant cannot be deleted; abandoned, it can.
  EXPECT_EQ(admin.Send("DELETE", "/admin/v1/tenants/acme", "", auth).status, 409);
  const std::string move_id = IdOf(started.body);
  EXPECT_EQ(admin.Send("DELETE", "/admin/v1/tenants/acme/moves/" + move_id, "", auth).status, 204);
  EXPECT_EQ(admin.Send("DELETE", "/admin/v1/tenants/acme", "", auth).status, 200);
}

TEST_F(MoveTest, AFencedTenantAnswers503AndAnAbandonedMoveWritesAgain) {
  std::string source_admin;
  auto source = Start(source_data_, "source", &source_admin);
  HttpClient client(source->port());
  HttpClient admin = AdminClient(source_admin);
  const auto auth = AdminAuth();
  const std::string move = FencedMove(admin);
  ASSERT_FALSE(::testing::Test::HasFailure());
  HttpResult held =
      client.Send("POST", "/scim/v2/Users", R"({"userName":"x@example.com"})", Auth());
  EXPECT_EQ(held.status, 503) << held.body;
  EXPECT_FALSE(held.Header("retry-after").empty());
  // Reads go on; settings and tokens wait (they went along already).
  EXPECT_EQ(client.Send("GET", "/scim/v2/Users", "", Auth()).status, 200);
  EXPECT_EQ(
      admin.Send("PATCH", "/admin/v1/tenants/acme/settings", R"({"profile":"okta"})", auth).status,
      409);
  // Other tenants write on.
  EXPECT_EQ(admin.Send("POST", "/admin/v1/tenants/other/tokens", "{}", auth).status, 201);
  EXPECT_EQ(admin.Send("DELETE", move, "", auth).status, 204);
  EXPECT_EQ(client.Send("POST", "/scim/v2/Users", R"({"userName":"x@example.com"})", Auth()).status,
            201);
  // Bad cursors and sequences are refused, not crashed on.
  HttpResult again = admin.Send("POST", "/admin/v1/tenants/acme/moves", "", auth);
  const std::string m2 = "/admin/v1/tenants/acme/moves/" + IdOf(again.body);
  EXPECT_EQ(admin.Send("GET", m2 + "/range?cursor=zz", "", auth).status, 400);
  EXPECT_EQ(admin.Send("GET", m2 + "/changes?since=x", "", auth).status, 400);
  EXPECT_EQ(admin.Send("GET", m2 + "/changes?since=0", "", auth).status, 400);
  EXPECT_EQ(admin.Send("PUT", "/admin/v1/arrivals/a99/range", "xx", auth).status, 404);
  EXPECT_EQ(admin.Send("DELETE", m2, "", auth).status, 204);
}

// A client that dies in the pause leaves a fenced tenant: after 10 minutes without a
// request the server abandons the move (the upkeep, or any move request) and writes again.
TEST_F(MoveTest, AMoveItsClientLeftIsAbandonedAfterTenIdleMinutes) {
  constexpr int64_t kT0 = 1'800'000'000;
  const std::string clock = dir_.path() + "/clock";
  auto set_clock = [&](int64_t seconds) {
    std::ofstream(clock + ".tmp") << seconds << "\n";
    ASSERT_EQ(std::rename((clock + ".tmp").c_str(), clock.c_str()), 0);
  };
  set_clock(kT0);
  setenv("SCIMD_CLOCK_FILE", clock.c_str(), 1);
  std::string source_admin;
  auto source = Start(source_data_, "source", &source_admin);
  unsetenv("SCIMD_CLOCK_FILE");
  HttpClient client(source->port());
  HttpClient admin = AdminClient(source_admin);
  const auto auth = AdminAuth();
  const std::string move = FencedMove(admin);
  ASSERT_FALSE(::testing::Test::HasFailure());
  const std::string user = R"({"userName":"late@example.com"})";
  EXPECT_EQ(client.Send("POST", "/scim/v2/Users", user, Auth()).status, 503);
  set_clock(kT0 + 9 * 60);  // not yet
  EXPECT_EQ(admin.Send("POST", "/admin/v1/tenants/acme/moves", "", auth).status, 409);
  EXPECT_EQ(client.Send("POST", "/scim/v2/Users", user, Auth()).status, 503);
  set_clock(kT0 + 21 * 60);
  HttpResult again = admin.Send("POST", "/admin/v1/tenants/acme/moves", "", auth);
  EXPECT_EQ(again.status, 201) << again.body;  // the old one was abandoned first
  EXPECT_EQ(admin.Send("GET", move + "/records", "", auth).status, 404);
  EXPECT_EQ(client.Send("POST", "/scim/v2/Users", user, Auth()).status, 201);
}

}  // namespace
}  // namespace scimd::testing
