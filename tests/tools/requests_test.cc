// The providers' requests are valid JSON in the providers' forms, and the answer reader
// takes ListResponses apart (names case-insensitive) and checks their windows.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "tools/scimload/idp_requests.h"
#include "tools/scimload/scim_reply.h"

namespace scimd::scimload {
namespace {

simdjson::dom::element Parse(simdjson::dom::parser& parser, const std::string& text) {
  simdjson::dom::element root;
  EXPECT_EQ(parser.parse(text).get(root), simdjson::SUCCESS) << text;
  return root;
}

std::string_view Str(simdjson::simdjson_result<simdjson::dom::element> e) {
  std::string_view s;
  return e.get_string().get(s) == simdjson::SUCCESS ? s : std::string_view("<none>");
}

TEST(IdpRequestsTest, EntraUserHasTheEnterpriseExtensionAndABooleanActive) {
  const Person p = PersonOf(7, 42);
  EXPECT_EQ(p.user_name, "u42.s7@scimload.example.com");
  EXPECT_EQ(p.external_id, PersonOf(7, 42).external_id);  // deterministic
  EXPECT_NE(p.external_id, PersonOf(8, 42).external_id);
  simdjson::dom::parser parser;
  const auto user = Parse(parser, EntraUserBody(p, "mgr-id"));
  EXPECT_EQ(Str(user["userName"]), p.user_name);
  EXPECT_EQ(Str(user["emails"].at(0)["type"]), "work");
  EXPECT_EQ(user["active"].get_bool().value(), true);
  EXPECT_EQ(Str(user["name"]["givenName"]), "Given42");
  const auto enterprise = user[std::string(kEnterpriseUrn)];
  EXPECT_EQ(Str(enterprise["department"]), p.department);
  EXPECT_EQ(Str(enterprise["manager"]["value"]), "mgr-id");
  EXPECT_EQ(Str(user["schemas"].at(1)), kEnterpriseUrn);
}

TEST(IdpRequestsTest, EntraPatchesUseItsHabits) {
  simdjson::dom::parser parser;
  const auto disable = Parse(parser, EntraDisablePatch());
  EXPECT_EQ(Str(disable["Operations"].at(0)["op"]), "Replace");
  EXPECT_EQ(Str(disable["Operations"].at(0)["value"]), "False");  // a string boolean
  const std::string urn(kEnterpriseUrn);
  const auto rename = Parse(parser, EntraChangePatch(PersonOf(1, 5), 0, ""));
  EXPECT_EQ(Str(rename["Operations"].at(1)["path"]), urn + ":department");
  const auto email = Parse(parser, EntraChangePatch(PersonOf(1, 5), 1, ""));
  EXPECT_EQ(Str(email["Operations"].at(0)["path"]), "emails[type eq \"work\"].value");
  const auto manager = Parse(parser, EntraChangePatch(PersonOf(1, 5), 2, "m1"));
  EXPECT_EQ(Str(manager["Operations"].at(0)["op"]), "Add");
  EXPECT_EQ(Str(manager["Operations"].at(1)["value"]), "m1");  // manager as a plain id
  const auto no_path = Parse(parser, EntraChangePatch(PersonOf(1, 5), 3, ""));
  EXPECT_TRUE(no_path["Operations"].at(0)["path"].error() == simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(Str(no_path["Operations"].at(0)["value"][urn + ":department"]), "Department X");
  const auto members = Parse(parser, EntraMembersPatch("Add", {"a", "b", "c"}));
  EXPECT_EQ(Str(members["Operations"].at(0)["path"]), "members");
  EXPECT_EQ(members["Operations"].at(0)["value"].get_array().size(), 3u);
  EXPECT_EQ(Str(members["Operations"].at(0)["value"].at(2)["value"]), "c");
}

TEST(IdpRequestsTest, OktaFormsAndFilters) {
  simdjson::dom::parser parser;
  const auto user = Parse(parser, OktaUserBody(PersonOf(1, 1), "pw"));
  EXPECT_EQ(user["groups"].get_array().size(), 0u);
  EXPECT_EQ(Str(user["password"]), "pw");
  const auto put = Parse(parser, OktaPutBody(PersonOf(1, 1), "id-1", 2));
  EXPECT_EQ(Str(put["id"]), "id-1");
  EXPECT_EQ(Str(put["name"]["givenName"]), "Given1-v2");
  const auto deactivate = Parse(parser, OktaDeactivatePatch());
  EXPECT_EQ(deactivate["Operations"].at(0)["value"]["active"].get_bool().value(), false);
  const auto remove = Parse(parser, OktaRemoveMemberPatch("x1"));
  EXPECT_EQ(Str(remove["Operations"].at(0)["path"]), "members[value eq \"x1\"]");
  const auto group = Parse(parser, EntraGroupBody("G 1", "ext"));
  EXPECT_EQ(group["members"].get_array().size(), 0u);
  EXPECT_EQ(group["schemas"].get_array().size(), 2u);

  EXPECT_EQ(EntraUserFilter("a b@x.com"), "/Users?filter=userName+eq+%22a+b%40x.com%22");
  EXPECT_EQ(OktaUserFilter("A@x"),
            "/Users?filter=userName%20eq%20%22A%40x%22&startIndex=1&count=100");
  EXPECT_EQ(EntraGroupFilter("g 1"),
            "/Groups?excludedAttributes=members&filter=displayName+eq+%22g+1%22");
}

TEST(ScimReplyTest, ReadsAListResponseWithNamesInAnyCase) {
  ListAnswer list;
  std::string error;
  ASSERT_TRUE(
      ReadListAnswer(R"({"TOTALRESULTS":2,"startindex":1,"itemsPerPage":2,"resources":[)"
                     R"({"ID":"a","UserName":"x","active":false},{"id":"b","displayName":"g"}]})",
                     &list, &error))
      << error;
  EXPECT_EQ(list.total_results, 2);
  EXPECT_EQ(list.start_index, 1);
  ASSERT_EQ(list.resources.size(), 2u);
  EXPECT_EQ(list.resources[0].id, "a");
  EXPECT_EQ(list.resources[0].user_name, "x");
  EXPECT_EQ(list.resources[0].active, 0);
  EXPECT_EQ(list.resources[1].active, -1);
  EXPECT_EQ(list.resources[1].display_name, "g");
  EXPECT_EQ(CheckListWindow(list, 1, 100), "");
  EXPECT_NE(CheckListWindow(list, 1, 1), "");  // a window of 1 holds 1, not 2

  ASSERT_TRUE(ReadListAnswer(R"({"totalResults":250,"Resources":[]})", &list, &error));
  EXPECT_NE(CheckListWindow(list, 201, 100), "");  // 50 expected from 201
  ASSERT_TRUE(ReadListAnswer(R"({"totalResults":0})", &list, &error));
  EXPECT_EQ(CheckListWindow(list, 1, 100), "");  // no Resources is fine when empty
  EXPECT_FALSE(ReadListAnswer("<html>", &list, &error));
  ASSERT_TRUE(ReadListAnswer(R"({"Resources":[]})", &list, &error));
  EXPECT_EQ(CheckListWindow(list, 1, 100), "no totalResults");
}

}  // namespace
}  // namespace scimd::scimload
