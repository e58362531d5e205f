// Users over HTTP: create, read, replace, delete, uniqueness, lists, the eq filter.
#include <atomic>
#include <thread>

#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

using core::Json;

class UsersTest : public ScimServerTest {};

TEST_F(UsersTest, CreateReturns201WithLocationMetaAndEtag) {
  HttpResult r = Post("/Users", R"({
    "schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
               "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "userName":"bjensen@example.com","externalId":"ext-1","active":true,
    "name":{"givenName":"Barbara","familyName":"Jensen"},
    "emails":[{"value":"bjensen@example.com","type":"work","primary":true}],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Tour","manager":{"value":"m-1"}}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/scim+json");
  Json j = Parse(r);
  const std::string id = Str(j, "id");
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(r.Header("location"),
            "http://127.0.0.1:" + std::to_string(server_->port()) + "/scim/v2/Users/" + id);
  const Json* meta = j.Find("meta");
  ASSERT_NE(meta, nullptr);
  EXPECT_EQ(Str(*meta, "resourceType"), "User");
  EXPECT_EQ(Str(*meta, "location"), r.Header("location"));
  EXPECT_FALSE(Str(*meta, "created").empty());
  EXPECT_EQ(Str(*meta, "created"), Str(*meta, "lastModified"));
  EXPECT_EQ(Str(*meta, "version"), r.Header("etag"));
  EXPECT_EQ(r.Header("etag").rfind("W/\"", 0), 0u);
  EXPECT_EQ(Str(j, "userName"), "bjensen@example.com");
  EXPECT_EQ(Str(j, "externalId"), "ext-1");
  const Json* ent = j.Find("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
  ASSERT_NE(ent, nullptr);
  EXPECT_EQ(Str(*ent, "department"), "Tour");
  EXPECT_EQ(Str(*ent->Find("manager"), "value"), "m-1");

  HttpResult g = Get("/Users/" + id);
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(g.body, r.body);  // what was acknowledged is what is stored
  EXPECT_EQ(g.Header("etag"), r.Header("etag"));
}

TEST_F(UsersTest, AttributeNamesAreCaseInsensitiveAndOutputIsCanonical) {
  HttpResult r = Post("/Users", R"({"USERNAME":"x1","Name":{"GivenName":"A"},
                                    "Emails":[{"Value":"a@x.com","Primary":true}]})");
  ASSERT_EQ(r.status, 201) << r.body;
  Json j = Parse(r);
  EXPECT_EQ(Str(j, "userName"), "x1");
  ASSERT_NE(j.Find("name"), nullptr);
  EXPECT_EQ(Str(*j.Find("name"), "givenName"), "A");
  ASSERT_NE(j.Find("emails"), nullptr);
  EXPECT_EQ(Str(j.Find("emails")->as_array()[0], "value"), "a@x.com");
}

TEST_F(UsersTest, OktaPasswordAndGroupsAreAcceptedAndPasswordNeverReturned) {
  HttpResult r = Post("/Users", R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName":"okta.user@example.com","password":"S3cret!pw","groups":[],
    "name":{"givenName":"O","familyName":"K"},"active":true})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body.find("S3cret"), std::string::npos);
  EXPECT_EQ(r.body.find("password"), std::string::npos);
  HttpResult g = Get("/Users/" + Str(Parse(r), "id"));
  EXPECT_EQ(g.body.find("S3cret"), std::string::npos);
}

TEST_F(UsersTest, DuplicateUserNameIs409CaseInsensitively) {
  CreateUser("Alice@Example.com");
  HttpResult r = Post("/Users", R"({"userName":"alice@example.COM"})");
  ExpectScimError(r, 409, "uniqueness");
  EXPECT_NE(Parse(r).Find("detail")->as_string().find("userName"), std::string::npos);
}

