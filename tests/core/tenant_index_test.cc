// Which attributes a tenant may index, and the "indexed-attributes" setting's format.
#include "core/tenancy/tenant_index.h"

#include <gtest/gtest.h>

#include "core/tenancy/tenant_settings.h"

namespace scimd::core {
namespace {

constexpr char kEnterprise[] = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

TEST(TenantIndexTest, ResolvesCanonicalPathsAndCaseRules) {
  auto title = ResolveIndexable(ResourceType::kUser, "TITLE");
  ASSERT_TRUE(title.ok()) << title.status().ToString();
  EXPECT_EQ(title->path, "title");
  EXPECT_FALSE(title->case_exact);
  auto dept = ResolveIndexable(ResourceType::kUser, std::string(kEnterprise) + ":Department");
  ASSERT_TRUE(dept.ok()) << dept.status().ToString();
  EXPECT_EQ(dept->path, std::string(kEnterprise) + ":department");
  auto manager = ResolveIndexable(ResourceType::kUser, std::string(kEnterprise) + ":manager.value");
  ASSERT_TRUE(manager.ok()) << manager.status().ToString();
  EXPECT_EQ(manager->path, std::string(kEnterprise) + ":manager.value");
  auto core_urn =
      ResolveIndexable(ResourceType::kUser, "urn:ietf:params:scim:schemas:core:2.0:User:nickName");
  ASSERT_TRUE(core_urn.ok());
  EXPECT_EQ(core_urn->path, "nickName");
  auto phone = ResolveIndexable(ResourceType::kUser, "phoneNumbers.value");
  ASSERT_TRUE(phone.ok());
  EXPECT_EQ(phone->path, "phoneNumbers.value");
}

TEST(TenantIndexTest, RefusesWhatCannotOrNeedNotBeIndexed) {
  const struct {
    ResourceType type;
    const char* path;
    Status::Code code;
    const char* says;
  } cases[] = {
      {ResourceType::kUser, "userName", Status::Code::kUniqueness, "built in"},
      {ResourceType::kUser, "emails.value", Status::Code::kUniqueness, "built in"},
      {ResourceType::kUser, "password", Status::Code::kInvalidValue, "never"},
      {ResourceType::kUser, "name", Status::Code::kInvalidValue, "sub-attributes"},
      {ResourceType::kUser, "emails", Status::Code::kInvalidValue, "sub-attributes"},
      {ResourceType::kUser, "nope", Status::Code::kInvalidValue, "no such attribute"},
      {ResourceType::kUser, "name.nope", Status::Code::kInvalidValue, "no such sub-attribute"},
      {ResourceType::kUser, "title.x", Status::Code::kInvalidValue, "not a complex"},
      {ResourceType::kUser, "urn:x:y:title", Status::Code::kInvalidValue, "no schema"},
      {ResourceType::kGroup, "title", Status::Code::kInvalidValue, "no such attribute"},
      {ResourceType::kGroup, "members.display", Status::Code::kInvalidValue, "edges"},
      {ResourceType::kUser, "groups.value", Status::Code::kInvalidValue, "read-only"},
  };
  for (const auto& c : cases) {
    auto r = ResolveIndexable(c.type, c.path);
    ASSERT_FALSE(r.ok()) << c.path;
    EXPECT_TRUE(r.status().Is(c.code)) << c.path << ": " << r.status().ToString();
    EXPECT_NE(r.status().detail().find(c.says), std::string::npos) << r.status().detail();
  }
}

TEST(TenantIndexTest, SettingRoundTripsAndRejectsMalformedValues) {
  const std::string value =
      std::string("User/title=100 User/") + kEnterprise + ":department=101 User/nickName=102";
  auto extra = ParseIndexedAttributes(value);
  ASSERT_TRUE(extra.ok()) << extra.status().ToString();
  ASSERT_EQ(extra->size(), 3u);
  EXPECT_EQ((*extra)[1].id, 101);
  EXPECT_EQ((*extra)[2].path, "nickName");
  EXPECT_EQ(FormatIndexedAttributes(*extra), value);
  for (const char* bad :
       {"title=100", "User/title", "User/title=99", "User/title=70000", "Widget/title=100",
        "User/title=100 User/nickName=100", "User/title=100 User/Title=101", "User/title=1x0"}) {
    EXPECT_FALSE(ParseIndexedAttributes(bad).ok()) << bad;
  }
  // The typed settings carry the built-ins followed by the tenant's attributes.
  auto settings = TenantSettings::FromMap({{"indexed-attributes", "User/title=100"}});
  ASSERT_TRUE(settings.ok());
  const auto& all = settings->Indexed();
  ASSERT_EQ(all.size(), SchemaRegistry::Default().indexed().size() + 1);
  EXPECT_EQ(all.back().path, "title");
  EXPECT_EQ(settings->decode.indexed, &all);
  EXPECT_EQ(TenantSettings().Indexed().size(), SchemaRegistry::Default().indexed().size());
  // Only scimctl index add|drop changes it (they build and remove the entries).
  EXPECT_FALSE(ValidateSetting("indexed-attributes", "User/title=100").ok());
}

}  // namespace
}  // namespace scimd::core
