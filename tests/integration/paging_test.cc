// startIndex paging over HTTP on RocksDB (page cursors, issue #18): a walk of the user list
// in small pages gives exactly the one-page listing, with a create and a delete between
// pages; the pages of a sequential walk read ~count rows (X-Scimd-Rows-Examined).
#include <string>
#include <vector>

#include "tests/integration/scim_fixture.h"

namespace scimd::testing {
namespace {

class PagingTest : public ScimServerTest {
 protected:
  struct Page {
    int64_t total = -1;
    std::vector<std::string> ids;
    int64_t rows_examined = -1;
  };
  Page List(int64_t start, int64_t count) {
    HttpResult r =
        Get("/Users?startIndex=" + std::to_string(start) + "&count=" + std::to_string(count),
            {{"X-Scimd-Explain", "1"}});
    EXPECT_EQ(r.status, 200) << r.body;
    Page p;
    core::Json j = Parse(r);
    p.total = Int(j, "totalResults");
    if (const core::Json* res = j.Find("Resources"); res != nullptr && res->is_array()) {
      for (const auto& item : res->as_array()) p.ids.push_back(Str(item, "id"));
    }
    const std::string n = r.Header("x-scimd-rows-examined");
    p.rows_examined = n.empty() ? -1 : std::stoll(n);
    return p;
  }
  // What a full scan gives for [start, start + count) now.
  std::vector<std::string> Expected(int64_t start, int64_t count) {
    const std::vector<std::string> all = List(1, 1000).ids;
    std::vector<std::string> slice;
    for (int64_t i = start; i < start + count && i <= static_cast<int64_t>(all.size()); ++i) {
      slice.push_back(all[static_cast<size_t>(i - 1)]);
    }
    return slice;
  }
};

TEST_F(PagingTest, AWalkInSmallPagesIsTheFullListingAcrossWrites) {
  for (int i = 0; i < 120; ++i) CreateUser("pager" + std::to_string(i));
  const std::vector<std::string> all = List(1, 1000).ids;
  ASSERT_EQ(all.size(), 120u);
  std::vector<std::string> walked;
  for (int64_t start = 1; start <= 120; start += 7) {
    const Page p = List(start, 7);
    EXPECT_EQ(p.total, 120);
    if (start > 1) {
      EXPECT_EQ(p.rows_examined, static_cast<int64_t>(p.ids.size())) << start;
    }
    walked.insert(walked.end(), p.ids.begin(), p.ids.end());
  }
  EXPECT_EQ(walked, all);

  // A delete of a user already shown, then a create, between pages.
  List(1, 10);
  List(11, 10);
  ASSERT_EQ(Delete("/Users/" + all[3]).status, 204);
  EXPECT_EQ(List(21, 10).ids, Expected(21, 10));
  CreateUser("late");
  EXPECT_EQ(List(31, 10).ids, Expected(31, 10));
  EXPECT_EQ(List(111, 10).ids, Expected(111, 10));
  EXPECT_EQ(List(111, 10).total, 120);
}

}  // namespace
}  // namespace scimd::testing
