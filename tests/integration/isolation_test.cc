// Tenant isolation as a property: two tenants with users and groups, then random requests
// of one tenant's token over every endpoint aimed at the other's data (its ids, userNames,
// group names, member ids, ETags, bulkIds): no answer may carry anything of the other
// tenant that the request did not itself contain, and the other tenant's data must come
// out exactly as it went in. Both directions; a fixed seed per run (printed) makes a
// failure repeatable.
#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

using core::Json;
using Headers = std::vector<std::pair<std::string, std::string>>;

struct TenantData {
  std::string name;
  std::string token;
  std::vector<std::string> user_ids, user_names, group_ids, group_names, etags;
};

class IsolationTest : public ScimServerTest {
 protected:
  HttpResult As(const TenantData& t, const std::string& method, const std::string& path,
                const std::string& body = "", Headers extra = {}) {
    extra.emplace_back("Authorization", "Bearer " + t.token);
    return client_->Send(method, "/scim/v2" + path, body, extra);
  }

  TenantData Seed(const std::string& name, const std::string& token, const std::string& tag) {
    TenantData t{name, token, {}, {}, {}, {}, {}};
    for (int i = 0; i < 6; ++i) {
      const std::string user_name = tag + "-user-" + std::to_string(i) + "@" + tag + ".example";
      HttpResult r = As(t, "POST", "/Users",
                        R"({"userName":")" + user_name + R"(","externalId":")" + tag + "-ext-" +
                            std::to_string(i) + R"(","emails":[{"value":")" + user_name + "\"}]}");
      EXPECT_EQ(r.status, 201) << r.body;
      t.user_ids.push_back(Str(Parse(r), "id"));
      t.user_names.push_back(user_name);
      t.etags.push_back(r.Header("etag"));
    }
    for (int g = 0; g < 3; ++g) {
      const std::string group_name = tag + "-group-" + std::to_string(g);
      HttpResult r = As(t, "POST", "/Groups",
                        R"({"displayName":")" + group_name + R"(","members":[{"value":")" +
                            t.user_ids[g] + R"("},{"value":")" + t.user_ids[g + 3] + "\"}]}");
      EXPECT_EQ(r.status, 201) << r.body;
      t.group_ids.push_back(Str(Parse(r), "id"));
      t.group_names.push_back(group_name);
    }
    return t;
  }

  // Everything a tenant holds, as its own token reads it: users and groups with members,
  // sorted, without the parts a read itself changes nothing of.
  std::string State(const TenantData& t) {
    std::string out;
    for (const char* endpoint : {"/Users", "/Groups"}) {
      HttpResult r = As(t, "GET", std::string(endpoint) + "?count=1000&sortBy=id");
      EXPECT_EQ(r.status, 200);
      out += r.body;
    }
    for (const auto& g : t.group_ids) out += As(t, "GET", "/Groups/" + g).body;
    return out;
  }