TEST_F(UsersTest, ConcurrentCreatesOfOneUserNameGiveExactlyOne201) {
  for (int round = 0; round < 10; ++round) {
    constexpr int kClients = 8;
    std::atomic<int> created{0}, conflicts{0}, other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kClients; ++i) {
      threads.emplace_back([&, i] {
        HttpClient c(server_->port());
        HttpResult r = c.Send(
            "POST", "/scim/v2/Users",
            R"({"userName":"race-)" + std::to_string(round) + (i % 2 ? "" : "") + R"("})", Auth());
        if (r.status == 201)
          ++created;
        else if (r.status == 409)
          ++conflicts;
        else
          ++other;
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(created.load(), 1) << "round " << round;
    EXPECT_EQ(conflicts.load(), kClients - 1) << "round " << round;
    EXPECT_EQ(other.load(), 0);
  }
  Json list = Parse(Get("/Users?count=0"));
  EXPECT_EQ(Int(list, "totalResults"), 10);
}

TEST_F(UsersTest, ReplaceChangesAttributesBumpsVersionAndFreesOldUserName) {
  const std::string id = CreateUser("before", R"(,"displayName":"Old","title":"T")");
  HttpResult before = Get("/Users/" + id);
  HttpResult r = Put("/Users/" + id, R"({"userName":"after","displayName":"New"})");
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = Parse(r);
  EXPECT_EQ(Str(j, "userName"), "after");
  EXPECT_EQ(Str(j, "displayName"), "New");
  EXPECT_EQ(j.Find("title"), nullptr);  // PUT replaces: absent attributes are cleared
  EXPECT_NE(r.Header("etag"), before.Header("etag"));
  EXPECT_EQ(Str(*j.Find("meta"), "created"), Str(*Parse(before).Find("meta"), "created"));
  // The old userName is free again, the new one is taken.
  EXPECT_EQ(Post("/Users", R"({"userName":"before"})").status, 201);
  ExpectScimError(Post("/Users", R"({"userName":"AFTER"})"), 409, "uniqueness");
  // Filters see the change.
  EXPECT_EQ(Int(Parse(Get("/Users?filter=userName%20eq%20%22after%22")), "totalResults"), 1);
  EXPECT_EQ(Int(Parse(Get("/Users?filter=displayName%20eq%20%22Old%22")), "totalResults"), 0);
  EXPECT_EQ(Int(Parse(Get("/Users?filter=displayName%20eq%20%22new%22")), "totalResults"), 1);
}

TEST_F(UsersTest, PutOfIdenticalResourceKeepsVersion) {
  const std::string id = CreateUser("same", R"(,"displayName":"D")");
  HttpResult a = Put("/Users/" + id, R"({"userName":"same","displayName":"D"})");
  ASSERT_EQ(a.status, 200);
  HttpResult b = Put("/Users/" + id, R"({"userName":"same","displayName":"D"})");
  EXPECT_EQ(a.Header("etag"), b.Header("etag"));
}

TEST_F(UsersTest, PutToTakenUserNameIs409AndLeavesResourceUntouched) {
  CreateUser("taken");
  const std::string id = CreateUser("mine", R"(,"displayName":"Mine")");
  ExpectScimError(Put("/Users/" + id, R"({"userName":"Taken","displayName":"X"})"), 409,
                  "uniqueness");
  Json j = Parse(Get("/Users/" + id));
  EXPECT_EQ(Str(j, "userName"), "mine");
  EXPECT_EQ(Str(j, "displayName"), "Mine");
}

TEST_F(UsersTest, DeleteThen404AndUserNameReusable) {
  const std::string id = CreateUser("gone");
  EXPECT_EQ(Delete("/Users/" + id).status, 204);
  ExpectScimError(Get("/Users/" + id), 404);
  ExpectScimError(Delete("/Users/" + id), 404);
  ExpectScimError(Put("/Users/" + id, R"({"userName":"gone"})"), 404);
  EXPECT_EQ(Int(Parse(Get("/Users?filter=userName%20eq%20%22gone%22")), "totalResults"), 0);
  CreateUser("gone");
}

TEST_F(UsersTest, UnknownOrMalformedIdsAre404) {
  ExpectScimError(Get("/Users/not-a-uuid"), 404);
  ExpectScimError(Get("/Users/0190a3f1-0000-7000-8000-000000000000"), 404);
  ExpectScimError(Delete("/Users/xyz"), 404);
}

TEST_F(UsersTest, EtagPreconditions) {
  const std::string id = CreateUser("etag");
  HttpResult g = Get("/Users/" + id);
  const std::string etag = g.Header("etag");
  HttpResult not_modified = Get("/Users/" + id, {{"If-None-Match", etag}});
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_TRUE(not_modified.body.empty());
  EXPECT_EQ(Get("/Users/" + id, {{"If-None-Match", "W/\"999\""}}).status, 200);
  ExpectScimError(Put("/Users/" + id, R"({"userName":"etag2"})", {{"If-Match", "W/\"999\""}}), 412);
  EXPECT_EQ(Put("/Users/" + id, R"({"userName":"etag2"})", {{"If-Match", etag}}).status, 200);
  ExpectScimError(Delete("/Users/" + id, {{"If-Match", etag}}), 412);  // version moved on
  EXPECT_EQ(Delete("/Users/" + id, {{"If-Match", "*"}}).status, 204);
}

TEST_F(UsersTest, ListPagingTotalsAndCountZero) {
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(CreateUser("page" + std::to_string(i)));
  Json all = Parse(Get("/Users"));
  EXPECT_EQ(Int(all, "totalResults"), 7);
  EXPECT_EQ(Int(all, "startIndex"), 1);
  EXPECT_EQ(Int(all, "itemsPerPage"), 7);
  ASSERT_EQ(all.Find("Resources")->as_array().size(), 7u);
  EXPECT_EQ(all.Find("schemas")->as_array()[0].as_string(),
            "urn:ietf:params:scim:api:messages:2.0:ListResponse");

  // Pages of 3 cover every user exactly once, in a stable order.
  std::vector<std::string> seen;
  for (int start = 1; start <= 7; start += 3) {
    Json page = Parse(Get("/Users?startIndex=" + std::to_string(start) + "&count=3"));
    EXPECT_EQ(Int(page, "totalResults"), 7);
    EXPECT_EQ(Int(page, "startIndex"), start);
    for (const auto& u : page.Find("Resources")->as_array()) seen.push_back(Str(u, "id"));
  }
  EXPECT_EQ(seen.size(), 7u);
  std::vector<std::string> sorted_seen = seen, sorted_ids = ids;
  std::sort(sorted_seen.begin(), sorted_seen.end());
  std::sort(sorted_ids.begin(), sorted_ids.end());
  EXPECT_EQ(sorted_seen, sorted_ids);
  EXPECT_EQ(seen, ids);  // ids are time-ordered: list order is creation order

  Json zero = Parse(Get("/Users?count=0"));
  EXPECT_EQ(Int(zero, "totalResults"), 7);
  EXPECT_EQ(Int(zero, "itemsPerPage"), 0);
  EXPECT_TRUE(zero.Find("Resources")->as_array().empty());

  Json beyond = Parse(Get("/Users?startIndex=100"));
  EXPECT_EQ(Int(beyond, "totalResults"), 7);
  EXPECT_TRUE(beyond.Find("Resources")->as_array().empty());

  Json low = Parse(Get("/Users?startIndex=0&count=-5"));  // treated as 1 and 0
  EXPECT_EQ(Int(low, "startIndex"), 1);
  EXPECT_EQ(Int(low, "itemsPerPage"), 0);

  ExpectScimError(Get("/Users?count=abc"), 400, "invalidValue");
  ExpectScimError(Get("/Users?startIndex=1x"), 400, "invalidValue");
}

TEST_F(UsersTest, EqFilterOnIndexedAttributes) {
  const std::string a =
      CreateUser("Okta.User@Example.com", R"(,"externalId":"EXT-a","displayName":"Ann Lee")");
  CreateUser("other@example.com", R"(,"externalId":"ext-A","displayName":"Bob")");
  auto total = [&](const std::string& filter) {
    return Int(Parse(Get("/Users?filter=" + filter)), "totalResults");
  };
  // userName is caseExact=false: Okta may send it upper-case.
  EXPECT_EQ(total("userName%20eq%20%22OKTA.USER@EXAMPLE.COM%22"), 1);
  EXPECT_EQ(total("userName+eq+%22okta.user@example.com%22&startIndex=1&count=100"), 1);
  // externalId is caseExact=true.
  EXPECT_EQ(total("externalId%20eq%20%22EXT-a%22"), 1);
  EXPECT_EQ(total("externalId%20eq%20%22ext-a%22"), 0);
  EXPECT_EQ(total("DisplayName+eq+%22ann%20lee%22"), 1);
  EXPECT_EQ(total("id%20eq%20%22" + a + "%22"), 1);
  EXPECT_EQ(
      total("urn:ietf:params:scim:schemas:core:2.0:User:userName%20eq%20%22other@example.com%22"),
      1);
  Json one = Parse(Get("/Users?filter=userName%20eq%20%22Okta.User@Example.com%22"));
  ASSERT_EQ(one.Find("Resources")->as_array().size(), 1u);
  EXPECT_EQ(Str(one.Find("Resources")->as_array()[0], "id"), a);
}

TEST_F(UsersTest, EntraTestConnectionFilterGivesEmptyList) {
  HttpResult r = Get("/Users?filter=userName+eq+%22e6a7f9c2-3c1b-4a9e-8a55-1f7d8e2b9c01%22");
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = Parse(r);
  EXPECT_EQ(Int(j, "totalResults"), 0);
  ASSERT_NE(j.Find("Resources"), nullptr);
  EXPECT_TRUE(j.Find("Resources")->as_array().empty());
}

TEST_F(UsersTest, BadFiltersAreInvalidFilterNeverWrongResults) {
  CreateUser("f1");
  for (const char* f :
       {"userName%20eq", "%22unterminated", "nosuchattr%20eq%20%22x%22",
        "userName%20eq%20%22unterminated", "active%20gt%20true", "(userName%20eq%20%22a%22",
        "userName%20zz%20%22a%22", "emails%5Btype%20eq%20%22work%22", "name.nosuch%20pr",
        "userName%20eq%20%22a%22%20and", "meta.created%20gt%20%22yesterday%22"}) {
    HttpResult r = Get(std::string("/Users?filter=") + f);
    ExpectScimError(r, 400, "invalidFilter");
  }
}

TEST_F(UsersTest, FullFilterLanguageOverHttp) {
  const std::string a =
      CreateUser("Alice.Smith@example.com", R"(,"displayName":"Alice","active":true,
      "name":{"familyName":"Smith","givenName":"Alice"},"title":"Engineer",
      "emails":[{"value":"alice@example.com","type":"work"},{"value":"al@home.org","type":"home"}])");
  const std::string b = CreateUser("bob@example.org", R"(,"displayName":"Bob","active":false,
      "name":{"familyName":"Jones"},"emails":[{"value":"bob@example.org","type":"work"}])");
  const std::string c =
      CreateUser("carol@example.com", R"(,"active":true,"name":{"familyName":"Smithers"})");
  auto ids = [&](const std::string& filter) {
    HttpResult r = Get("/Users?filter=" + filter);
    EXPECT_EQ(r.status, 200) << filter << " " << r.body;
    Json j = Parse(r);
    std::vector<std::string> out;
    const Json* resources = j.Find("Resources");
    if (resources == nullptr) return out;
    for (const auto& r : resources->as_array()) out.push_back(Str(r, "id"));
    std::sort(out.begin(), out.end());
    EXPECT_EQ(Int(j, "totalResults"), static_cast<int64_t>(out.size()));
    return out;
  };
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(ids("userName%20sw%20%22ALICE%22"), sorted({a}));
  EXPECT_EQ(ids("userName%20ew%20%22example.com%22"), sorted({a, c}));
  EXPECT_EQ(ids("emails.value%20co%20%22example%22"), sorted({a, b}));
  EXPECT_EQ(ids("name.familyName%20sw%20%22smith%22"), sorted({a, c}));
  EXPECT_EQ(ids("active%20eq%20false"), sorted({b}));
  EXPECT_EQ(ids("title%20pr"), sorted({a}));
  EXPECT_EQ(ids("not%20(title%20pr)"), sorted({b, c}));
  EXPECT_EQ(ids("active%20eq%20true%20and%20name.familyName%20eq%20%22smithers%22"), sorted({c}));
  EXPECT_EQ(ids("displayName%20eq%20%22bob%22%20or%20displayName%20eq%20%22alice%22"),
            sorted({a, b}));
  EXPECT_EQ(ids("emails%5Btype%20eq%20%22work%22%20and%20value%20co%20%22example.org%22%5D"),
            sorted({b}));
  // Entra's matching form.
  EXPECT_EQ(ids("emails%5Btype%20eq%20%22work%22%5D.value%20eq%20%22alice@example.com%22"),
            sorted({a}));
  EXPECT_EQ(ids("meta.lastModified%20lt%20%222015-01-01T00:00:00Z%22"), std::vector<std::string>{});
  // Core attributes under the core schema's URN.
  EXPECT_EQ(ids("urn:ietf:params:scim:schemas:core:2.0:User:id%20eq%20%22" + b + "%22"),
            sorted({b}));
  EXPECT_EQ(ids("urn:ietf:params:scim:schemas:core:2.0:User:meta.lastModified%20gt%20%22"
                "2015-01-01T00:00:00Z%22"),
            sorted({a, b, c}));
  // Values without double quotes break the grammar: refused by default (issue #17), and
  // so are single quotes and an empty filter.
  ExpectScimError(Get("/Users?filter=meta.created%20gt%202015-10-10T14:38:21.8617979-07:00"), 400,
                  "invalidFilter");
  ExpectScimError(Get("/Users?filter=userName%20eq%20%27bob@example.org%27"), 400, "invalidFilter");
  ExpectScimError(Get("/Users?filter="), 400, "invalidFilter");
  // Microsoft's reference client sends unquoted values: its profile accepts them.
  SetTenant("profile=entra");
  EXPECT_EQ(ids("meta.created%20gt%202015-10-10T14:38:21.8617979-07:00"), sorted({a, b, c}));
  EXPECT_EQ(ids("name.familyName%20eq%20Jones%20and%20(emails.value%20co%20example.com%20or%"
                "20emails.value%20co%20example.org)"),
            sorted({b}));
}

TEST_F(UsersTest, SortByAndSortOrder) {
  CreateUser("b-user", R"(,"name":{"familyName":"beta"})");
  CreateUser("A-user", R"(,"name":{"familyName":"Alpha"})");
  CreateUser("c-user");
  auto names = [&](const std::string& query) {
    Json j = Parse(Get("/Users?" + query));
    std::vector<std::string> out;
    for (const auto& r : j.Find("Resources")->as_array()) out.push_back(Str(r, "userName"));
    return out;
  };
  EXPECT_EQ(names("sortBy=userName"), (std::vector<std::string>{"A-user", "b-user", "c-user"}));
  EXPECT_EQ(names("sortBy=userName&sortOrder=descending"),
            (std::vector<std::string>{"c-user", "b-user", "A-user"}));
  // caseExact=false: "Alpha" < "beta"; a user without the attribute sorts last.
  EXPECT_EQ(names("sortBy=name.familyName"),
            (std::vector<std::string>{"A-user", "b-user", "c-user"}));
  EXPECT_EQ(names("sortBy=name.familyName&sortOrder=descending"),
            (std::vector<std::string>{"b-user", "A-user", "c-user"}));
  EXPECT_EQ(names("sortBy=userName&startIndex=2&count=1"), (std::vector<std::string>{"b-user"}));
  EXPECT_EQ(names("sortBy=meta.created&filter=userName%20ew%20%22user%22"),
            (std::vector<std::string>{"b-user", "A-user", "c-user"}));
  ExpectScimError(Get("/Users?sortBy=nosuch"), 400, "invalidValue");
  ExpectScimError(Get("/Users?sortBy=userName&sortOrder=sideways"), 400, "invalidValue");
}

TEST_F(UsersTest, PostSearchOnUsersGroupsAndRoot) {
  const std::string u = CreateUser("searcher", R"(,"displayName":"Finder")");
  ASSERT_EQ(Post("/Groups", R"({"displayName":"Finders"})").status, 201);
  const std::string body = R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
      "attributes":["displayName"],"filter":"displayName sw \"Find\"","startIndex":1,"count":10})";
  HttpResult users_r = Post("/Users/.search", body);
  ASSERT_EQ(users_r.status, 200) << users_r.body;
  Json users = Parse(users_r);
  ASSERT_EQ(Int(users, "totalResults"), 1);
  const Json& only = users.Find("Resources")->as_array()[0];
  EXPECT_EQ(Str(only, "id"), u);
  EXPECT_EQ(Str(only, "displayName"), "Finder");
  EXPECT_EQ(only.Find("userName"), nullptr);  // attributes honoured
  EXPECT_EQ(Int(Parse(Post("/Groups/.search", body)), "totalResults"), 1);
  Json root = Parse(client_->Send("POST", "/scim/v2/.search", body, Auth()));
  EXPECT_EQ(Int(root, "totalResults"), 2);
  // A filter on an attribute only Users have matches no Group at the root.
  Json by_user_name = Parse(client_->Send(
      "POST", "/scim/v2/.search",
      R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName eq \"searcher\""})",
      Auth()));
  EXPECT_EQ(Int(by_user_name, "totalResults"), 1);
  // Sorted across types.
  Json sorted_root = Parse(client_->Send(
      "POST", "/scim/v2/.search",
      R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"sortBy":"displayName","sortOrder":"descending"})",
      Auth()));
  ASSERT_EQ(Int(sorted_root, "totalResults"), 2);
  EXPECT_EQ(Str(sorted_root.Find("Resources")->as_array()[0], "displayName"), "Finders");
  ExpectScimError(Post("/Users/.search", R"({"schemas":["urn:nope"]})"), 400, "invalidSyntax");
  ExpectScimError(Post("/Users/.search", R"({"filter":"userName zz 1"})"), 400, "invalidFilter");
  ExpectScimError(Post("/Users/.search", R"({"count":"many"})"), 400, "invalidValue");
  ExpectScimError(client_->Send("GET", "/scim/v2/Users/.search", "", Auth()), 405);
}

