// Binder, evaluator, planner and the public API (core/filter/filter.h). The golden files hold
// most cases; this file has the operator x type matrix, hand-built bound filters for
// types the schema does not use yet (integer, decimal), custom index sets, and sharing.
#include "core/filter/filter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/filter/filter_binder.h"
#include "core/filter/filter_datetime.h"
#include "core/filter/filter_parser.h"

namespace scimd::core {
namespace {

Json J(std::string_view text) {
  auto j = Json::Parse(text);
  EXPECT_TRUE(j.ok()) << text;
  return j.ok() ? std::move(j).value() : Json::MakeObject();
}

bool Match(ResourceType type, std::string_view filter, std::string_view json) {
  auto f = CompileFilter(type, filter);
  EXPECT_TRUE(f.ok()) << filter << ": " << f.status().ToString();
  if (!f.ok()) return false;
  const Json attrs = J(json);
  ResourceView view;
  view.type = type;
  view.id = *ResourceId::Parse("018f2b4c-0000-7000-8000-000000000001");
  view.header.version = 4;
  view.header.created_us = *ParseDateTimeMicros("2020-01-01T00:00:00Z");
  view.header.modified_us = *ParseDateTimeMicros("2021-06-01T12:00:00.5Z");
  view.attrs = &attrs;
  return Matches(*f, view);
}

bool UserMatch(std::string_view filter, std::string_view json) {
  return Match(ResourceType::kUser, filter, json);
}

struct MatrixCase {
  const char* filter;
  const char* json;
  bool want;
};

// Every operator against: caseExact=false string, caseExact=true string, boolean,
// dateTime, multi-valued, complex, extension, missing.
TEST(FilterEvalTest, OperatorTypeMatrix) {
  const char* user = R"({"userName":"Alice","externalId":"AbC","active":false,
      "name":{"familyName":"Smith","givenName":"Al"},
      "emails":[{"value":"a@x.com","type":"work"},{"value":"b@y.org","type":"home"}],
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales"}})";
  const MatrixCase cases[] = {
      // caseExact=false string
      {"userName eq \"ALICE\"", user, true},
      {"userName ne \"alice\"", user, false},
      {"userName co \"LIC\"", user, true},
      {"userName sw \"AL\"", user, true},
      {"userName ew \"CE\"", user, true},
      {"userName gt \"ALICd\"", user, true},
      {"userName ge \"alice\"", user, true},
      {"userName lt \"ALICE\"", user, false},
      {"userName le \"ALICE\"", user, true},
      {"userName pr", user, true},
      // caseExact=true string
      {"externalId eq \"abc\"", user, false},
      {"externalId ne \"abc\"", user, true},
      {"externalId co \"bC\"", user, true},
      {"externalId sw \"a\"", user, false},
      {"externalId ew \"C\"", user, true},
      {"externalId gt \"AbB\"", user, true},
      {"externalId ge \"a\"", user, false},
      {"externalId lt \"a\"", user, true},
      {"externalId le \"AbC\"", user, true},
      {"externalId pr", user, true},
      // boolean
      {"active eq false", user, true},
      {"active ne false", user, false},
      {"active eq \"TRUE\"", user, false},
      {"active pr", user, true},
      // dateTime (meta from the header)
      {"meta.created eq \"2020-01-01T01:00:00+01:00\"", user, true},
      {"meta.created ne \"2020-01-01T00:00:00Z\"", user, false},
      {"meta.lastModified gt \"2021-06-01T12:00:00.499999Z\"", user, true},
      {"meta.lastModified ge \"2021-06-01T12:00:00.5Z\"", user, true},
      {"meta.lastModified lt \"2021-06-01T12:00:00.5Z\"", user, false},
      {"meta.lastModified le 2021-06-01T05:00:00.5-07:00", user, true},
      {"meta.created pr", user, true},
      // multi-valued
      {"emails eq \"B@Y.ORG\"", user, true},
      {"emails.value ne \"a@x.com\"", user, false},
      {"emails.value co \"@Y\"", user, true},
      {"emails.value sw \"b\"", user, true},
      {"emails.value ew \".net\"", user, false},
      {"emails.value gt \"b\"", user, true},
      {"emails.value ge \"c\"", user, false},
      {"emails.value lt \"a@x.com\"", user, false},
      {"emails.value le \"a@x.com\"", user, true},
      {"emails.type pr", user, true},
      {"emails[type eq \"home\" and value sw \"b\"]", user, true},
      {"emails[type eq \"home\" and value sw \"a\"]", user, false},
      // complex
      {"name.familyName eq \"smith\"", user, true},
      {"name.givenName ne \"al\"", user, false},
      {"name.familyName co \"MIT\"", user, true},
      {"name pr", user, true},
      {"name[familyName sw \"sm\" and givenName ew \"l\"]", user, true},
      // extension
      {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"SALES\"", user,
       true},
      {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department gt \"s\"", user,
       true},
      {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr", user, false},
      // missing
      {"title eq \"x\"", user, false},
      {"title ne \"x\"", user, true},
      {"title co \"x\"", user, false},
      {"title gt \"\"", user, false},
      {"title pr", user, false},
      {"title eq null", user, true},
      {"phoneNumbers[type eq \"work\"]", user, false},
      {"not (phoneNumbers[type eq \"work\"])", user, true},
  };
  for (const auto& c : cases) EXPECT_EQ(UserMatch(c.filter, c.json), c.want) << c.filter;
}

// Integer and decimal attributes are not in the built-in schema yet; the evaluator
// already handles them (for tenant schemas). Build bound filters by hand.
TEST(FilterEvalTest, IntegerAndDecimalComparisons) {
  auto make = [](CompareOp op, BoundValue::Kind kind, int64_t i, double d) {
    BoundFilter f;
    f.root = std::make_unique<BoundNode>();
    f.root->kind = BoundNode::Kind::kCompare;
    f.root->op = op;
    f.root->path.attr = "level";
    f.root->path.type =
        kind == BoundValue::Kind::kInteger ? AttrType::kInteger : AttrType::kDecimal;
    f.root->value.kind = kind;
    f.root->value.integer = i;
    f.root->value.decimal = d;
    return f;
  };
  const Json doc = J(R"({"level":5,"levels":[1.5,9],"text":"5"})");
  ResourceView view;
  view.attrs = &doc;
  EXPECT_TRUE(Matches(make(CompareOp::kEq, BoundValue::Kind::kInteger, 5, 5), view));
  EXPECT_TRUE(Matches(make(CompareOp::kGt, BoundValue::Kind::kInteger, 4, 4), view));
  EXPECT_FALSE(Matches(make(CompareOp::kLt, BoundValue::Kind::kInteger, 5, 5), view));
  EXPECT_TRUE(Matches(make(CompareOp::kLe, BoundValue::Kind::kDecimal, 0, 5.0), view));
  EXPECT_TRUE(Matches(make(CompareOp::kGt, BoundValue::Kind::kDecimal, 0, 4.5), view));
  EXPECT_TRUE(Matches(make(CompareOp::kNe, BoundValue::Kind::kInteger, 6, 6), view));
  auto multi = make(CompareOp::kLt, BoundValue::Kind::kDecimal, 0, 2.0);
  multi.root->path.attr = "levels";
  EXPECT_TRUE(Matches(multi, view));
  auto text = make(CompareOp::kEq, BoundValue::Kind::kInteger, 5, 5);
  text.root->path.attr = "text";
  EXPECT_FALSE(Matches(text, view));  // a string is not a number
}

TEST(FilterEvalTest, MembershipUsesTheOracle) {
  auto f = CompileFilter(ResourceType::kGroup,
                         "members[value eq \"2819c223-7f76-453a-919d-413861904646\"] or "
                         "displayName eq \"x\"");
  ASSERT_TRUE(f.ok());
  const Json attrs = J(R"({"displayName":"g"})");
  ResourceView view;
  view.type = ResourceType::kGroup;
  view.attrs = &attrs;
  EXPECT_FALSE(Matches(*f, view));  // no oracle: no member
  std::vector<ResourceId> asked;
  view.membership = [&](const ResourceId& id) {
    asked.push_back(id);
    return true;
  };
  EXPECT_TRUE(Matches(*f, view));
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].ToString(), "2819c223-7f76-453a-919d-413861904646");
}

TEST(FilterEvalTest, ValueFilterElements) {
  auto f =
      CompileValueFilter(ResourceType::kUser, "emails", "type eq \"work\" and primary eq true");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_TRUE(f->element_attr.has_value());
  EXPECT_EQ(f->element_attr->attr, "emails");
  EXPECT_TRUE(MatchesElement(*f, J(R"({"type":"WORK","primary":true,"value":"a"})")));
  EXPECT_FALSE(MatchesElement(*f, J(R"({"type":"work"})")));
  EXPECT_FALSE(MatchesElement(*f, J(R"("work")")));
  // A value filter is not a resource filter, and vice versa.
  ResourceView view;
  const Json attrs = J("{}");
  view.attrs = &attrs;
  EXPECT_FALSE(Matches(*f, view));
  auto g = CompileFilter(ResourceType::kUser, "title pr");
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(MatchesElement(g->bound(), J(R"({"title":"x"})")));
}

TEST(FilterBinderTest, ErrorsNameTheAttribute) {
  auto f = CompileFilter(ResourceType::kUser, "userName eq \"a\" and emails.vaule eq \"x\"");
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(f.status().Is(Status::Code::kInvalidFilter));
  EXPECT_EQ(f.status().detail(),
            "filter position 21: unknown sub-attribute \"emails.vaule\" of User");
}

TEST(FilterBinderTest, CanonicalNamesAndTypes) {
  auto f = CompileFilter(ResourceType::kUser, "NAME.GIVENNAME eq \"x\"");
  ASSERT_TRUE(f.ok());
  const BoundNode& n = *f->bound().root;
  EXPECT_EQ(n.path.attr, "name");
  EXPECT_EQ(n.path.sub, "givenName");
  EXPECT_EQ(n.path.type, AttrType::kString);
  EXPECT_FALSE(n.path.case_exact);
  EXPECT_EQ(n.value.folded, "x");
  f = CompileFilter(ResourceType::kUser, "externalId eq \"AbC\"");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->bound().root->path.case_exact);
  EXPECT_EQ(f->bound().root->value.folded, "AbC");
  f = CompileFilter(ResourceType::kUser, "userName eq \"AbC\"");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->bound().root->value.folded, "abc");
}