  // A random request of `from` aimed at `to`'s data; returns the identifiers of `to` the
  // request itself contains (an answer may echo those).
  std::set<std::string> RandomRequest(std::mt19937& rng, TenantData& from, const TenantData& to,
                                      HttpResult* answer) {
    auto pick = [&](const std::vector<std::string>& v) {
      return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
    };
    const std::string uid = pick(to.user_ids), gid = pick(to.group_ids);
    const std::string uname = pick(to.user_names), gname = pick(to.group_names);
    const std::string etag = pick(to.etags);
    const std::string own_group = pick(from.group_ids), own_user = pick(from.user_ids);
    const std::string patch_head =
        R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":)";
    std::set<std::string> sent;
    switch (std::uniform_int_distribution<int>(0, 17)(rng)) {
      case 0:
        *answer = As(from, "GET", "/Users/" + uid);
        sent = {uid};
        break;
      case 1:
        *answer = As(from, "GET", "/Groups/" + gid);
        sent = {gid};
        break;
      case 2:
        *answer =
            As(from, "PUT", "/Users/" + uid, R"({"userName":"taken-over"})", {{"If-Match", etag}});
        sent = {uid};
        break;
      case 3:
        *answer = As(from, "PATCH", "/Users/" + uid,
                     patch_head + R"([{"op":"replace","path":"active","value":false}])");
        sent = {uid};
        break;
      case 4:
        *answer = As(from, "DELETE", "/Users/" + uid);
        sent = {uid};
        break;
      case 5:
        *answer = As(from, "DELETE", "/Groups/" + gid);
        sent = {gid};
        break;
      case 6:
        *answer = As(from, "GET", "/Users?filter=" + UrlEncode("id eq \"" + uid + "\""));
        sent = {uid};
        break;
      case 7:
        *answer = As(from, "GET", "/Users?filter=" + UrlEncode("userName eq \"" + uname + "\""));
        sent = {uname};
        break;
      case 8:
        *answer =
            As(from, "GET", "/Groups?filter=" + UrlEncode("members[value eq \"" + uid + "\"]"));
        sent = {uid};
        break;
      case 9:
        *answer =
            As(from, "GET", "/Groups?filter=" + UrlEncode("displayName eq \"" + gname + "\""));
        sent = {gname};
        break;
      case 10:
        *answer = As(from, "POST", "/Groups",
                     R"({"displayName":"stolen","members":[{"value":")" + uid + R"("},{"value":")" +
                         gid + "\"}]}");
        sent = {uid, gid};
        if (answer->status == 201) from.group_ids.push_back(Str(Parse(*answer), "id"));
        break;
      case 11:
        *answer = As(from, "PATCH", "/Groups/" + own_group,
                     patch_head + R"([{"op":"add","path":"members","value":[{"value":")" + uid +
                         R"("}]},{"op":"remove","path":"members[value eq \")" + uid + R"(\"]"}])",
                     {{"Prefer", "return=minimal"}});
        sent = {uid};
        break;
      case 12:
        *answer =
            As(from, "POST", "/Bulk",
               R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
            {"method":"PATCH","path":"/Users/)" +
                   uid + R"(","data":)" + patch_head +
                   R"([{"op":"replace","path":"title","value":"x"}]}},
            {"method":"DELETE","path":"/Groups/)" +
                   gid + R"("},
            {"method":"POST","path":"/Groups","bulkId":"g","data":{"displayName":"bulk-stolen",
              "members":[{"value":")" +
                   uid + R"("}]}},
            {"method":"PATCH","path":"/Groups/bulkId:g","data":)" +
                   patch_head + R"([{"op":"add","path":"members","value":[{"value":")" + gid +
                   R"("}]}]}}]})");
        sent = {uid, gid};
        break;
      case 13:
        *answer = As(
            from, "POST", "/.search",
            R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":")" +
                std::string("id eq \\\"") + uid + R"(\" or displayName eq \")" + gname + R"(\""})");
        sent = {uid, gname};
        break;
      case 14:
        *answer = As(from, "GET", "/Users/" + own_user, "", {{"If-None-Match", etag}});
        break;
      case 15: *answer = As(from, "GET", "/Users?count=1000"); break;
      case 16: *answer = As(from, "GET", "/Groups?count=1000"); break;
      default:
        *answer = As(from, "GET",
                     "/Users?filter=" + UrlEncode("emails.value co \"" + to.name + ".example\""));
        break;
    }
    return sent;
  }
};

TEST_F(IsolationTest, RandomRequestsNeverReachTheOtherTenant) {
  StopServer();
  const std::string token_b = CreateTenantWithToken(data_, "globex");
  StartServer();
  TenantData a = Seed("acme", token_, "acme");
  TenantData b = Seed("globex", token_b, "globex");
  const unsigned seed = std::random_device()();
  std::printf("isolation seed %u\n", seed);
  std::mt19937 rng(seed);
  int requests = 0, leaks = 0;
  for (auto [from, to] : {std::pair<TenantData*, TenantData*>{&a, &b}, {&b, &a}}) {
    std::vector<std::string> theirs = to->user_ids;
    for (const auto* list : {&to->user_names, &to->group_ids, &to->group_names}) {
      theirs.insert(theirs.end(), list->begin(), list->end());
    }
    const std::string their_tag = to->name == "acme" ? "acme-" : "globex-";
    const std::string before = State(*to);
    for (int i = 0; i < 150; ++i) {
      HttpResult answer;
      const std::set<std::string> sent = RandomRequest(rng, *from, *to, &answer);
      ++requests;
      EXPECT_LT(answer.status, 500) << answer.body;
      for (const auto& id : theirs) {
        if (sent.count(id) == 0 && answer.body.find(id) != std::string::npos) {
          ++leaks;
          ADD_FAILURE() << "seed " << seed << ": " << from->name << " saw " << to->name << "'s "
                        << id << " in " << answer.body.substr(0, 400);
        }
      }
      // Nothing with the other tenant's name tag in an answer to a list or a search.
      if (sent.empty() && answer.body.find(their_tag) != std::string::npos) {
        ++leaks;
        ADD_FAILURE() << "seed " << seed << ": " << answer.body.substr(0, 400);
      }
    }
    // The target's data came out as it went in (the requests of `from` changed none of it).
    EXPECT_TRUE(State(*to) == before) << "seed " << seed << ": " << to->name << " changed";
  }
  std::printf("%d requests across tenants, %d leaks\n", requests, leaks);
  EXPECT_EQ(leaks, 0);
}

}  // namespace
}  // namespace scimd::testing
