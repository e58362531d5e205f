// The admin console's server side (issue #22): its files served at /console/ without the
// token and with a strict Content-Security-Policy; unknown files 404, writes 405; the
// admin API calls it makes: /server (the SCIM URL, --public-url), tenants with their
// counts and last hour, and a tenant's answers per minute (sampled each minute; the time
// comes from a clock file). The browser test is tests/console/console_test.js.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"

namespace scimd::testing {
namespace {

constexpr char kAdminToken[] = "admin-token-for-console-tests-0123456789abcdef";
constexpr int64_t kT0 = 1'800'000'020;  // 20 s into a minute

class ConsoleServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("SCIMD_ADMIN_TOKEN", kAdminToken, 1);
    clock_ = dir_.path() + "/clock";
    SetClock(kT0);
    setenv("SCIMD_CLOCK_FILE", clock_.c_str(), 1);
    data_ = dir_.path() + "/data";
    token_ = CreateTenantWithToken(data_, "acme");
    const std::string port_file = dir_.path() + "/admin.port";
    server_ = std::make_unique<ScimdProcess>(
        data_, std::vector<std::string>{"--admin-listen", "127.0.0.1:0", "--admin-port-file",
                                        port_file, "--public-url", "https://scim.example.com/"});
    admin_port_ = WaitForPortFile(port_file);
  }
  void TearDown() override {
    server_.reset();
    unsetenv("SCIMD_CLOCK_FILE");
  }
  void SetClock(int64_t seconds) {
    std::ofstream(clock_ + ".tmp") << seconds << "\n";
    ASSERT_EQ(std::rename((clock_ + ".tmp").c_str(), clock_.c_str()), 0);
  }
  HttpResult Admin(const std::string& method, const std::string& path, bool token = true) {
    HttpClient admin(admin_port_);
    std::vector<std::pair<std::string, std::string>> headers;
    if (token) headers.emplace_back("Authorization", std::string("Bearer ") + kAdminToken);
    return admin.Send(method, path, "", headers);
  }

  TempDir dir_;
  std::string clock_, data_, token_;
  std::unique_ptr<ScimdProcess> server_;
  int admin_port_ = 0;
};

TEST_F(ConsoleServerTest, TheFilesAreServedWithoutTheTokenAndWithAStrictPolicy) {
  HttpResult index = Admin("GET", "/console/", false);
  ASSERT_EQ(index.status, 200);
  EXPECT_NE(index.Header("content-type").find("text/html"), std::string::npos);
  EXPECT_NE(index.body.find("app.js"), std::string::npos);
  const std::string csp = index.Header("content-security-policy");
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_EQ(index.Header("x-frame-options"), "DENY");
  HttpResult js = Admin("GET", "/console/app.js", false);
  EXPECT_EQ(js.status, 200);
  EXPECT_NE(js.Header("content-type").find("javascript"), std::string::npos);
  EXPECT_NE(js.body.find("sessionStorage"), std::string::npos);
  EXPECT_EQ(Admin("GET", "/console/style.css", false).status, 200);
  EXPECT_EQ(Admin("GET", "/console/nothing.js", false).status, 404);
  EXPECT_EQ(Admin("GET", "/console/../admin/v1/tenants", false).status, 404);
  EXPECT_EQ(Admin("POST", "/console/", false).status, 405);
  HttpResult bare = Admin("GET", "/console", false);
  EXPECT_EQ(bare.status, 308);
  EXPECT_EQ(bare.Header("location"), "/console/");
  // The API behind it still wants the token.
  EXPECT_EQ(Admin("GET", "/admin/v1/server", false).status, 401);
  HttpResult info = Admin("GET", "/admin/v1/server");
  ASSERT_EQ(info.status, 200);
  EXPECT_NE(info.body.find(R"("scimUrl":"https://scim.example.com")"), std::string::npos)
      << info.body;
}

TEST_F(ConsoleServerTest, TenantsCarryTheirCountsAndAnswersPerMinute) {
  HttpClient scim(server_->port());
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", "Bearer " + token_}, {"Content-Type", "application/scim+json"}};
  // The first minute is sampled (nothing yet), then: 3 created, 2 refused (400), 1 read.
  SetClock(kT0 + 60);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(scim.Send("POST", "/scim/v2/Users",
                        R"({"userName":"u)" + std::to_string(i) + R"(@example.com"})", auth)
                  .status,
              201);
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(scim.Send("POST", "/scim/v2/Users", R"({"title":"no name"})", auth).status, 400);
  }
  ASSERT_EQ(scim.Send("GET", "/scim/v2/Users", "", auth).status, 200);
  SetClock(kT0 + 120);  // the next minute: the one before is sampled
  std::string history;
  for (int i = 0; i < 50; ++i) {
    history = Admin("GET", "/admin/v1/tenants/acme/history").body;
    if (history.find(R"("ok":4)") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(history.find(R"("ok":4,"clientErrors":2,"serverErrors":0)"), std::string::npos)
      << history;
  HttpResult list = Admin("GET", "/admin/v1/tenants?details=1");
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find(R"("users":3,"groups":0,"lastHour":{"requests":6,"errors":2})"),
            std::string::npos)
      << list.body;
  // Without details=1 the list is as before.
  EXPECT_EQ(Admin("GET", "/admin/v1/tenants").body.find("lastHour"), std::string::npos);
}

}  // namespace
}  // namespace scimd::testing
