// Index-ordered sort over HTTP: sortBy on an indexed single-valued string attribute walks
// the index (X-Scimd-Plan says IndexOrder) and must give exactly what the in-memory sort
// gives on the same data (forced with a filter that has an index of its own), and what a
// client-side oracle of the RFC's rules gives: folded values, missing values last in
// either direction, ties in id order. A page costs about `count` resource reads.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

using core::Json;

// Query parameters are percent-encoded with UrlEncode (scim_fixture.h).
std::string Encode(const std::string& s) { return UrlEncode(s); }

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

struct Page {
  int64_t total = -1;
  std::vector<std::string> ids;
  std::string plan;
  int64_t rows_examined = -1;
};

struct TestUser {
  std::string id;
  std::string user_name;
  std::optional<std::string> family, external, display;
};

class SortTest : public ScimServerTest {
 protected:
  Page List(const std::string& endpoint, const std::string& query) {
    HttpResult r = Get(endpoint + "?" + query, {{"X-Scimd-Explain", "1"}});
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    Page p;
    Json j = Parse(r);
    p.total = Int(j, "totalResults");
    if (const Json* res = j.Find("Resources"); res != nullptr && res->is_array()) {
      for (const auto& item : res->as_array()) p.ids.push_back(Str(item, "id"));
    }
    p.plan = r.Header("x-scimd-plan");
    const std::string n = r.Header("x-scimd-rows-examined");
    p.rows_examined = n.empty() ? -1 : std::stoll(n);
    return p;
  }

  // ~80 users: mixed-case values, ties, missing values, an empty string, non-ASCII.
  void CreateMixedUsers() {
    const char* kLetters = "aAbBcCdDeEfF";
    const std::vector<std::string> kFamilies = {"Smith", "smith",        "SMITH", "Jones", "jones",
                                                "Brown", "\xc3\x89mile", "zed",   ""};
    const std::vector<std::string> kDisplays = {"Zoe", "adam", "Adam", "mike"};
    for (int i = 0; i < 80; ++i) {
      TestUser u;
      u.user_name =
          std::string(1, kLetters[(i * 7) % 12]) + "user" + std::to_string((i * 37) % 100);
      std::string extra;
      if (i % 4 != 0) {
        u.family = kFamilies[i % kFamilies.size()];
        extra += R"(,"name":{"givenName":"G","familyName":")" + *u.family + "\"}";
      }
      if (i % 3 != 0) {
        u.external = (i % 2 ? "Ext" : "ext") + std::to_string((i * 13) % 50);
        extra += R"(,"externalId":")" + *u.external + "\"";
      }
      if (i % 5 != 0) {
        u.display = kDisplays[i % kDisplays.size()];
        extra += R"(,"displayName":")" + *u.display + "\"";
      }
      u.id = CreateUser(u.user_name, extra);
      users_.push_back(u);
    }
  }

  // The RFC order computed here: folded (unless caseExact) values, missing last, ties by id.
  std::vector<std::string> Oracle(const std::string& attr, bool descending) const {
    struct Keyed {
      std::optional<std::string> key;
      std::string id;
    };
    std::vector<Keyed> keyed;
    for (const auto& u : users_) {
      std::optional<std::string> v = attr == "userName"          ? u.user_name
                                     : attr == "name.familyName" ? u.family
                                     : attr == "externalId"      ? u.external
                                                                 : u.display;
      if (v && attr != "externalId") v = Lower(*v);
      keyed.push_back({v, u.id});
    }
    std::sort(keyed.begin(), keyed.end(), [&](const Keyed& a, const Keyed& b) {
      if (a.key.has_value() != b.key.has_value()) return a.key.has_value();
      if (a.key && *a.key != *b.key) return descending ? *a.key > *b.key : *a.key < *b.key;
      return a.id < b.id;  // ids are lowercase hex: text order is byte order
    });
    std::vector<std::string> out;
    for (const auto& k : keyed) out.push_back(k.id);
    return out;
  }

  std::vector<TestUser> users_;
};

const std::vector<std::string> kSortAttrs = {"userName", "name.familyName", "externalId",
                                             "displayName"};

TEST_F(SortTest, IndexOrderMatchesTheOracleOnTheWholeList) {
  CreateMixedUsers();
  for (const auto& attr : kSortAttrs) {
    for (bool desc : {false, true}) {
      const std::string order = desc ? "descending" : "ascending";
      Page p = List("/Users", "sortBy=" + attr + "&sortOrder=" + order + "&count=1000");
      EXPECT_EQ(p.plan, "IndexOrder(User." + attr + " " + order + ")");
      EXPECT_EQ(p.total, 80);
      EXPECT_EQ(p.ids, Oracle(attr, desc)) << attr << " " << order;
    }
  }
}