TEST(FilterPlanTest, UsesTheGivenIndexSet) {
  std::vector<IndexedAttr> indexed = SchemaRegistry::Default().indexed();
  indexed.push_back({5, ResourceType::kUser, "name.familyName", false, false});
  indexed.push_back({6, ResourceType::kUser,
                     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", false,
                     false});
  auto f = CompileFilter(ResourceType::kUser, "name.familyName sw \"Jen\"", indexed);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Explain(*f), "IndexPrefix(User.name.familyName sw \"jen\")");
  f = CompileFilter(ResourceType::kUser,
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "
                    "\"Sales\"",
                    indexed);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Explain(*f),
            "IndexEq(User.urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department "
            "= \"sales\")");
  // Without the index: full scan.
  f = CompileFilter(ResourceType::kUser, "name.familyName sw \"Jen\"", {});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->plan().source.kind, PlanNode::Kind::kFullScan);
}

TEST(FilterPlanTest, CaseExactIndexIsNotUsedForCaseInsensitiveAttributes) {
  // A byte-exact index over a caseExact=false attribute would miss "BJensen" for
  // "bjensen": the planner must not use it.
  std::vector<IndexedAttr> indexed = {{1, ResourceType::kUser, "userName", true, false}};
  auto f = CompileFilter(ResourceType::kUser, "userName eq \"bjensen\"", indexed);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Explain(*f), "FullScan(User) AND residual(userName eq \"bjensen\")");
  // A folding index over a caseExact attribute finds a superset: used, then re-checked.
  indexed = {{2, ResourceType::kUser, "externalId", false, false}};
  f = CompileFilter(ResourceType::kUser, "externalId eq \"AbC\"", indexed);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Explain(*f), "IndexEq(User.externalId = \"abc\") AND residual(externalId eq \"AbC\")");
}

