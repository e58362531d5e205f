// Filter lexer/parser and dateTime parsing. Most behaviour is in the golden files
// (tests/golden/filter); these cover what text files cannot: node shapes, positions,
// bounds derived from the limits, and dateTime arithmetic.
#include "core/filter/filter_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/base/json.h"
#include "core/base/limits.h"
#include "core/base/strings.h"
#include "core/filter/filter.h"
#include "core/filter/filter_datetime.h"

namespace scimd::core {
namespace {

std::string Parsed(std::string_view text) {
  auto ast = ParseFilter(text);
  if (!ast.ok()) return "ERROR " + ast.status().detail();
  return (*ast)->ToString();
}

TEST(FilterParserTest, NodeShapes) {
  auto ast = ParseFilter("a pr and b eq \"x\" and not (c pr)");
  ASSERT_TRUE(ast.ok());
  const AstNode& root = **ast;
  ASSERT_EQ(root.kind, AstNode::Kind::kAnd);
  ASSERT_EQ(root.children.size(), 3u);  // n-ary, not a left-deep chain
  EXPECT_EQ(root.children[0]->kind, AstNode::Kind::kPresent);
  EXPECT_EQ(root.children[1]->kind, AstNode::Kind::kCompare);
  EXPECT_EQ(root.children[1]->op, CompareOp::kEq);
  EXPECT_EQ(root.children[1]->value.kind, AstLiteral::Kind::kString);
  EXPECT_EQ(root.children[1]->pos, 10u);
  EXPECT_EQ(root.children[1]->value.pos, 15u);
  EXPECT_EQ(root.children[2]->kind, AstNode::Kind::kNot);
}

TEST(FilterParserTest, UrnSplitsAtTheLastColon) {
  auto ast = ParseFilter(
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"x\"");
  ASSERT_TRUE(ast.ok());
  EXPECT_EQ((*ast)->path.urn, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
  EXPECT_EQ((*ast)->path.attr, "manager");
  EXPECT_EQ((*ast)->path.sub, "value");
}

TEST(FilterParserTest, AllOperatorsAnyCase) {
  for (const char* op : {"eq", "NE", "Co", "sW", "ew", "GT", "ge", "Lt", "LE"}) {
    auto ast = ParseFilter(std::string("a ") + op + " 1");
    ASSERT_TRUE(ast.ok()) << op;
    EXPECT_EQ(ToLowerAscii(op), CompareOpName((*ast)->op));
  }
}

TEST(FilterParserTest, BareWordsAndLiterals) {
  auto ast = ParseFilter("a eq example.com");
  ASSERT_TRUE(ast.ok());
  EXPECT_TRUE((*ast)->value.bare);
  EXPECT_EQ((*ast)->value.text, "example.com");
  ast = ParseFilter("a eq \"example.com\"");
  ASSERT_TRUE(ast.ok());
  EXPECT_FALSE((*ast)->value.bare);
  EXPECT_EQ(Parsed("a eq 0"), "(a eq 0)");
  EXPECT_EQ(Parsed("a eq 01"), "(a eq \"01\")");  // not a JSON number: a bare word
  EXPECT_EQ(Parsed("a eq 1."), "(a eq \"1.\")");
  EXPECT_EQ(Parsed("a eq -"), "(a eq \"-\")");
  EXPECT_EQ(Parsed("a eq NULL"), "(a eq \"NULL\")");
}

TEST(FilterParserTest, StringEscapes) {
  auto ast = ParseFilter(R"(a eq "\u0041\n\"\\\/\b\f\r\t")");
  ASSERT_TRUE(ast.ok()) << ast.status().ToString();
  EXPECT_EQ((*ast)->value.text, "A\n\"\\/\b\f\r\t");
  ast = ParseFilter(R"(a eq "\ud83d\ude00")");
  ASSERT_TRUE(ast.ok());
  EXPECT_EQ((*ast)->value.text, "\xF0\x9F\x98\x80");
  EXPECT_EQ(Parsed("a eq \"\x01\""),
            "ERROR filter position 7: control character in string "
            "(escape it)");
  EXPECT_EQ(Parsed(R"(a eq "\udc00")"),
            "ERROR filter position 7: unpaired surrogate in \\u escape");
}

TEST(FilterParserTest, ErrorsAreInvalidFilterWithPosition) {
  auto ast = ParseFilter("userName xx \"a\"");
  ASSERT_FALSE(ast.ok());
  EXPECT_TRUE(ast.status().Is(Status::Code::kInvalidFilter));
  EXPECT_EQ(ast.status().detail(),
            "filter position 10: expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) "
            "after \"userName\", found \"xx\"");
  EXPECT_EQ(Parsed("a pr and"),
            "ERROR filter position 9: expected an attribute path, found end "
            "of filter");
  EXPECT_EQ(Parsed("a pr and and b pr"),
            "ERROR filter position 10: expected an attribute path, found \"and\"");
  EXPECT_EQ(Parsed("a[b pr"),
            "ERROR filter position 7: expected \"]\" to close the \"[\" at "
            "position 2, found end of filter");
  // Long tokens are shortened in messages.
  const std::string long_word(100, 'x');
  EXPECT_EQ(Parsed("a pr " + long_word),
            "ERROR filter position 6: expected \"and\", \"or\" or the end of the filter, found \"" +
                std::string(40, 'x') + "...\"");
}

TEST(FilterParserTest, DepthAndLengthBounds) {
  std::string ok, deep;
  for (size_t i = 0; i < kMaxFilterDepth; ++i) ok += "(";
  ok += "a pr";
  for (size_t i = 0; i < kMaxFilterDepth; ++i) ok += ")";
  EXPECT_TRUE(ParseFilter(ok).ok());
  deep = "(" + ok + ")";
  auto r = ParseFilter(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().detail().find("nests deeper than"), std::string::npos);
  // Depth counts not and valuePath brackets too.
  std::string nots;
  for (size_t i = 0; i < kMaxFilterDepth - 1; ++i) nots += "not ";
  EXPECT_TRUE(ParseFilter(nots + "a[b pr]").ok());
  EXPECT_FALSE(ParseFilter(nots + "not a[b pr]").ok());
  std::string at_limit = "a eq \"" + std::string(kMaxFilterLength - 7, 'x') + "\"";
  ASSERT_EQ(at_limit.size(), kMaxFilterLength);
  EXPECT_TRUE(ParseFilter(at_limit).ok());
  EXPECT_FALSE(ParseFilter(at_limit + " ").ok());
}

TEST(FilterParserTest, AttrPath) {
  auto p = ParseAttrPath("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->attr, "manager");
  EXPECT_FALSE(ParseAttrPath("emails[type eq \"x\"]").ok());
  EXPECT_FALSE(ParseAttrPath("emails x").ok());
  EXPECT_FALSE(ParseAttrPath("").ok());
}

TEST(FilterDateTimeTest, ParsesRfc3339AndXsd) {
  const int64_t base = *ParseDateTimeMicros("2015-10-10T21:38:21Z");
  EXPECT_EQ(base, int64_t{1444513101} * 1000000);
  EXPECT_EQ(*ParseDateTimeMicros("2015-10-10T14:38:21-07:00"), base);
  EXPECT_EQ(*ParseDateTimeMicros("2015-10-11T03:08:21+05:30"), base);
  EXPECT_EQ(*ParseDateTimeMicros("2015-10-10T21:38:21"), base);  // no offset: UTC
  EXPECT_EQ(*ParseDateTimeMicros("2015-10-10t21:38:21z"), base);
  EXPECT_EQ(*ParseDateTimeMicros("2015-10-10T21:38:21.5Z"), base + 500000);
  EXPECT_EQ(*ParseDateTimeMicros("2015-10-10T21:38:21.8617979Z"), base + 861797);  // truncated
  EXPECT_EQ(*ParseDateTimeMicros("2015-10-10T21:38:21.000000000000001Z"), base);
  EXPECT_EQ(*ParseDateTimeMicros("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseDateTimeMicros("1969-12-31T23:59:59.5Z"), -500000);
  EXPECT_EQ(*ParseDateTimeMicros("2016-02-29T24:00:00Z"),
            *ParseDateTimeMicros("2016-03-01T00:00:00Z"));
  for (const char* bad :
       {"", "2015-10-10", "2015-10-10T21:38", "2015-10-10T21:38:21.", "2015-1-10T21:38:21Z",
        "2015-10-32T00:00:00Z", "2015-02-29T00:00:00Z", "2015-10-10T25:00:00Z",
        "2015-10-10T24:00:01Z", "2015-10-10T21:38:21+7:00", "2015-10-10T21:38:21+15:00",
        "2015-10-10T21:38:21Zx", "2015-10-10 21:38:21Z"}) {
    EXPECT_FALSE(ParseDateTimeMicros(bad).has_value()) << bad;
  }
}

TEST(FilterDateTimeTest, FormatsRoundTrip) {
  for (int64_t micros : {int64_t{0}, int64_t{-1}, int64_t{1444513101861797}, int64_t{-86400000001},
                         int64_t{253402300799999999}}) {
    const std::string text = FormatDateTimeMicros(micros);
    EXPECT_EQ(*ParseDateTimeMicros(text), micros) << text;
  }
  EXPECT_EQ(FormatDateTimeMicros(1444513101861797), "2015-10-10T21:38:21.861797Z");
  EXPECT_EQ(FormatDateTimeMicros(-1), "1969-12-31T23:59:59.999999Z");
}

// Random mutations of real filters: compiling never crashes (run under ASan/UBSan in the
// sanitizer build) and every failure is invalidFilter.
TEST(FilterParserTest, RandomMutationsFailCleanly) {
  const std::string seeds[] = {
      R"(emails[type eq "work" and value co "@x.com"] or not (userName sw "a\u00e9"))",
      R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x")",
      R"(meta.created gt 2015-10-10T14:38:21.8617979-07:00 and (active eq true or title pr))",
      R"(emails[type eq "work"].value eq "a" and members[value eq "b"])",
  };
  const char kAlphabet[] = "()[]\" .:aeonrtqp0-9\\u";
  std::mt19937 rng(42);
  for (int i = 0; i < 20000; ++i) {
    std::string s = seeds[rng() % std::size(seeds)];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0: s.erase(at, 1 + rng() % 3); break;
        case 1: s.insert(at, 1, kAlphabet[rng() % (sizeof(kAlphabet) - 1)]); break;
        default: s[at] = static_cast<char>(rng() % 256); break;
      }
    }
    for (ResourceType type : {ResourceType::kUser, ResourceType::kGroup}) {
      auto f = CompileFilter(type, s);
      if (!f.ok()) {
        EXPECT_TRUE(f.status().Is(Status::Code::kInvalidFilter))
            << s << ": " << f.status().ToString();
      }
    }
  }
}

}  // namespace
}  // namespace scimd::core
