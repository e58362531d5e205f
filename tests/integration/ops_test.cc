// What an operator's tooling asks of the admin listener (issue #21): /healthz and /readyz
// without the token; /readyz 503 while the SCIM listener drains on SIGTERM. (A full disk
// turning /readyz to 503 and back is in scripts/disk_full.sh, ctest reliability.disk_full;
// the store's write probe on a read-only file system in PowerLossTest.)
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "tests/integration/harness.h"

namespace scimd::testing {
namespace {

constexpr char kAdminToken[] = "admin-token-for-ops-tests-0123456789abcdef";

class OpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("SCIMD_ADMIN_TOKEN", kAdminToken, 1);
    data_ = dir_.path() + "/data";
    token_ = CreateTenantWithToken(data_, "acme");
    admin_port_file_ = dir_.path() + "/admin.port";
  }
  std::vector<std::string> AdminArgs() {
    return {"--admin-listen", "127.0.0.1:0", "--admin-port-file", admin_port_file_};
  }
  int AdminPort() {
    int port = 0;
    for (int i = 0; i < 100 && port == 0; ++i) {
      std::ifstream(admin_port_file_) >> port;
      if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return port;
  }
  TempDir dir_;
  std::string data_, token_, admin_port_file_;
};

TEST_F(OpsTest, HealthzAndReadyzAnswerWithoutTheToken) {
  ScimdProcess server(data_, AdminArgs());
  HttpClient admin(AdminPort());
  HttpResult health = admin.Send("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, R"({"status":"alive"})");
  EXPECT_EQ(health.Header("cache-control"), "no-store");
  HttpResult ready = admin.Send("GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.body, R"({"status":"ready"})");
  EXPECT_EQ(admin.Send("HEAD", "/readyz").status, 200);
  HttpResult post = admin.Send("POST", "/readyz", "{}");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.Header("allow"), "GET, HEAD");
  // The rest of the admin API still wants its token.
  EXPECT_EQ(admin.Send("GET", "/admin/v1/tenants").status, 401);
  EXPECT_EQ(admin.Send("GET", "/healthz/../admin/v1/tenants").status, 401);
  // The probes live on the admin listener only.
  HttpClient scim(server.port());
  EXPECT_NE(scim.Send("GET", "/readyz").status, 200);
}

TEST_F(OpsTest, ReadyzSays503WhileTheScimListenerDrains) {
  ScimdProcess server(data_, AdminArgs());
  HttpClient admin(AdminPort());
  ASSERT_EQ(admin.Send("GET", "/readyz").status, 200);
  // A request in flight (half its body sent) holds the drain open after SIGTERM.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string body = R"({"userName":"draining@example.com"})";
  const std::string head =
      "POST /scim/v2/Users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token_ +
      "\r\nContent-Type: application/scim+json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body.substr(0, 10);
  ASSERT_EQ(write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(kill(server.pid(), SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  HttpResult draining = admin.Send("GET", "/readyz");
  EXPECT_EQ(draining.status, 503) << draining.body;
  EXPECT_EQ(draining.body, R"({"status":"stopping"})");
  EXPECT_EQ(admin.Send("GET", "/healthz").status, 200);  // alive all the same
  // The request in flight is still answered.
  const std::string rest = body.substr(10);
  ASSERT_EQ(write(fd, rest.data(), rest.size()), static_cast<ssize_t>(rest.size()));
  char buffer[512];
  const ssize_t n = read(fd, buffer, sizeof(buffer));
  ASSERT_GT(n, 12);
  EXPECT_EQ(std::string(buffer, 12), "HTTP/1.1 201");
  close(fd);
  EXPECT_EQ(server.WaitExit(), 0) << server.Output();
}

}  // namespace
}  // namespace scimd::testing
