// JSONTestSuite's parsing files (tests/conformance/json_test_suite/) sent as request bodies
// to a real scimd (issue #20): no file gets a 5xx or stops the server; every must-reject
// file (n_*) is a 400 invalidSyntax; keys that repeat, also when they differ only in case,
// and invalid UTF-8 are refused the same way.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

// SCIMD_SOURCE_DIR when set, else found from this file's own path (ctest's discovered
// tests get only the first variable of their ENVIRONMENT property).
std::string SuiteDir() {
  if (const char* src = std::getenv("SCIMD_SOURCE_DIR"); src != nullptr && *src != '\0') {
    return std::string(src) + "/tests/conformance/json_test_suite";
  }
  return (std::filesystem::path(__FILE__).parent_path().parent_path() / "conformance" /
          "json_test_suite")
      .string();
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class JsonSuiteTest : public ScimServerTest {
 protected:
  // Hundreds of malformed bodies from one address in a second is what the limit on
  // refused input stops (429 after 200): off here, so that every file is parsed;
  // RefusedInputLimitTest below has it on.
  std::vector<std::string> ServerArgs() override { return {"--refused-input-per-second", "0"}; }
  // A 400 whose SCIM error says invalidSyntax, checked without failing (for counting).
  static bool InvalidSyntax(const HttpResult& r) {
    if (r.status != 400) return false;
    auto j = core::Json::Parse(r.body);
    return j.ok() && j->is_object() && Str(*j, "scimType") == "invalidSyntax";
  }
};

TEST_F(JsonSuiteTest, NoFileGetsA5xxAndEveryMustRejectFileIs400InvalidSyntax) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(SuiteDir())) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 318u) << SuiteDir();
  const std::string user = CreateUser("target@example.com");
  int must_reject = 0, rejected = 0, others = 0;
  for (const auto& path : files) {
    const std::string name = path.filename().string();
    const std::string body = ReadFile(path);
    // A create, and a PATCH of an existing user: the two bodies clients send most.
    for (const HttpResult& r :
         {Post("/Users", body), client_->Send("PATCH", "/scim/v2/Users/" + user, body, Auth())}) {
      EXPECT_LT(r.status, 500) << name << ": " << r.body;
      EXPECT_GE(r.status, 200) << name;
      if (name[0] == 'n') {
        ++must_reject;
        if (InvalidSyntax(r)) {
          ++rejected;
        } else {
          ADD_FAILURE() << name << " (must be rejected) got " << r.status << ": " << r.body;
        }
      } else {
        ++others;
      }
    }
  }
  EXPECT_EQ(rejected, must_reject);
  std::cout << "JSONTestSuite: " << files.size() << " files, " << must_reject / 2
            << " must-reject files answered 400 invalidSyntax to both requests, " << others / 2
            << " others without a 5xx\n";
  // The server is still there and still right.
  EXPECT_EQ(Get("/Users/" + user).status, 200);
}

TEST_F(JsonSuiteTest, RepeatedKeysAreRefusedAlsoWhenOnlyTheirCaseDiffers) {
  for (const char* body : {
           R"({"userName":"a@x.com","userName":"b@x.com"})",
           R"({"userName":"a@x.com","USERNAME":"b@x.com"})",
           R"({"userName":"a@x.com","name":{"givenName":"A","GivenName":"B"}})",
           R"({"userName":"a@x.com","emails":[{"value":"a@x.com","Value":"b@x.com"}]})",
       }) {
    SCOPED_TRACE(body);
    ExpectScimError(Post("/Users", body), 400, "invalidSyntax");
  }
  EXPECT_EQ(Parse(Get("/Users?count=0")).Find("totalResults")->as_int(), 0);
}

TEST_F(JsonSuiteTest, InvalidUtf8IsRefused) {
  for (const std::string& body : {
           std::string("{\"userName\":\"a\xff@x.com\"}"),
           std::string("{\"userName\":\"\xc3\x28@x.com\"}"),      // a broken two-byte form
           std::string("{\"userName\":\"\xed\xa0\x80@x.com\"}"),  // a UTF-16 surrogate
           std::string("{\"userName\":\"\xc0\xaf@x.com\"}"),      // an overlong form
       }) {
    ExpectScimError(Post("/Users", body), 400, "invalidSyntax");
  }
  EXPECT_EQ(Parse(Get("/Users?count=0")).Find("totalResults")->as_int(), 0);
}

// The limit on refused input, on by default: a client that keeps sending malformed JSON is
// answered 429 with Retry-After after the burst (and its later connections are closed
// unread while it waits), a client from another address goes on being served.
class RefusedInputLimitTest : public ScimServerTest {};

TEST_F(RefusedInputLimitTest, MalformedBodiesPastTheBurstGet429AndOtherAddressesAreServed) {
  int refused = 0, limited = 0;
  std::string retry_after;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 260 && limited == 0; ++i) {
    HttpResult r = Post("/Users", "{\"userName\": [[[[");
    if (r.status == 400) ++refused;
    if (r.status == 429) {
      ++limited;
      retry_after = r.Header("retry-after");
      EXPECT_NE(r.body.find("too many malformed"), std::string::npos) << r.body;
    }
  }
  // The burst (net/limits.h kDefaultRefusedInputBurst), plus what 20/s refilled meanwhile.
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(refused, 200);
  EXPECT_LE(refused, 200 + static_cast<int>(20 * seconds) + 1);
  EXPECT_EQ(limited, 1);
  EXPECT_FALSE(retry_after.empty());
  // A good request from the same address waits too: its next connection is closed at
  // accept, and the kernel drops the ones after it until the wait is over
  // (net::AddressFilter; TCP sends the SYN again after 1 s), so this client, which
  // reconnects once, is served only then. From another address it is served at once.
  const auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(Get("/Users?count=1").status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - asked, std::chrono::milliseconds(900));
  HttpClient other(server_->port(), "127.0.0.2");
  HttpResult r = other.Send("GET", "/scim/v2/Users?count=1", "", Auth());
  EXPECT_EQ(r.status, 200) << r.body;
}

}  // namespace
}  // namespace scimd::testing
