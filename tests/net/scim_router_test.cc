// The SCIM router without a socket: requests go straight into ScimRouter::Handle over the
// in-memory store. Target parsing, the dispatch table (405 and Allow), authentication and
// rate limits through core::Gate, which requests are deferred to a blocking thread, and a
// write that loses a lock race on the reactor being re-run off it.
#include "net/scim_router.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/base/json.h"
#include "core/tenancy/auth.h"
#include "core/tenancy/rate_limiter.h"
#include "storage/mem_store.h"

namespace scimd::net {
namespace {

using core::Json;

class ScimRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(core::InitCrypto().ok());
    auto tenant = store_.CreateTenant("acme");
    ASSERT_TRUE(tenant.ok());
    tenant_ = tenant->id;
    core::IssuedToken issued = core::MakeToken(tenant_);
    ASSERT_TRUE(store_.PutToken(issued.record).ok());
    token_ = issued.token;
    Reset({});
  }
  void Reset(ScimRouter::Options options) {
    router_ = std::make_unique<ScimRouter>(store_, std::move(options));
  }

  HttpRequest Request(std::string method, std::string target, std::string body = "",
                      bool auth = true) {
    HttpRequest r;
    r.method = std::move(method);
    r.target = target;
    const size_t q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.body = std::move(body);
    r.headers.emplace_back("host", "scim.example");
    if (auth) r.headers.emplace_back("authorization", "Bearer " + token_);
    r.remote_address = "127.0.0.1";
    return r;
  }
  // Handles `r`; a deferred answer is produced here, as a blocking thread would.
  HttpResponse Send(const HttpRequest& r, bool* was_deferred = nullptr) {
    HttpResponse response;
    router_->Handle(r, response);
    if (was_deferred != nullptr) *was_deferred = static_cast<bool>(response.deferred);
    if (response.deferred) {
      HttpResponse out;
      response.deferred(out);
      return out;
    }
    return response;
  }
  static std::string Header(const HttpResponse& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }
  static Json Body(const HttpResponse& r) {
    std::string text = r.body;
    if (r.stream) {
      while (r.stream(text)) {
      }
    }
    auto j = Json::Parse(text);
    EXPECT_TRUE(j.ok()) << text;
    return j.ok() ? std::move(j).value() : Json::MakeObject();
  }
  std::string CreateUser(const std::string& name) {
    HttpResponse r = Send(Request("POST", "/scim/v2/Users", R"({"userName":")" + name + "\"}"));
    EXPECT_EQ(r.status, 201) << r.body;
    const Json body = Body(r);
    const Json* id = body.Find("id");
    return id != nullptr ? id->as_string() : "";
  }

  storage::MemStore store_;
  core::TenantId tenant_ = 0;
  std::string token_;
  std::unique_ptr<ScimRouter> router_;
};

TEST_F(ScimRouterTest, BasePathsAndEndpointNames) {
  for (const char* target : {"/scim/v2/Users", "/scim/Users", "/Users", "/SCIM/V2/users/",
                             "/scim/v2//Users", "/scim/v2/%55sers"}) {
    HttpResponse r = Send(Request("GET", target));
    EXPECT_EQ(r.status, 200) << target << " " << r.body;
  }
  HttpResponse r = Send(Request("GET", "/scim/v2/Widgets"));
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(Body(r).Find("detail")->as_string().find("unknown endpoint \"/Widgets\""),
            std::string::npos);
  r = Send(Request("GET", "/scim/v2"));
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("http://scim.example/scim/v2/Users"), std::string::npos) << r.body;
  EXPECT_EQ(Send(Request("GET", "/scim/v2/Users/a/b")).status, 404);
  EXPECT_EQ(Send(Request("POST", "/scim/v2/Bulk/x", "{}")).status, 404);

  // A configured prefix, and the longest prefix wins.
  ScimRouter::Options options;
  options.base_paths = {"/scim/v2", "/scim", "/api/scim", "/api/scim/v2"};
  Reset(options);
  const std::string id = CreateUser("ann");
  r = Send(Request("GET", "/api/scim/v2/Users/" + id));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r).Find("meta")->Find("location")->as_string(),
            "http://scim.example/api/scim/v2/Users/" + id);
}

