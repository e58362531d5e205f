// A fixture with a fresh data directory, one tenant ("acme") and its token, and a running
// scimd on an ephemeral loopback port. Helpers send authenticated SCIM requests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/base/json.h"
#include "tests/integration/harness.h"

namespace scimd::testing {

// Percent-encodes `s` for a URL query (RFC 3986 unreserved characters kept).
inline std::string UrlEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

class ScimServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() + "/data";
    token_ = CreateTenantWithToken(data_, "acme");
    StartServer();
  }
  // Extra scimd flags for a test class (override before SetUp runs).
  virtual std::vector<std::string> ServerArgs() { return {}; }
  void StartServer() {
    server_ = std::make_unique<ScimdProcess>(data_, ServerArgs());
    client_ = std::make_unique<HttpClient>(server_->port());
  }
  void StopServer() {
    client_.reset();
    server_.reset();
  }
  // Sets one setting of tenant "acme" (name=value) with scimctl on the stopped server and
  // starts the server again.
  void SetTenant(const std::string& kv) {
    StopServer();
    CommandResult r = RunCommand({ScimctlBin(), "--data", data_, "tenant", "set", "acme", kv});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    StartServer();
  }

  std::vector<std::pair<std::string, std::string>> Auth(
      std::vector<std::pair<std::string, std::string>> extra = {}) const {
    extra.emplace_back("Authorization", "Bearer " + token_);
    return extra;
  }
  HttpResult Get(const std::string& path, std::vector<std::pair<std::string, std::string>> h = {}) {
    return client_->Send("GET", "/scim/v2" + path, "", Auth(std::move(h)));
  }
  HttpResult Post(const std::string& path, const std::string& body) {
    return client_->Send("POST", "/scim/v2" + path, body, Auth());
  }
  HttpResult Put(const std::string& path, const std::string& body,
                 std::vector<std::pair<std::string, std::string>> h = {}) {
    return client_->Send("PUT", "/scim/v2" + path, body, Auth(std::move(h)));
  }
  HttpResult Delete(const std::string& path,
                    std::vector<std::pair<std::string, std::string>> h = {}) {
    return client_->Send("DELETE", "/scim/v2" + path, "", Auth(std::move(h)));
  }

  static core::Json Parse(const HttpResult& r) {
    auto j = core::Json::Parse(r.body);
    EXPECT_TRUE(j.ok()) << "not JSON: " << r.body;
    return j.ok() ? std::move(j).value() : core::Json::MakeObject();
  }
  static std::string Str(const core::Json& j, const std::string& key) {
    const core::Json* v = j.is_object() ? j.Find(key) : nullptr;
    return v != nullptr && v->is_string() ? v->as_string() : "";
  }
  // The member ids of a group resource, sorted (empty when it has no "members").
  static std::vector<std::string> MemberIds(const core::Json& group) {
    std::vector<std::string> ids;
    if (const core::Json* m = group.Find("members"); m != nullptr && m->is_array()) {
      for (const auto& item : m->as_array()) ids.push_back(Str(item, "value"));
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }
  static int64_t Int(const core::Json& j, const std::string& key) {
    const core::Json* v = j.is_object() ? j.Find(key) : nullptr;
    return v != nullptr && v->is_int() ? v->as_int() : -1;
  }
  // Creates a user and returns its id (asserts 201).
  std::string CreateUser(const std::string& user_name, const std::string& extra = "") {
    HttpResult r = Post("/Users", R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],)"
                                  R"("userName":")" +
                                      user_name + "\"" + extra + "}");
    EXPECT_EQ(r.status, 201) << r.body;
    return Str(Parse(r), "id");
  }
  // Asserts a SCIM error response with `status` and, if given, `scim_type`.
  static void ExpectScimError(const HttpResult& r, int status, const std::string& scim_type = "") {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.Header("content-type"), "application/scim+json") << r.body;
    core::Json j = Parse(r);
    const core::Json* schemas = j.Find("schemas");
    ASSERT_TRUE(schemas != nullptr && schemas->is_array() && !schemas->as_array().empty())
        << r.body;
    EXPECT_EQ(schemas->as_array()[0].as_string(), "urn:ietf:params:scim:api:messages:2.0:Error");
    EXPECT_EQ(Str(j, "status"), std::to_string(status)) << r.body;
    EXPECT_FALSE(Str(j, "detail").empty()) << r.body;
    if (!scim_type.empty()) {
      EXPECT_EQ(Str(j, "scimType"), scim_type) << r.body;
    }
  }

  TempDir dir_;
  std::string data_;
  std::string token_;
  std::unique_ptr<ScimdProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

// A ScimServerTest whose scimd and scimctl read the time from a clock file
// (SCIMD_CLOCK_FILE) that the test moves: time-dependent behaviour without sleeps.
class ClockedServerTest : public ScimServerTest {
 protected:
  static constexpr int64_t kT0 = 1'800'000'000;  // 2027-01-15T08:00:00Z
  static constexpr int64_t kDay = 24 * 3600;

  void SetUp() override {
    clock_file_ = dir_.path() + "/clock";
    SetClock(kT0);
    setenv("SCIMD_CLOCK_FILE", clock_file_.c_str(), 1);
    ScimServerTest::SetUp();
  }
  void TearDown() override { unsetenv("SCIMD_CLOCK_FILE"); }

  // Written to a temporary file renamed into place, so that a reader never sees half of it
  // and sees every change (tools/file_clock.h).
  void SetClock(int64_t seconds) {
    const std::string tmp = clock_file_ + ".tmp";
    std::ofstream(tmp) << seconds << "\n";
    ASSERT_EQ(std::rename(tmp.c_str(), clock_file_.c_str()), 0);
  }
  // scimctl on the (stopped) server's data directory.
  CommandResult Scimctl(std::vector<std::string> args) {
    args.insert(args.begin(), {ScimctlBin(), "--data", data_});
    return RunCommand(args);
  }
  std::string MustScimctl(const std::vector<std::string>& args) {
    CommandResult r = Scimctl(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  // The secret a `token issue` or `token rotate` printed: alone on the last line.
  static std::string LastLine(std::string out) {
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out.substr(out.rfind('\n') + 1);
  }

  std::string clock_file_;
};

}  // namespace scimd::testing
