// What an operator's tooling asks of the admin listener (issue #21): /healthz and /readyz
// without the token; /readyz 503 while the SCIM listener drains on SIGTERM; /metrics in
// Prometheus' text format, with counters that move with the requests; X-Request-Id on
// every answer (the client's echoed, else a new one) and in the access log (JSON lines,
// no secrets, no query values) and the activity log. (A full disk
// turning /readyz to 503 and back is in scripts/disk_full.sh, ctest reliability.disk_full;
// the store's write probe on a read-only file system in PowerLossTest.)
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "core/base/json.h"
#include "tests/integration/harness.h"

namespace scimd::testing {
namespace {

constexpr char kAdminToken[] = "admin-token-for-ops-tests-0123456789abcdef";

// Parses Prometheus text: sample line -> value; checks the format on the way (every sample
// of a family after its HELP and TYPE, names and labels well formed).
std::map<std::string, double> ParseMetrics(const std::string& text) {
  std::map<std::string, double> samples;
  std::istringstream in(text);
  std::string line, family;
  const std::regex sample(
      R"(^([a-z_:][a-z0-9_:]*)(\{([a-z_]+="([^"\\]|\\.)*"(,[a-z_]+="([^"\\]|\\.)*")*)?\})? ([-+0-9.eE]+|\+Inf|NaN)$)");
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      family = line.substr(7, line.find(' ', 7) - 7);
      continue;
    }
    std::smatch m;
    EXPECT_TRUE(std::regex_match(line, m, sample)) << "not a sample line: " << line;
    if (m.empty()) continue;
    EXPECT_EQ(m[1].str().rfind(family, 0), 0u) << line << " outside its family " << family;
    samples[line.substr(0, line.rfind(' '))] = std::stod(m[7].str());
  }
  return samples;
}

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
  int AdminPort() { return WaitForPortFile(admin_port_file_); }
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

TEST_F(OpsTest, MetricsInPrometheusTextMoveWithTheRequests) {
  ScimdProcess server(data_, AdminArgs());
  HttpClient admin(AdminPort());
  EXPECT_EQ(admin.Send("GET", "/metrics").status, 401);  // the admin token, as the API
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", std::string("Bearer ") + kAdminToken}};
  HttpResult first = admin.Send("GET", "/metrics", "", auth);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  auto before = ParseMetrics(first.body);
  EXPECT_EQ(before.count(R"(scimd_connections_open{listener="scim"})"), 1u) << first.body;
  EXPECT_EQ(before.count(R"(scimd_connections_open{listener="admin"})"), 1u);
  EXPECT_EQ(before.count("scimd_store_pending_compaction_bytes"), 1u);
  EXPECT_EQ(before.count("scimd_store_block_cache_hits_total"), 1u);
  EXPECT_EQ(before.at(R"(scimd_tenant_resources{tenant="acme",type="User"})"), 0);

  HttpClient scim(server.port());
  const std::vector<std::pair<std::string, std::string>> scim_auth = {
      {"Authorization", "Bearer " + token_}, {"Content-Type", "application/scim+json"}};
  HttpResult created =
      scim.Send("POST", "/scim/v2/Users", R"({"userName":"metrics@example.com"})", scim_auth);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.body.substr(created.body.find("\"id\":\"") + 6, 36);
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(scim.Send("GET", "/scim/v2/Users/" + id, "", scim_auth).status, 200);
  EXPECT_EQ(scim.Send("GET", "/scim/v2/Groups/nope", "", scim_auth).status, 404);
  EXPECT_EQ(scim.Send("GET", "/scim/v2/Users", "", {{"Authorization", "Bearer wrong"}}).status,
            401);
  EXPECT_EQ(scim.Send("GET", "/scim/v2/ServiceProviderConfig").status, 200);

  HttpResult second = admin.Send("GET", "/metrics", "", auth);
  ASSERT_EQ(second.status, 200);
  auto after = ParseMetrics(second.body);
  auto delta = [&](const std::string& key) {
    const double was = before.count(key) ? before.at(key) : 0;
    EXPECT_EQ(after.count(key), 1u) << key << " missing in\n" << second.body;
    return after.count(key) ? after.at(key) - was : -1;
  };
  EXPECT_EQ(
      delta(R"(scimd_requests_total{tenant="acme",method="POST",resource="Users",status="201"})"),
      1);
  EXPECT_EQ(
      delta(R"(scimd_requests_total{tenant="acme",method="GET",resource="Users",status="200"})"),
      3);
  EXPECT_EQ(
      delta(R"(scimd_requests_total{tenant="acme",method="GET",resource="Groups",status="404"})"),
      1);
  EXPECT_EQ(delta(R"(scimd_requests_total{tenant="",method="GET",resource="Users",status="401"})"),
            1);
  EXPECT_EQ(
      delta(R"(scimd_requests_total{tenant="",method="GET",resource="discovery",status="200"})"),
      1);
  EXPECT_EQ(delta(R"(scimd_request_duration_seconds_count{method="GET",resource="Users"})"), 4);
  EXPECT_EQ(
      delta(R"(scimd_request_duration_seconds_bucket{method="GET",resource="Users",le="+Inf"})"),
      4);
  EXPECT_GT(delta(R"(scimd_request_duration_seconds_sum{method="GET",resource="Users"})"), 0);
  EXPECT_EQ(after.at(R"(scimd_tenant_resources{tenant="acme",type="User"})"), 1);
  EXPECT_GE(delta(R"(scimd_connections_accepted_total{listener="scim"})"), 1);
  EXPECT_GE(delta(R"(scimd_http_responses_total{listener="scim"})"), 7);
  // Buckets are cumulative: each at most the next.
  double last = 0;
  for (const char* le : {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                         "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"}) {
    const std::string key =
        std::string(R"(scimd_request_duration_seconds_bucket{method="GET",resource="Users",le=")") +
        le + "\"}";
    ASSERT_EQ(after.count(key), 1u) << key;
    EXPECT_GE(after.at(key), last) << key;
    last = after.at(key);
  }
}

TEST_F(OpsTest, RequestIdsInAnswersTheAccessLogAndTheActivityLog) {
  const std::string access_path = dir_.path() + "/access.log";
  std::vector<std::string> args = AdminArgs();
  args.insert(args.end(), {"--log-access", access_path});
  ScimdProcess server(data_, args);
  HttpClient scim(server.port());
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Authorization", "Bearer " + token_},
      {"Content-Type", "application/scim+json"},
      {"X-Request-Id", "entra-7f3c-0001"}};
  HttpResult created =
      scim.Send("POST", "/scim/v2/Users", R"({"userName":"traced@example.com"})", headers);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.Header("x-request-id"), "entra-7f3c-0001");  // echoed
  // Without one, or with one that is not safe to echo, the server makes its own.
  headers.pop_back();
  HttpResult listed =
      scim.Send("GET", "/scim/v2/Users?filter=userName%20eq%20%22traced%40example.com%22&count=5",
                "", headers);
  ASSERT_EQ(listed.status, 200);
  const std::string made = listed.Header("x-request-id");
  EXPECT_FALSE(made.empty());
  headers.emplace_back("X-Request-Id", "has space");
  HttpResult odd = scim.Send("GET", "/scim/v2/Users/nope", "", headers);
  EXPECT_EQ(odd.status, 404);
  EXPECT_NE(odd.Header("x-request-id"), "has space");
  EXPECT_FALSE(odd.Header("x-request-id").empty());
  EXPECT_NE(odd.Header("x-request-id"), made);
  // A server-made error has one too.
  HttpResult bad = HttpClient(server.port()).SendRaw("GARBAGE\r\n\r\n");
  EXPECT_EQ(bad.status, 400);
  EXPECT_FALSE(bad.Header("x-request-id").empty());

  // The access log: written off the request path, flushed within a few hundred ms.
  std::vector<core::Json> lines;
  for (int i = 0; i < 100 && lines.size() < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    lines.clear();
    std::ifstream in(access_path);
    std::string line;
    while (std::getline(in, line)) {
      auto j = core::Json::Parse(line);
      ASSERT_TRUE(j.ok()) << line;
      lines.push_back(std::move(j).value());
    }
  }
  ASSERT_EQ(lines.size(), 4u);
  auto field = [](const core::Json& j, const char* key) {
    const core::Json* v = j.Find(key);
    return v != nullptr && v->is_string() ? v->as_string() : std::string();
  };
  auto number = [](const core::Json& j, const char* key) {
    const core::Json* v = j.Find(key);
    return v != nullptr && v->is_int() ? v->as_int() : -1;
  };
  EXPECT_EQ(field(lines[0], "requestId"), "entra-7f3c-0001");
  EXPECT_EQ(field(lines[0], "listener"), "scim");
  EXPECT_EQ(field(lines[0], "tenant"), "acme");
  EXPECT_FALSE(field(lines[0], "token").empty());
  EXPECT_EQ(field(lines[0], "method"), "POST");
  EXPECT_EQ(field(lines[0], "path"), "/scim/v2/Users");
  EXPECT_EQ(number(lines[0], "status"), 201);
  EXPECT_EQ(number(lines[0], "bytes"), static_cast<int64_t>(created.body.size()));
  EXPECT_EQ(field(lines[0], "client"), "127.0.0.1");
  EXPECT_EQ(field(lines[0], "time").size(), 24u);  // 2026-12-07T13:45:01.123Z
  EXPECT_EQ(field(lines[1], "requestId"), made);
  EXPECT_EQ(field(lines[1], "query"), "filter&count");  // names, never values
  EXPECT_EQ(number(lines[2], "status"), 404);
  EXPECT_EQ(number(lines[3], "status"), 400);
  std::ifstream whole(access_path);
  std::stringstream text;
  text << whole.rdbuf();
  EXPECT_EQ(text.str().find(token_), std::string::npos) << "the token is in the access log";
  EXPECT_EQ(text.str().find("traced"), std::string::npos) << "a filter value is in the access log";

  // The activity log names the request too.
  HttpClient admin(AdminPort());
  // Ids the server makes are unique across its listeners (the admin one counts apart).
  std::set<std::string> ids = {made, odd.Header("x-request-id"), bad.Header("x-request-id")};
  for (int i = 0; i < 3; ++i) ids.insert(admin.Send("GET", "/healthz").Header("x-request-id"));
  EXPECT_EQ(ids.size(), 6u);
  HttpResult activity = admin.Send("GET", "/admin/v1/tenants/acme/activity", "",
                                   {{"Authorization", std::string("Bearer ") + kAdminToken}});
  ASSERT_EQ(activity.status, 200) << activity.body;
  EXPECT_NE(activity.body.find(R"("requestId":"entra-7f3c-0001")"), std::string::npos)
      << activity.body;
}