TEST_F(ScimRouterTest, MethodNotAllowedListsTheTablesMethods) {
  const std::string id = CreateUser("bob");
  HttpResponse r = Send(Request("POST", "/scim/v2/Users/" + id, "{}"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Header(r, "Allow"), "GET, PUT, PATCH, DELETE");
  r = Send(Request("DELETE", "/scim/v2/Users"));
  EXPECT_EQ(Header(r, "Allow"), "GET, POST");
  r = Send(Request("GET", "/scim/v2/Bulk"));
  EXPECT_EQ(Header(r, "Allow"), "POST");
  r = Send(Request("PUT", "/scim/v2/Schemas", "{}", false));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Header(r, "Allow"), "GET");
  // Every route's method is answered, HEAD like GET.
  EXPECT_EQ(Send(Request("HEAD", "/scim/v2/Users/" + id)).status, 200);
  for (const ScimRouter::Route& route : ScimRouter::Routes()) {
    EXPECT_NE(route.handler, nullptr);
  }
}

TEST_F(ScimRouterTest, DiscoveryIsOpenEverythingElseNeedsAToken) {
  for (const char* target :
       {"/scim/v2/ServiceProviderConfig", "/scim/v2/ResourceTypes", "/scim/v2/ResourceTypes/User",
        "/scim/v2/Schemas", "/scim/v2/serviceConfiguration"}) {
    EXPECT_EQ(Send(Request("GET", target, "", false)).status, 200) << target;
  }
  HttpResponse r = Send(Request("GET", "/scim/v2/Users", "", false));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Header(r, "WWW-Authenticate"), "Bearer realm=\"scimd\"");
  HttpRequest bad = Request("GET", "/scim/v2/Users", "", false);
  bad.headers.emplace_back("authorization", "Bearer scimd_0000000000000000_nope");
  EXPECT_EQ(Send(bad).status, 401);
  EXPECT_EQ(Send(Request("GET", "/scim/v2/Me")).status, 501);
  EXPECT_EQ(Send(Request("GET", "/scim/v2/Me", "", false)).status, 401);
  // /Token exists only when configured.
  EXPECT_EQ(Send(Request("GET", "/scim/v2/Token", "", false)).status, 404);
  ScimRouter::Options options;
  options.insecure_token_tenant = "acme";
  Reset(options);
  r = Send(Request("POST", "/scim/v2/Token", "", false));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Header(r, "Cache-Control"), "no-store");
  HttpRequest with_new = Request("GET", "/scim/v2/Users", "", false);
  with_new.headers.emplace_back("authorization", "Bearer " + Body(r).Find("token")->as_string());
  EXPECT_EQ(Send(with_new).status, 200);
}

TEST_F(ScimRouterTest, RateLimitAnswers429WithRetryAfter) {
  ASSERT_TRUE(store_.PutTenantSettings(tenant_, {{"rate-limit", "1"}}).ok());
  Reset({});  // a new gate: no cached settings
  int limited = 0;
  for (int i = 0; i < 5; ++i) {
    HttpResponse r = Send(Request("GET", "/scim/v2/Users"));
    if (r.status == 429) {
      ++limited;
      EXPECT_GE(std::stoi(Header(r, "Retry-After")), 1);
    }
  }
  EXPECT_GE(limited, 3);  // a burst of one second's worth (1) passes, then 429
}

TEST_F(ScimRouterTest, FailedTokensFromOneAddressAre429AfterABurst) {
  auto from = [&](const std::string& address, bool good) {
    HttpRequest r = Request("GET", "/scim/v2/Users", "", false);
    r.headers.emplace_back("authorization", good ? "Bearer " + token_ : "Bearer nope." + address);
    r.remote_address = address;
    return Send(r);
  };
  for (int i = 0; i < core::FailureLimiter::kFailedAuthBurst; ++i) {
    ASSERT_EQ(from("192.0.2.7", false).status, 401) << i;
  }
  HttpResponse r = from("192.0.2.7", false);
  EXPECT_EQ(r.status, 429);
  EXPECT_GE(std::stoi(Header(r, "Retry-After")), 1);
  EXPECT_NE(Body(r).Find("detail")->as_string().find("failed authentications"), std::string::npos);
  // The address is refused before its token is looked at: a good token waits as well.
  EXPECT_EQ(from("192.0.2.7", true).status, 429);
  // Another address, and successful requests, are not counted.
  EXPECT_EQ(from("198.51.100.9", true).status, 200);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(from("198.51.100.9", true).status, 200);
  EXPECT_EQ(from("198.51.100.9", false).status, 401);
}

