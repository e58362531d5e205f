#include "core/base/json.h"

#include <gtest/gtest.h>

#include "core/base/json_dom.h"
#include "core/base/limits.h"

namespace scimd::core {
namespace {

TEST(JsonTest, ParseAndSerializeRoundTrip) {
  auto j = Json::Parse(R"({"a":1,"b":[true,false,null],"c":{"d":"e\"\\\n\u0001"},"f":-2.5})");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(j->Serialize(), R"({"a":1,"b":[true,false,null],"c":{"d":"e\"\\\n\u0001"},"f":-2.5})");
}

// AppendJsonString looks at eight bytes at a time: each byte that needs escaping is found
// at every position of a word and next to multi-byte UTF-8, as a byte-by-byte escape does.
TEST(JsonTest, EscapesEveryByteThatNeedsItAtAnyPosition) {
  auto reference = [](std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"') {
        out += "\\\"";
      } else if (c == '\\') {
        out += "\\\\";
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c == '\b') {
        out += "\\b";
      } else if (c == '\f') {
        out += "\\f";
      } else if (c < 0x20) {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
    return out + "\"";
  };
  const std::string specials = std::string("\"\\\n\r\t\b\f\x01\x1f\x7f", 10) + std::string(1, '\0');
  for (size_t len = 0; len <= 20; ++len) {
    for (size_t at = 0; at < len; ++at) {
      for (char special : specials) {
        std::string s(len, 'a');
        for (size_t i = 0; i < len; i += 3) s[i] = static_cast<char>(0xC3);  // UTF-8 lead bytes
        s[at] = special;
        std::string out;
        AppendJsonString(out, s);
        EXPECT_EQ(out, reference(s)) << "length " << len << " at " << at;
      }
    }
    std::string plain(len, 'z');
    std::string out;
    AppendJsonString(out, plain);
    EXPECT_EQ(out, "\"" + plain + "\"");
  }
}

TEST(JsonTest, KeepsInsertionOrderAndFindsCaseInsensitively) {
  auto j = Json::Parse(R"({"zeta":1,"Alpha":2})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->as_object()[0].first, "zeta");
  ASSERT_NE(j->FindCi("ALPHA"), nullptr);
  EXPECT_EQ(j->FindCi("alpha")->as_int(), 2);
  EXPECT_EQ(j->Find("alpha"), nullptr);
}

TEST(JsonTest, RejectsMalformedInput) {
  for (const char* bad : {"", "{", "{\"a\":}", "[1,]", "tru", "{\"a\":1}}", "\"\xff\""}) {
    auto j = Json::Parse(bad);
    EXPECT_FALSE(j.ok()) << bad;
    if (!j.ok()) {
      EXPECT_TRUE(j.status().Is(Status::Code::kInvalidSyntax));
    }
  }
}

TEST(JsonTest, RejectsDuplicateKeysCaseInsensitively) {
  EXPECT_FALSE(Json::Parse(R"({"a":1,"a":2})").ok());
  EXPECT_FALSE(Json::Parse(R"({"userName":1,"USERNAME":2})").ok());
  EXPECT_TRUE(Json::Parse(R"({"a":{"a":1}})").ok());  // nested objects are separate scopes
}

// The duplicate check compares a key with the ones before it only when a bit of its
// length and end bytes is set already: every duplicate is still found, at any position,
// past the 32 keys kept inline, and keys that share the bit but differ are accepted.
TEST(JsonTest, FindsEveryDuplicateKeyAmongMany) {
  auto object = [](const std::vector<std::string>& keys) {
    std::string text = "{";
    for (size_t i = 0; i < keys.size(); ++i) {
      text += (i ? ",\"" : "\"") + keys[i] + "\":" + std::to_string(i);
    }
    return text + "}";
  };
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back("k" + std::to_string(i * 7919 % 1000) + "x");
  ASSERT_TRUE(Json::Parse(object(keys)).ok());  // 300 distinct keys: many share a bit
  ASSERT_TRUE(ParseDom(object(keys)).ok());
  for (size_t dup : {size_t{0}, size_t{5}, size_t{31}, size_t{32}, size_t{33}, size_t{299}}) {
    for (size_t at : {dup + 1, size_t{150}, size_t{300}}) {
      if (at <= dup) continue;
      std::vector<std::string> with = keys;
      std::string upper = keys[dup];
      upper[0] = 'K';
      upper.back() = 'X';
      with.insert(with.begin() + static_cast<std::ptrdiff_t>(at), upper);
      auto tree = Json::Parse(object(with));
      ASSERT_FALSE(tree.ok()) << dup << " at " << at;
      EXPECT_NE(tree.status().detail().find("duplicate attribute \"" + upper + "\""),
                std::string::npos);
      EXPECT_FALSE(ParseDom(object(with)).ok()) << dup << " at " << at;
    }
  }
}

TEST(JsonTest, EnforcesDepthLimit) {
  std::string ok_depth(20, '['), too_deep(200, '[');
  ok_depth += std::string(20, ']');
  too_deep += std::string(200, ']');
  EXPECT_TRUE(Json::Parse(ok_depth).ok());
  auto j = Json::Parse(too_deep);
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().detail().find("deeper"), std::string::npos);
}

TEST(JsonTest, NumbersKeepTheirKind) {
  auto j = Json::Parse(R"([1, -9223372036854775808, 18446744073709551615, 1.5e3])");
  ASSERT_TRUE(j.ok());
  const auto& a = j->as_array();
  EXPECT_TRUE(a[0].is_int());
  EXPECT_EQ(a[1].as_int(), INT64_MIN);
  EXPECT_FALSE(a[2].is_int());  // beyond int64: kept as a double
  EXPECT_DOUBLE_EQ(a[3].as_double(), 1500.0);
}