TEST_F(SortTest, IndexOrderMatchesTheInMemorySortForEveryWindowAndFilter) {
  CreateMixedUsers();
  struct Filter {
    std::string indexed;    // plans a full scan: the index walk evaluates it per resource
    std::string in_memory;  // the same matches, with an indexed term: sorted in memory
  };
  const std::vector<Filter> filters = {
      {"", "userName pr"},
      {"userName co \"1\"", "userName co \"1\" and userName pr"},
      {"name.givenName ne \"x\" or title pr",
       "(name.givenName ne \"x\" or title pr) and userName pr"},
  };
  const std::vector<std::pair<int, int>> windows = {{1, 1000}, {1, 7},  {5, 10}, {55, 10},
                                                    {60, 30},  {79, 5}, {81, 5}, {3, 0}};
  for (const auto& attr : kSortAttrs) {
    for (const char* order : {"ascending", "descending"}) {
      for (const auto& f : filters) {
        for (const auto& [start, count] : windows) {
          const std::string q = "sortBy=" + attr + "&sortOrder=" + order +
                                "&startIndex=" + std::to_string(start) +
                                "&count=" + std::to_string(count);
          Page walked =
              List("/Users", q + (f.indexed.empty() ? "" : "&filter=" + Encode(f.indexed)));
          Page sorted = List("/Users", q + "&filter=" + Encode(f.in_memory));
          const std::string what = q + " filter " + f.indexed;
          EXPECT_EQ(walked.plan.rfind("IndexOrder(User." + attr, 0), 0u) << what << walked.plan;
          EXPECT_NE(sorted.plan.find("SortInMemory"), std::string::npos) << what << sorted.plan;
          EXPECT_EQ(walked.total, sorted.total) << what;
          EXPECT_EQ(walked.ids, sorted.ids) << what;
          EXPECT_LE(walked.ids.size(), static_cast<size_t>(count)) << what;
        }
      }
    }
  }
}

TEST_F(SortTest, GroupsSortByDisplayNameThroughTheIndex) {
  std::vector<std::string> names = {"beta", "Alpha", "alpha", "Gamma", "b", "ALPHA2"};
  for (const auto& n : names) {
    HttpResult r = Post("/Groups", R"({"displayName":")" + n + "\"}");
    ASSERT_EQ(r.status, 201) << r.body;
  }
  for (const char* order : {"ascending", "descending"}) {
    Page walked = List("/Groups", std::string("sortBy=displayName&sortOrder=") + order);
    Page sorted = List(
        "/Groups", std::string("sortBy=displayName&filter=displayName%20pr&sortOrder=") + order);
    EXPECT_EQ(walked.plan, std::string("IndexOrder(Group.displayName ") + order + ")");
    EXPECT_EQ(walked.ids, sorted.ids);
    EXPECT_EQ(walked.total, 6);
  }
}

TEST_F(SortTest, SortedPageOverThousandsOfUsersReadsAboutCountRows) {
  constexpr int kUsers = 3000;
  constexpr int kPerBulk = 500;
  for (int b = 0; b < kUsers / kPerBulk; ++b) {
    std::string ops;
    for (int i = 0; i < kPerBulk; ++i) {
      const int n = b * kPerBulk + i;
      if (!ops.empty()) ops += ",";
      ops += R"({"method":"POST","path":"/Users","bulkId":"b)" + std::to_string(n) +
             R"(","data":{"userName":"User)" + std::to_string(n) + "\"";
      if (n % 10 == 0) ops += R"(,"name":{"familyName":"F)" + std::to_string(n) + "\"}";
      ops += "}}";
    }
    HttpResult r =
        Post("/Bulk", R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],)"
                      R"("Operations":[)" +
                          ops + "]}");
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 500);
  }
  for (const char* order : {"ascending", "descending"}) {
    Page p =
        List("/Users", std::string("sortBy=userName&count=25&startIndex=1500&sortOrder=") + order);
    EXPECT_EQ(p.total, kUsers);
    EXPECT_EQ(p.ids.size(), 25u);
    EXPECT_EQ(p.rows_examined, 25) << p.plan;
  }
  // name.familyName: 300 with a value, then 2,700 without, which come last in id order.
  Page present = List("/Users", "sortBy=name.familyName&count=20&startIndex=100");
  EXPECT_EQ(present.total, kUsers);
  EXPECT_EQ(present.rows_examined, 20);
  Page missing = List("/Users", "sortBy=name.familyName&count=20&startIndex=301");
  EXPECT_EQ(missing.ids.size(), 20u);
  // The resources before the page that lack the value are read to find them (~20 here:
  // users without a familyName are the first ones in id order).
  EXPECT_LE(missing.rows_examined, 60);
  Page last = List("/Users", "sortBy=name.familyName&count=20&startIndex=2990");
  EXPECT_EQ(last.ids.size(), 11u);
  // Without the header: no plan.
  HttpResult plain = Get("/Users?sortBy=userName&count=1");
  EXPECT_EQ(plain.Header("x-scimd-plan"), "");
  EXPECT_EQ(plain.Header("x-scimd-rows-examined"), "");
}

}  // namespace
}  // namespace scimd::testing
