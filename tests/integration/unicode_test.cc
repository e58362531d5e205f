// Unicode case folding of caseExact=false values through a real scimd and its RocksDB index
// (issue #20): userNames differing in the case of non-ASCII letters (or in composition)
// collide on uniqueness, and filters served from the index and from the residual find them
// whatever the case the client writes.
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

class UnicodeTest : public ScimServerTest {
 protected:
  int64_t Count(const std::string& filter) {
    HttpResult r = Get("/Users?filter=" + UrlEncode(filter));
    EXPECT_EQ(r.status, 200) << filter << ": " << r.body;
    return Int(Parse(r), "totalResults");
  }
};

TEST_F(UnicodeTest, CaseOfNonAsciiLettersFoldsForUniquenessAndFilters) {
  const std::string id = CreateUser("ÄLICE@x.example", R"(,"title":"Über","emails":[)"
                                                       R"({"value":"Ärger@Straße.example"}])");
  // The same userName in other cases and another composition: 409 uniqueness.
  for (const std::string other : {"älice@x.example", "Älice@X.example", "A\u0308lice@x.example"}) {
    SCOPED_TRACE(other);
    ExpectScimError(Post("/Users", R"({"userName":")" + other + "\"}"), 409, "uniqueness");
  }
  // A different name is not caught: "alice" has no umlaut.
  CreateUser("alice@x.example");
  EXPECT_EQ(Count(R"(userName eq "älice@x.example")"), 1);
  EXPECT_EQ(Count(R"(userName eq "ÄLICE@X.EXAMPLE")"), 1);
  EXPECT_EQ(Count(R"(userName sw "äl")"), 1);
  EXPECT_EQ(Count(R"(userName sw "al")"), 1);                         // only "alice"
  EXPECT_EQ(Count(R"(emails.value eq "ärger@strasse.example")"), 1);  // ß folds to ss
  EXPECT_EQ(Count(R"(emails.value co "STRASSE")"), 1);
  // title is not indexed: checked on the resource (the residual), folded the same way.
  EXPECT_EQ(Count(R"(title eq "ÜBER")"), 1);
  EXPECT_EQ(Count(R"(title eq "uber")"), 0);
  HttpResult r = Get("/Users?filter=" + UrlEncode(R"(userName eq "älice@x.example")"));
  EXPECT_EQ(Str(Parse(r).Find("Resources")->as_array()[0], "id"), id);
  // The stored value keeps the client's own spelling.
  EXPECT_EQ(Str(Parse(Get("/Users/" + id)), "userName"), "ÄLICE@x.example");
}

}  // namespace
}  // namespace scimd::testing