// SIGHUP after a log rotation: both logs go to new files at their paths; the log level
// follows the --config file; a file that no longer parses changes nothing.
TEST_F(OpsTest, SighupReopensTheLogsAndReadsTheConfigFileAgain) {
  const std::string config = dir_.path() + "/scimd.toml";
  const std::string access = dir_.path() + "/access.log";
  const std::string server_log = dir_.path() + "/server.log";
  auto write_config = [&](const std::string& level) {
    std::ofstream(config, std::ios::trunc) << "[log]\nlevel = \"" << level << "\"\naccess = \""
                                           << access << "\"\nfile = \"" << server_log << "\"\n";
  };
  write_config("info");
  ScimdProcess server(data_, {"--config", config});
  HttpClient scim(server.port());
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", "Bearer " + token_}, {"X-Request-Id", "before-rotation"}};
  ASSERT_EQ(scim.Send("GET", "/scim/v2/Users", "", auth).status, 200);
  ASSERT_TRUE(WaitForText(access, "before-rotation"));

  // logrotate: the files are moved away, then scimd is told.
  std::filesystem::rename(access, access + ".1");
  std::filesystem::rename(server_log, server_log + ".1");
  write_config("debug");
  ASSERT_EQ(kill(server.pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitForText(server_log, "SIGHUP: settings reloaded")) << ReadAll(server_log + ".1");
  EXPECT_NE(ReadAll(server_log).find("SIGHUP: log level debug (was info)"), std::string::npos)
      << ReadAll(server_log);
  const std::vector<std::pair<std::string, std::string>> after = {
      {"Authorization", "Bearer " + token_}, {"X-Request-Id", "after-rotation"}};
  ASSERT_EQ(scim.Send("GET", "/scim/v2/Users", "", after).status, 200);
  ASSERT_TRUE(WaitForText(access, "after-rotation"));
  EXPECT_EQ(ReadAll(access).find("before-rotation"), std::string::npos);
  EXPECT_EQ(ReadAll(access + ".1").find("after-rotation"), std::string::npos);

  // A file that no longer parses: said in the log, nothing changed, still serving.
  std::ofstream(config, std::ios::trunc) << "[log\nlevel = 3\n";
  ASSERT_EQ(kill(server.pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitForText(server_log, "the settings do not parse")) << ReadAll(server_log);
  EXPECT_EQ(scim.Send("GET", "/scim/v2/Users", "", auth).status, 200);
}

// SIGHUP applies new limits (docs/CONFIG.md, "Reloading"): a body the old limit took is
// refused (413) after it, on a new connection and on one kept open; a limit the file
// lowers to 0 is refused and changes nothing.
TEST_F(OpsTest, SighupAppliesNewLimits) {
  const std::string config = dir_.path() + "/scimd.toml";
  const std::string server_log = dir_.path() + "/server.log";
  auto write_config = [&](const std::string& limits) {
    std::ofstream(config, std::ios::trunc)
        << limits << "\n[log]\nfile = \"" << server_log << "\"\n";
  };
  write_config("max-body-bytes = 100000");
  ScimdProcess server(data_, {"--config", config});
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", "Bearer " + token_}, {"Content-Type", "application/scim+json"}};
  const std::string body =
      R"({"userName":"limits@example.com","title":")" + std::string(4000, 'x') + R"("})";
  HttpClient kept(server.port());
  ASSERT_EQ(kept.Send("POST", "/scim/v2/Users", body, auth).status, 201);

  write_config("max-body-bytes = 2000");
  ASSERT_EQ(kill(server.pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitForText(server_log, "SIGHUP: settings reloaded")) << ReadAll(server_log);
  EXPECT_NE(ReadAll(server_log).find("max-body-bytes 2000"), std::string::npos)
      << ReadAll(server_log);
  HttpClient fresh(server.port());
  EXPECT_EQ(fresh.Send("POST", "/scim/v2/Users", body, auth).status, 413);
  // The connection kept open takes them at its reactor's next sweep (<= 250 ms).
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(kept.Send("POST", "/scim/v2/Users", body, auth).status, 413);

  write_config("max-body-bytes = 0");
  ASSERT_EQ(kill(server.pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitForText(server_log, "a limit of 0 is refused")) << ReadAll(server_log);
  HttpClient third(server.port());
  EXPECT_EQ(third.Send("POST", "/scim/v2/Users", body, auth).status, 413);
  const std::string small = R"({"userName":"small@example.com"})";
  EXPECT_EQ(third.Send("POST", "/scim/v2/Users", small, auth).status, 201);
}

// Behind a trusted proxy (--trusted-proxy) the failed-token limit and the access log see
// the client X-Forwarded-For names; without the flag the header is ignored and every
// client shares the proxy's address.
TEST_F(OpsTest, BehindATrustedProxyLimitsAndLogsSeeTheClient) {
  auto fail_until_429 = [](HttpClient& client, const std::string& forwarded) {
    for (int i = 0; i < 60; ++i) {
      HttpResult r = client.Send("GET", "/scim/v2/Users", "",
                                 {{"Authorization", "Bearer scimd_0000000000000000_wrong"},
                                  {"X-Forwarded-For", forwarded}});
      if (r.status == 429) return i;
      if (r.status != 401) return -1;
    }
    return -1;
  };
  const std::string access = dir_.path() + "/access.log";
  {
    ScimdProcess server(data_, {"--trusted-proxy", "127.0.0.1", "--log-access", access});
    HttpClient proxy(server.port());
    EXPECT_GT(fail_until_429(proxy, "203.0.113.5"), 0);
    // Another client behind the same proxy is not held back.
    HttpResult other = proxy.Send("GET", "/scim/v2/Users", "",
                                  {{"Authorization", "Bearer scimd_0000000000000000_wrong"},
                                   {"X-Forwarded-For", "198.51.100.7, 203.0.113.6"}});
    EXPECT_EQ(other.status, 401);
    HttpResult good = proxy.Send("GET", "/scim/v2/Users", "",
                                 {{"Authorization", "Bearer " + token_},
                                  {"X-Forwarded-For", "203.0.113.6"},
                                  {"X-Request-Id", "via-proxy"}});
    EXPECT_EQ(good.status, 200);
    ASSERT_TRUE(WaitForText(access, "via-proxy"));
    EXPECT_NE(ReadAll(access).find(R"("requestId":"via-proxy","client":"203.0.113.6")"),
              std::string::npos)
        << ReadAll(access);
  }
  // Not trusted: the header is only words; one client's failures hold back the other.
  TempDir other_dir;
  const std::string data2 = other_dir.path() + "/data";
  const std::string token2 = CreateTenantWithToken(data2, "acme");
  ScimdProcess server(data2, {});
  HttpClient client(server.port());
  EXPECT_GT(fail_until_429(client, "203.0.113.5"), 0);
  HttpResult other =
      client.Send("GET", "/scim/v2/Users", "",
                  {{"Authorization", "Bearer " + token2}, {"X-Forwarded-For", "203.0.113.6"}});
  EXPECT_EQ(other.status, 429);
}

}  // namespace
}  // namespace scimd::testing