TEST_F(ScimRouterTest, WhatRunsOnTheReactorAndWhatIsDeferred) {
  const std::string uid = CreateUser("cy");
  bool deferred = false;
  Send(Request("GET", "/scim/v2/Users/" + uid), &deferred);
  EXPECT_FALSE(deferred);
  Send(Request("PATCH", "/scim/v2/Users/" + uid,
               R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
               R"("Operations":[{"op":"replace","path":"title","value":"x"}]})"),
       &deferred);
  EXPECT_FALSE(deferred);
  // Every write to /Groups: a membership can be 100,000 members in a POST, a million in a
  // PUT, PATCH or DELETE.
  HttpResponse g = Send(Request("POST", "/scim/v2/Groups", R"({"displayName":"G"})"), &deferred);
  EXPECT_EQ(g.status, 201);
  EXPECT_TRUE(deferred);
  const std::string gid = Body(g).Find("id")->as_string();
  HttpResponse r = Send(Request("DELETE", "/scim/v2/Groups/" + gid), &deferred);
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(deferred);
  r = Send(Request("POST", "/scim/v2/Bulk",
                   R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],)"
                   R"("Operations":[]})"),
           &deferred);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(deferred);

  ScimRouter::Options sync;
  sync.sync_writes = true;
  Reset(sync);
  r = Send(Request("POST", "/scim/v2/Users", R"({"userName":"dee"})"), &deferred);
  EXPECT_EQ(r.status, 201);
  EXPECT_TRUE(deferred);
  Send(Request("GET", "/scim/v2/Users/" + uid), &deferred);
  EXPECT_FALSE(deferred);
}

TEST_F(ScimRouterTest, AWriteThatLosesALockRaceOnTheReactorIsDeferred) {
  const std::string uid = CreateUser("eve");
  auto id = core::ResourceId::Parse(uid);
  ASSERT_TRUE(id.ok());
  auto holder = store_.Begin(tenant_);
  ASSERT_TRUE(holder->GetResourceForUpdate(core::ResourceType::kUser, *id).ok());

  HttpRequest del = Request("DELETE", "/scim/v2/Users/" + uid);
  HttpResponse response;
  router_->Handle(del, response);
  ASSERT_TRUE(response.deferred);   // not answered 503: handed to a blocking thread
  EXPECT_EQ(response.status, 200);  // untouched
  EXPECT_TRUE(response.body.empty());
  holder.reset();  // the other writer finishes
  HttpResponse out;
  response.deferred(out);
  EXPECT_EQ(out.status, 204) << out.body;
  EXPECT_EQ(Send(Request("GET", "/scim/v2/Users/" + uid)).status, 404);
}

TEST_F(ScimRouterTest, ConditionalRequestsAndPatchAnswers) {
  const std::string uid = CreateUser("fay");
  HttpRequest get = Request("GET", "/scim/v2/Users/" + uid);
  HttpResponse r = Send(get);
  EXPECT_EQ(Header(r, "ETag"), "W/\"1\"");
  get.headers.emplace_back("if-none-match", "W/\"1\"");
  r = Send(get);
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());

  const std::string patch = R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
                            R"("Operations":[{"op":"replace","path":"title","value":"Dr"}]})";
  HttpRequest stale = Request("PATCH", "/scim/v2/Users/" + uid, patch);
  stale.headers.emplace_back("if-match", "W/\"9\"");
  EXPECT_EQ(Send(stale).status, 412);
  r = Send(Request("PATCH", "/scim/v2/Users/" + uid + "?attributes=title", patch));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Header(r, "ETag"), "W/\"2\"");
  EXPECT_EQ(Body(r).Find("userName"), nullptr);  // projected
  HttpRequest minimal = Request("PATCH", "/scim/v2/Users/" + uid, patch);
  minimal.headers.emplace_back("prefer", "return=minimal");
  r = Send(minimal);
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(Header(r, "ETag"), "W/\"2\"");  // the same value again: no new version
  // A bad projection fails before anything is written.
  r = Send(Request("PATCH", "/scim/v2/Users/" + uid + "?attributes=emails[type", patch));
  EXPECT_EQ(r.status, 400);
}

TEST_F(ScimRouterTest, SearchRequestTakesIntegersAndStrings) {
  for (const char* n : {"a1", "a2", "a3"}) CreateUser(n);
  const std::string head = R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],)";
  HttpResponse r = Send(Request("POST", "/scim/v2/Users/.search",
                                head + R"("startIndex":2,"count":"1","sortBy":"userName"})"));
  ASSERT_EQ(r.status, 200) << r.body;
  Json list = Body(r);
  EXPECT_EQ(list.Find("totalResults")->as_int(), 3);
  EXPECT_EQ(list.Find("startIndex")->as_int(), 2);
  EXPECT_EQ(list.Find("Resources")->as_array()[0].Find("userName")->as_string(), "a2");
  r = Send(Request("POST", "/scim/v2/.search", head + R"("count":"many"})"));
  EXPECT_EQ(r.status, 400);
  r = Send(Request("POST", "/scim/v2/.search", head + R"("filter":{"x":1}})"));
  EXPECT_EQ(r.status, 400);
  HttpRequest explain = Request("GET", "/scim/v2/Users?filter=userName%20eq%20%22a1%22");
  explain.headers.emplace_back("x-scimd-explain", "1");
  r = Send(explain);
  EXPECT_EQ(Header(r, "X-Scimd-Rows-Examined"), "1");
  EXPECT_EQ(Header(r, "X-Scimd-Plan"), "UniqueLookup(User.userName = \"a1\")");
}

