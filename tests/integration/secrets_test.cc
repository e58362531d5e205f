// Secrets stay secret (issue #20): a canary bearer token and two canary passwords go
// through a real scimd in every way a client might send them, rightly and wrongly, and
// then none of them appears in any answer, in scimd's output, in `scimctl activity`, or
// in any file of the data directory (the WAL and the level-0 files a small test writes are
// not compressed, so a plaintext copy would be found). Tokens are kept as hashes,
// passwords as Argon2id hashes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

constexpr char kPassword[] = "Canary-Pw-7f3a9c-Quokka";
constexpr char kPassword2[] = "Canary-Pw-2b81de-Wombat";

class SecretsTest : public ScimServerTest {
 protected:
  // Every answer, kept to be searched at the end.
  HttpResult Keep(HttpResult r) {
    answers_ += r.body;
    for (const auto& [k, v] : r.headers) answers_ += k + ": " + v + "\n";
    return r;
  }
  std::string answers_;
};

TEST_F(SecretsTest, TokensAndPasswordsAppearNowhere) {
  const std::string canary = token_;
  ASSERT_GE(canary.size(), 20u);
  // Used rightly: a user with a password, the password changed by PATCH and by PUT.
  HttpResult r = Keep(Post("/Users", R"({"userName":"canary@example.com","password":")" +
                                         std::string(kPassword) + R"("})"));
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = Str(Parse(r), "id");
  r = Keep(client_->Send("PATCH", "/scim/v2/Users/" + id,
                         R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
                         R"("Operations":[{"op":"replace","path":"password","value":")" +
                             std::string(kPassword2) + R"("}]})",
                         Auth()));
  EXPECT_LT(r.status, 300) << r.body;
  r = Keep(Put("/Users/" + id, R"({"userName":"canary@example.com","password":")" +
                                   std::string(kPassword) + R"("})"));
  EXPECT_EQ(r.status, 200) << r.body;
  Keep(Get("/Users/" + id));
  Keep(Get("/Users?filter=userName%20eq%20%22canary%40example.com%22"));
  // Used wrongly: the token with a character more, in the query string, in a filter, as a
  // userName; a password in a filter (refused: password is never returned or filtered).
  Keep(client_->Send("GET", "/scim/v2/Users", "", {{"Authorization", "Bearer " + canary + "x"}}));
  Keep(client_->Send("GET", "/scim/v2/Users?access_token=" + canary, "", {}));
  Keep(client_->Send("GET", "/scim/v2/Users", "", {{"Authorization", "Basic " + canary}}));
  Keep(Get("/Users?filter=" + UrlEncode("userName eq \"" + canary + "\"")));
  // A failed request of a known token is in the activity log: with a secret in its query.
  Keep(Get("/Users?filter=" + UrlEncode("userName eq") + "&access_token=" + canary));
  Keep(Get("/Users/" + id + "?access_token=" + canary + "&attributes=" + UrlEncode("(")));
  Keep(Get("/Users?filter=" + UrlEncode("password eq \"" + std::string(kPassword) + "\"")));
  Keep(Post("/Users", R"({"userName":"other@example.com","password":)" + std::string("[\"") +
                          kPassword + R"("]})"));  // wrong type: 400
  Keep(client_->Send("PATCH", "/scim/v2/Users/" + id,
                     R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
                     R"("Operations":[{"op":"replace","path":"password","value":")" +
                         std::string(kPassword2) + R"("}]})",
                     {{"Authorization", "Bearer " + canary + "y"}}));
  for (const std::string& secret : {canary, std::string(kPassword), std::string(kPassword2)}) {
    EXPECT_EQ(answers_.find(secret), std::string::npos) << "an answer holds a secret";
  }

  const std::string output = server_->Output();
  StopServer();
  CommandResult activity =
      RunCommand({ScimctlBin(), "--data", data_, "activity", "acme", "--limit", "1000"});
  ASSERT_EQ(activity.exit_code, 0) << activity.err;
  EXPECT_NE(activity.out.find(id), std::string::npos) << activity.out;  // the log was read
  size_t files = 0, bytes = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(data_)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    const std::string content = s.str();
    ++files;
    bytes += content.size();
    for (const std::string& secret : {canary, std::string(kPassword), std::string(kPassword2)}) {
      EXPECT_EQ(content.find(secret), std::string::npos)
          << e.path() << " holds a secret in plaintext";
    }
  }
  EXPECT_GT(files, 5u);
  // The user is really in the files (so that a search there means something).
  bool found_user = false;
  for (const auto& e : std::filesystem::recursive_directory_iterator(data_)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    found_user = found_user || s.str().find("canary@example.com") != std::string::npos;
  }
  EXPECT_TRUE(found_user) << "the data directory was not searched where the data is";
  for (const std::string& secret : {canary, std::string(kPassword), std::string(kPassword2)}) {
    EXPECT_EQ(output.find(secret), std::string::npos) << "scimd's output holds a secret";
    EXPECT_EQ(activity.out.find(secret), std::string::npos) << "the activity log holds a secret";
  }
  std::cout << "searched " << files << " files (" << bytes << " bytes), " << answers_.size()
            << " bytes of answers, scimd's output and the activity log\n";
}

}  // namespace
}  // namespace scimd::testing