TEST_F(UsersTest, AttributesAndExcludedAttributesProjection) {
  const std::string id = CreateUser(
      "proj",
      R"(,"displayName":"P","name":{"givenName":"G","familyName":"F"},"emails":[{"value":"p@x.com","type":"work"}])");
  Json only = Parse(Get("/Users/" + id + "?attributes=userName,name.givenName"));
  EXPECT_EQ(Str(only, "id"), id);  // returned: always
  EXPECT_EQ(Str(only, "userName"), "proj");
  EXPECT_EQ(only.Find("displayName"), nullptr);
  EXPECT_EQ(only.Find("emails"), nullptr);
  ASSERT_NE(only.Find("name"), nullptr);
  EXPECT_EQ(Str(*only.Find("name"), "givenName"), "G");
  EXPECT_EQ(only.Find("name")->Find("familyName"), nullptr);

  Json excl = Parse(Get("/Users/" + id + "?excludedAttributes=emails,meta"));
  EXPECT_EQ(excl.Find("emails"), nullptr);
  EXPECT_EQ(excl.Find("meta"), nullptr);
  EXPECT_EQ(Str(excl, "displayName"), "P");
  EXPECT_EQ(Str(excl, "id"), id);

  Json list = Parse(Get("/Users?attributes=userName,emails"));
  const auto& r0 = list.Find("Resources")->as_array()[0];
  EXPECT_EQ(Str(r0, "userName"), "proj");
  EXPECT_NE(r0.Find("emails"), nullptr);
  EXPECT_EQ(r0.Find("displayName"), nullptr);
}

