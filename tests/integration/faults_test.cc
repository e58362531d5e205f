// Fault injection against a real scimd (one reactor thread) and RocksDB, set and read
// through `scimctl --server` while it serves: injected 500s and 429s write nothing and say
// what they are, a drop is a head and a close, added latency holds one tenant's answer
// while another tenant's connection is answered meanwhile, a share of 0.5 injects about
// half, the stats count each kind, and removing a setting restores normal answers at once.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr char kAdminToken[] = "admin-token-for-fault-tests-0123456789";

// Sends `request` on a new connection and returns every byte received until the server
// closes it (or `within` passes; then *closed is false).
std::string ExchangeUntilClose(int port, const std::string& request, bool* closed,
                               std::chrono::milliseconds within = 5s) {
  *closed = false;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string got;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    const auto deadline = Clock::now() + within;
    while (Clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) {
        *closed = true;
        break;
      }
      got.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return got;
}

class FaultsTest : public ScimServerTest {
 protected:
  void SetUp() override {
    setenv("SCIMD_ADMIN_TOKEN", kAdminToken, 1);
    ScimServerTest::SetUp();
  }
  void TearDown() override { unsetenv("SCIMD_ADMIN_TOKEN"); }
  std::vector<std::string> ServerArgs() override {
    // One reactor thread: a delay that blocked it would hold every other connection.
    return {"--threads",         "1",
            "--admin-listen",    "127.0.0.1:0",
            "--admin-port-file", dir_.path() + "/admin.port"};
  }
  // scimctl through the admin API of the running server.
  std::string Online(std::vector<std::string> args) {
    std::ifstream f(dir_.path() + "/admin.port");
    int port = 0;
    f >> port;
    args.insert(args.begin(),
                {ScimctlBin(), "--server", "http://127.0.0.1:" + std::to_string(port)});
    CommandResult r = RunCommand(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  void Set(const std::vector<std::string>& settings) {
    std::vector<std::string> args = {"tenant", "set", "acme"};
    args.insert(args.end(), settings.begin(), settings.end());
    Online(args);
  }
  int64_t Users() {
    HttpResult r = Get("/Users?count=0");
    EXPECT_EQ(r.status, 200) << r.body;
    return Int(Parse(r), "totalResults");
  }
  std::string Stats() { return Online({"stats", "acme"}); }
  // The secret `token issue` printed: alone on the last line.
  static std::string LastLine(std::string out) {
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out.substr(out.rfind('\n') + 1);
  }
};

TEST_F(FaultsTest, Injected500sAnd429sWriteNothingAndSayWhatTheyAre) {
  Set({"fault-500=1"});
  const std::string shown = Online({"tenant", "show", "acme"});
  EXPECT_NE(shown.find("fault-500=1"), std::string::npos) << shown;
  for (int i = 0; i < 10; ++i) {
    HttpResult r = Post("/Users", R"({"userName":"u)" + std::to_string(i) + R"("})");
    ExpectScimError(r, 500);
    EXPECT_EQ(r.Header("x-scimd-injected-fault"), "500");
    EXPECT_NE(Str(Parse(r), "detail").find("injected fault"), std::string::npos) << r.body;
  }
  HttpResult group = Post("/Groups", R"({"displayName":"g"})");
  EXPECT_EQ(group.status, 500);
  // A wrong token is still refused as such.
  HttpResult wrong =
      client_->Send("GET", "/scim/v2/Users", "", {{"Authorization", "Bearer not-a-token"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.Header("x-scimd-injected-fault"), "");
  // Discovery has no tenant and is never touched.
  EXPECT_EQ(client_->Send("GET", "/scim/v2/ServiceProviderConfig").status, 200);

  Set({"fault-500=", "fault-429=1", "fault-retry-after=2"});
  HttpResult limited = Post("/Users", R"({"userName":"late"})");
  ExpectScimError(limited, 429);
  EXPECT_EQ(limited.Header("retry-after"), "2");
  EXPECT_EQ(limited.Header("x-scimd-injected-fault"), "429");

  // Off again: the next request is served, and nothing was written meanwhile.
  Set({"fault-429="});
  EXPECT_EQ(Users(), 0);
  EXPECT_EQ(Int(Parse(Get("/Groups?count=0")), "totalResults"), 0);
  EXPECT_EQ(Post("/Users", R"({"userName":"now"})").status, 201);
  EXPECT_EQ(Users(), 1);

  const std::string stats = Stats();
  EXPECT_NE(stats.find("injected: 429=1 500=11 503=0 drop=0"), std::string::npos) << stats;
  EXPECT_NE(stats.find("rate-limited: 0"), std::string::npos) << stats;
}

TEST_F(FaultsTest, ADropIsAHeadThenTheClose) {
  Set({"fault-drop=1"});
  const std::string body = R"({"userName":"dropped"})";
  const std::string request =
      "POST /scim/v2/Users HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Authorization: Bearer " +
      token_ +
      "\r\nContent-Type: application/scim+json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  bool closed = false;
  const std::string got = ExchangeUntilClose(server_->port(), request, &closed);
  EXPECT_TRUE(closed);
  const size_t head_end = got.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << got;
  EXPECT_EQ(head_end + 4, got.size()) << "a body arrived: " << got;
  EXPECT_NE(got.find("X-Scimd-Injected-Fault: drop\r\n"), std::string::npos) << got;
  const size_t length = got.find("Content-Length: ");
  ASSERT_NE(length, std::string::npos) << got;
  EXPECT_GT(std::stoul(got.substr(length + 16)), 0u) << "the head announces a body";

  Set({"fault-drop="});
  EXPECT_EQ(Users(), 0);
  EXPECT_NE(Stats().find("drop=1"), std::string::npos);
}

TEST_F(FaultsTest, LatencyHoldsTheAnswerWhileOtherConnectionsAreServed) {
  Online({"tenant", "create", "beta"});
  const std::string beta = LastLine(Online({"token", "issue", "beta"}));
  Set({"fault-latency=400ms"});
  const auto sent = Clock::now();
  Clock::time_point held_done;
  int held_status = 0;
  std::thread held([&] {
    HttpClient c(server_->port());
    held_status = c.Send("GET", "/scim/v2/Users", "", Auth()).status;
    held_done = Clock::now();
  });
  std::this_thread::sleep_for(100ms);  // the held request is in
  HttpClient other(server_->port());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(other.Send("GET", "/scim/v2/Users", "", {{"Authorization", "Bearer " + beta}}).status,
              200);
  }
  const auto others_done = Clock::now();
  held.join();
  EXPECT_EQ(held_status, 200);
  EXPECT_GE(held_done - sent, 400ms);
  EXPECT_LT(others_done, held_done) << "the reactor waited for the delay";
  // A range: each answer within it.
  Set({"fault-latency=100..200ms"});
  for (int i = 0; i < 3; ++i) {
    const auto start = Clock::now();
    EXPECT_EQ(Get("/Users?count=0").status, 200);
    EXPECT_GE(Clock::now() - start, 100ms);
  }
  // Off: at once (the stats count no fifth delayed answer).
  Set({"fault-latency="});
  EXPECT_EQ(Get("/Users?count=0").status, 200);
  const std::string stats = Stats();
  EXPECT_NE(stats.find("delayed: 4"), std::string::npos) << stats;
}

TEST_F(FaultsTest, AShareOfAHalfInjectsAboutHalf) {
  Set({"fault-500=0.5"});
  constexpr int kRequests = 400;
  int injected = 0;
  for (int i = 0; i < kRequests; ++i) {
    HttpResult r = Get("/Users?count=0");
    ASSERT_TRUE(r.status == 200 || r.status == 500) << r.status;
    if (r.status == 500) {
      ++injected;
      EXPECT_EQ(r.Header("x-scimd-injected-fault"), "500");
    }
  }
  // Binomial(400, 0.5): mean 200, standard deviation 10; six either way.
  EXPECT_GE(injected, 140);
  EXPECT_LE(injected, 260);
  const std::string stats = Stats();
  EXPECT_NE(stats.find("requests: " + std::to_string(kRequests)), std::string::npos) << stats;
  EXPECT_NE(stats.find("errors: " + std::to_string(injected)), std::string::npos) << stats;
  EXPECT_NE(stats.find(" 500=" + std::to_string(injected) + " "), std::string::npos) << stats;
}

TEST_F(FaultsTest, SharesAreValidated) {
  std::ifstream f(dir_.path() + "/admin.port");
  int port = 0;
  f >> port;
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  auto set = [&](const std::string& kv) {
    return RunCommand({ScimctlBin(), "--server", url, "tenant", "set", "acme", kv});
  };
  EXPECT_NE(set("fault-500=1.5").exit_code, 0);
  EXPECT_NE(set("fault-latency=45s").exit_code, 0);
  EXPECT_EQ(set("fault-500=0.6").exit_code, 0);
  CommandResult over = set("fault-503=0.6");
  EXPECT_NE(over.exit_code, 0);
  EXPECT_NE(over.err.find("add up to more than 1"), std::string::npos) << over.err;
}

}  // namespace
}  // namespace scimd::testing