TEST(JsonTest, SetReplacesAndEraseCi) {
  Json o = Json::MakeObject();
  o.Set("a", Json::Int(1));
  o.Set("a", Json::Int(2));
  EXPECT_EQ(o.as_object().size(), 1u);
  EXPECT_EQ(o.Find("a")->as_int(), 2);
  EXPECT_TRUE(o.EraseCi("A"));
  EXPECT_TRUE(o.as_object().empty());
}

// The root is at depth 1; a value deeper than kMaxJsonDepth is refused, also a scalar or an
// empty container, in arrays and in objects, by Json::Parse and ParseDom alike.
TEST(JsonTest, NestingDeeperThanTheLimitIsRefused) {
  auto nested = [](size_t arrays, std::string_view inner) {
    return std::string(arrays, '[') + std::string(inner) + std::string(arrays, ']');
  };
  auto objects = [](size_t levels, std::string_view inner) {
    std::string s;
    for (size_t i = 0; i < levels; ++i) s += "{\"a\":";
    s += inner;
    return s + std::string(levels, '}');
  };
  const size_t max = kMaxJsonDepth;
  const std::pair<std::string, bool> cases[] = {
      {nested(max - 1, "1"), true},   {nested(max, "1"), false},
      {nested(max, ""), true},        {nested(max + 1, ""), false},
      {objects(max - 1, "1"), true},  {objects(max, "1"), false},
      {objects(max - 1, "{}"), true}, {objects(max, "{}"), false},
      {nested(max - 1, "{}"), true},  {nested(max - 1, "{\"b\":1}"), false},
  };
  for (const auto& [text, ok] : cases) {
    EXPECT_EQ(Json::Parse(text).ok(), ok) << text;
    EXPECT_EQ(ParseDom(text).ok(), ok) << text;
    if (!ok) {
      EXPECT_NE(Json::Parse(text).status().detail().find("nesting deeper"), std::string::npos);
    }
  }
}

TEST(JsonTest, CopyIsDeep) {
  Json a = Json::MakeObject();
  a.Set("x", Json::MakeArray());
  Json b = a;
  b.FindCi("x")->Push(Json::Int(1));
  EXPECT_TRUE(a.Find("x")->as_array().empty());
  EXPECT_EQ(b.Find("x")->as_array().size(), 1u);
}

TEST(JsonTest, FindEachCiFindsWhatFindCiFinds) {
  // Several names in one pass: each found in any case, with its value; absent ones empty;
  // slots that held something before are reset.
  auto dom = ParseDom(R"({"ID":"7","Meta":{"version":"W/\"2\""},"schemas":[],"x":null})");
  ASSERT_TRUE(dom.ok());
  static constexpr std::string_view kNames[] = {"id", "meta", "Resources", "SCHEMAS", "x"};
  std::optional<JsonDomValue> found[std::size(kNames)];
  found[2] = *dom;  // stale: must be reset
  dom->FindEachCi(kNames, found);
  for (size_t i = 0; i < std::size(kNames); ++i) {
    EXPECT_EQ(found[i].has_value(), dom->FindCi(kNames[i]).has_value()) << kNames[i];
  }
  ASSERT_TRUE(found[0] && found[0]->is_string());
  EXPECT_EQ(found[0]->str(), "7");
  EXPECT_TRUE(found[1]->is_object());
  EXPECT_FALSE(found[2].has_value());
  EXPECT_TRUE(found[3]->is_array());
  EXPECT_TRUE(found[4]->is_null());
}

TEST(JsonTest, ParseStoredDomReadsWhatScimdStoredAndLeavesParseDomsValueAlone) {
  auto body = ParseDom(R"({"userName":"a"})");
  ASSERT_TRUE(body.ok());
  auto stored = ParseStoredDom(R"({"userName":"b","emails":[{"value":"b@x"}]})");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(body->FindCi("userName")->str(), "a");  // a parser of its own
  EXPECT_EQ(stored->FindCi("userName")->str(), "b");
  EXPECT_TRUE(stored->FindCi("emails")->is_array());
  // Not JSON: Corruption (stored data is scimd's own), not a client's InvalidSyntax.
  auto bad = ParseStoredDom(R"({"userName":)");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().Is(Status::Code::kCorruption));
}

// fuzz_resource's finding (tests/fuzz/corpus/fuzz_resource/): the shortest form of a large
// double can be all digits, which read back is an integer past 64 bits and was refused.
// A double is always written as a decimal, and reads back as the same double.
TEST(JsonTest, ADoubleIsWrittenAsADecimalThatReadsBackTheSame) {
  for (const char* text : {"1333131112131133321311.3333112", "5.0", "-7.0", "0.5", "1e300",
                           "123456789012345678901234567890.0", "-0.0"}) {
    SCOPED_TRACE(text);
    auto parsed = Json::Parse(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    const std::string written = parsed->Serialize();
    EXPECT_NE(written.find_first_of(".eE"), std::string::npos) << written;
    auto again = Json::Parse(written);
    ASSERT_TRUE(again.ok()) << written << ": " << again.status().ToString();
    EXPECT_EQ(again->Serialize(), written);
  }
  EXPECT_EQ(Json::Parse("1333131112131133321311.3333112")->Serialize(), "1333131112131133440000.0");
}

}  // namespace
}  // namespace scimd::core