// Fault injection (core/tenancy/faults.h): decided after admission and before the request
// runs, so an injected error writes nothing and is never deferred; discovery and a wrong
// token are untouched; latency rides on the real answer, deferred or not; the counters
// tell each kind apart from the server's own errors.
TEST_F(ScimRouterTest, InjectedFaultsAnswerBeforeTheRequestRuns) {
  auto set = [&](std::map<std::string, std::string> settings) {
    ASSERT_TRUE(store_.PutTenantSettings(tenant_, settings).ok());
    router_->gate().InvalidateSettings();  // the same router: its counters go on
  };
  set({{"fault-500", "1"}});
  bool deferred = true;
  HttpResponse r = Send(Request("POST", "/scim/v2/Users", R"({"userName":"never"})"), &deferred);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(Header(r, "X-Scimd-Injected-Fault"), "500");
  EXPECT_NE(Body(r).Find("detail")->as_string().find("injected fault"), std::string::npos);
  EXPECT_FALSE(deferred);
  Send(Request("POST", "/scim/v2/Groups", R"({"displayName":"never"})"), &deferred);
  EXPECT_FALSE(deferred);  // a group write too: nothing runs, nothing waits
  EXPECT_EQ(Send(Request("GET", "/scim/v2/Users")).status, 500);
  HttpRequest wrong = Request("GET", "/scim/v2/Users", "", false);
  wrong.headers.emplace_back("authorization", "Bearer nope");
  r = Send(wrong);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Header(r, "X-Scimd-Injected-Fault"), "");
  r = Send(Request("GET", "/scim/v2/ServiceProviderConfig"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Header(r, "X-Scimd-Injected-Fault"), "");

  set({{"fault-429", "1"}, {"fault-retry-after", "4"}});
  r = Send(Request("DELETE", "/scim/v2/Users/x"));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(Header(r, "Retry-After"), "4");
  EXPECT_EQ(Header(r, "X-Scimd-Injected-Fault"), "429");
  set({{"fault-503", "100%"}, {"fault-retry-after", "0"}});
  r = Send(Request("GET", "/scim/v2/Users"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Header(r, "Retry-After"), "");
  EXPECT_EQ(Header(r, "X-Scimd-Injected-Fault"), "503");
  set({{"fault-drop", "1"}});
  r = Send(Request("PUT", "/scim/v2/Users/x", R"({"userName":"x"})"));
  EXPECT_TRUE(r.cut_after_head);
  EXPECT_EQ(Header(r, "X-Scimd-Injected-Fault"), "drop");

  // Nothing was written meanwhile.
  set({{"fault-latency", "250ms"}});
  r = Send(Request("GET", "/scim/v2/Users"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(r).Find("totalResults")->as_int(), 0);
  EXPECT_EQ(Send(Request("GET", "/scim/v2/Groups")).body.find("never"), std::string::npos);
  // Latency: the real answer, held, without the header (it is not to be retried).
  EXPECT_EQ(r.delay, std::chrono::milliseconds(250));
  EXPECT_EQ(Header(r, "X-Scimd-Injected-Fault"), "");
  EXPECT_FALSE(r.cut_after_head);
  HttpResponse g = Send(Request("POST", "/scim/v2/Groups", R"({"displayName":"late"})"), &deferred);
  EXPECT_TRUE(deferred);
  EXPECT_EQ(g.status, 201);
  EXPECT_EQ(g.delay, std::chrono::milliseconds(250));

  const core::TenantStats stats = router_->counters().Get(tenant_);
  EXPECT_EQ(stats.injected_500, 3u);
  EXPECT_EQ(stats.injected_429, 1u);
  EXPECT_EQ(stats.injected_503, 1u);
  EXPECT_EQ(stats.injected_drop, 1u);
  EXPECT_EQ(stats.delayed, 3u);
  EXPECT_EQ(stats.rate_limited, 0u);  // an injected 429 is not the rate limit
  EXPECT_EQ(stats.requests, 9u);      // the 401 and discovery belong to no tenant's count
  EXPECT_EQ(stats.errors, 6u);

  set({});  // off again: at once
  r = Send(Request("GET", "/scim/v2/Users"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.delay, std::chrono::milliseconds(0));
}

}  // namespace
}  // namespace scimd::net