TEST_F(UsersTest, AttributesWithAnElementFilter) {
  // Microsoft's clients ask for some elements of a multi-valued attribute.
  const std::string id = CreateUser("elements", R"(,"emails":[{"value":"w@x.com","type":"work"},
      {"value":"h@x.com","type":"home"}],"displayName":"E")");
  Json j = Parse(Get("/Users/" + id + "?attributes=emails%5Btype+eq+%22work%22%5D"));
  ASSERT_NE(j.Find("emails"), nullptr);
  ASSERT_EQ(j.Find("emails")->as_array().size(), 1u);
  EXPECT_EQ(Str(j.Find("emails")->as_array()[0], "value"), "w@x.com");
  EXPECT_EQ(j.Find("displayName"), nullptr);
  Json list = Parse(Get("/Users?attributes=emails%5Bvalue+eq+%22h@x.com%22%5D,displayName"));
  const Json& r0 = list.Find("Resources")->as_array()[0];
  EXPECT_EQ(r0.Find("emails")->as_array().size(), 1u);
  EXPECT_EQ(Str(r0, "displayName"), "E");
  Json excl = Parse(Get("/Users/" + id + "?excludedAttributes=emails%5Btype+eq+%22work%22%5D"));
  ASSERT_EQ(excl.Find("emails")->as_array().size(), 1u);
  EXPECT_EQ(Str(excl.Find("emails")->as_array()[0], "type"), "home");
  EXPECT_EQ(Str(excl, "displayName"), "E");
  ExpectScimError(Get("/Users/" + id + "?attributes=emails%5Bcolour+eq+%22x%22%5D"), 400,
                  "invalidFilter");
}