TEST(FilterPlanTest, IdOrderedSources) {
  auto plan_of = [](std::string_view text) {
    auto f = CompileFilter(ResourceType::kUser, text);
    EXPECT_TRUE(f.ok());
    return f->plan().source;
  };
  EXPECT_TRUE(plan_of("emails.value eq \"a\"").IdOrdered());
  EXPECT_TRUE(plan_of("emails.value pr").IdOrdered());
  EXPECT_FALSE(plan_of("emails.value sw \"a\"").IdOrdered());
  EXPECT_FALSE(plan_of("userName gt \"a\"").IdOrdered());
  EXPECT_FALSE(plan_of("userName eq \"a\" or userName eq \"b\"").IdOrdered());
}

TEST(FilterApiTest, CompiledFilterIsSharedAcrossThreads) {
  auto compiled = CompileFilter(
      ResourceType::kUser,
      "emails[type eq \"work\" and value co \"@x.com\"] or (userName sw \"a\" and not (title pr))");
  ASSERT_TRUE(compiled.ok());
  const CompiledFilter shared = *compiled;  // copies share the same state
  EXPECT_EQ(&shared.bound(), &compiled->bound());
  const Json yes = J(R"({"userName":"abc"})");
  const Json no = J(R"({"userName":"abc","title":"t"})");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, copy = shared]() {
      ResourceView a, b;
      a.attrs = &yes;
      b.attrs = &no;
      for (int i = 0; i < 2000; ++i) {
        if (!Matches(copy, a) || Matches(copy, b)) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  CompiledFilter moved = std::move(*compiled);
  EXPECT_EQ(Explain(moved), Explain(shared));
}

}  // namespace
}  // namespace scimd::core