TEST_F(UsersTest, BadInputGetsClearScimErrors) {
  ExpectScimError(Post("/Users", "{not json"), 400, "invalidSyntax");
  ExpectScimError(Post("/Users", ""), 400, "invalidSyntax");
  ExpectScimError(Post("/Users", "[1,2]"), 400, "invalidSyntax");
  ExpectScimError(Post("/Users", R"({"userName":"a","userName":"b"})"), 400, "invalidSyntax");
  ExpectScimError(Post("/Users", R"({"userName":"a","USERNAME":"b"})"), 400, "invalidSyntax");
  ExpectScimError(Post("/Users", R"({"displayName":"no user name"})"), 400, "invalidValue");
  ExpectScimError(Post("/Users", R"({"userName":123})"), 400, "invalidValue");
  ExpectScimError(Post("/Users", R"({"userName":"t1","active":"maybe"})"), 400, "invalidValue");
  ExpectScimError(Post("/Users", R"({"userName":"t2","emails":5})"), 400, "invalidValue");
  ExpectScimError(Post("/Users", R"({"userName":"t3","name":"flat"})"), 400, "invalidValue");
  ExpectScimError(Post("/Users", R"({"userName":"t4","name":{"givenName":7}})"), 400,
                  "invalidValue");
  ExpectScimError(Post("/Users", R"({"userName":"t5","adreses":[]})"), 400, "invalidSyntax");
  ExpectScimError(Post("/Users", R"({"userName":"t6","name":{"nickname":"x"}})"), 400,
                  "invalidSyntax");
  ExpectScimError(Post("/Users", R"({"userName":")" + std::string(5000, 'x') + "\"}"), 400,
                  "invalidValue");
  std::string deep = R"({"userName":"deep","name":)";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  deep += "}";
  ExpectScimError(Post("/Users", deep), 400, "invalidSyntax");
  ExpectScimError(Post("/Users", "{\"userName\":\"\xff\xfe\"}"), 400, "invalidSyntax");
  // Nothing of the above was stored.
  EXPECT_EQ(Int(Parse(Get("/Users?count=0")), "totalResults"), 0);
}

TEST_F(UsersTest, StringBooleansAndUnknownSchemaUrisAreAccepted) {
  HttpResult r = Post("/Users", R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
      "urn:example:custom:1.0"],"userName":"lenient","active":"False",
      "urn:example:custom:1.0":{"anything":1}})");
  ASSERT_EQ(r.status, 201) << r.body;
  Json j = Parse(r);
  ASSERT_NE(j.Find("active"), nullptr);
  EXPECT_FALSE(j.Find("active")->as_bool());
  EXPECT_EQ(r.body.find("urn:example:custom"), std::string::npos);
}

TEST_F(UsersTest, OnlyOnePrimaryPerMultiValuedAttribute) {
  HttpResult r = Post("/Users", R"({"userName":"prim","emails":[
      {"value":"a@x.com","primary":true},{"value":"b@x.com","primary":true}]})");
  ASSERT_EQ(r.status, 201);
  Json j = Parse(r);
  const auto& emails = j.Find("emails")->as_array();
  ASSERT_EQ(emails.size(), 2u);
  EXPECT_FALSE(emails[0].Find("primary")->as_bool());
  EXPECT_TRUE(emails[1].Find("primary")->as_bool());
}

}  // namespace
}  // namespace scimd::testing
