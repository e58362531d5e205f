// Runs the PATCH golden cases in tests/golden/patch/*.txt (format: README.md there).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/usecase/patch.h"

namespace scimd::core {
namespace {

struct GoldenCase {
  std::string file;
  int line = 0;
  std::string name;
  std::map<std::string, std::string> fields;
};

std::filesystem::path GoldenDir() {
  if (const char* src = std::getenv("SCIMD_SOURCE_DIR")) {
    return std::filesystem::path(src) / "tests/golden/patch";
  }
  return std::filesystem::path(__FILE__).parent_path().parent_path() / "golden/patch";
}

std::vector<GoldenCase> LoadCases() {
  std::vector<GoldenCase> cases;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(GoldenDir())) {
    if (entry.path().extension() == ".txt") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.empty() || line[0] == '#') continue;
      if (line.rfind("== ", 0) == 0) {
        cases.push_back({path.filename().string(), n, line.substr(3), {}});
        continue;
      }
      const size_t colon = line.find(": ");
      if (cases.empty() || colon == std::string::npos) {
        ADD_FAILURE() << path << ":" << n << ": cannot read line: " << line;
        continue;
      }
      cases.back().fields[line.substr(0, colon)] = line.substr(colon + 2);
    }
  }
  return cases;
}

// Object keys sorted recursively, so expectations need not repeat the engine's key order.
Json Canonical(const Json& j) {
  if (j.is_array()) {
    Json out = Json::MakeArray();
    for (const auto& v : j.as_array()) out.Push(Canonical(v));
    return out;
  }
  if (!j.is_object()) return j;
  std::vector<std::pair<std::string, Json>> members;
  for (const auto& [k, v] : j.as_object()) members.emplace_back(k, Canonical(v));
  std::sort(members.begin(), members.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  Json out = Json::MakeObject();
  for (auto& [k, v] : members) out.Set(k, std::move(v));
  return out;
}

std::string DescribeMembers(const std::vector<MemberChange>& changes) {
  std::string out;
  for (const auto& c : changes) {
    if (!out.empty()) out += "; ";
    switch (c.kind) {
      case MemberChange::Kind::kRemoveAll: out += "remove-all"; break;
      case MemberChange::Kind::kRemove:
        out += "remove";
        for (const auto& id : c.ids) out += " " + id.ToString();
        break;
      case MemberChange::Kind::kAdd:
        out += "add";
        for (const auto& m : c.members) {
          out += " " + m.id.ToString();
          if (!m.display.empty()) out += ":" + m.display;
        }
        break;
    }
  }
  return out;
}

TEST(PatchGoldenTest, AllCases) {
  const auto cases = LoadCases();
  ASSERT_GT(cases.size(), 40u) << "golden cases not found in " << GoldenDir();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file + ":" + std::to_string(c.line) + ": " + c.name);
    const auto field = [&](const std::string& k) {
      auto it = c.fields.find(k);
      return it == c.fields.end() ? std::string() : it->second;
    };
    const ResourceType type = field("type") == "Group" ? ResourceType::kGroup : ResourceType::kUser;
    auto resource_json = Json::Parse(field("resource"));
    ASSERT_TRUE(resource_json.ok()) << "resource: " << resource_json.status().ToString();
    auto resource = DecodeInput(type, *resource_json, {});
    ASSERT_TRUE(resource.ok()) << "resource: " << resource.status().ToString();
    auto body = Json::Parse("{\"Operations\":" + field("patch") + "}");
    ASSERT_TRUE(body.ok()) << "patch: " << body.status().ToString();
    auto ops = ParsePatchRequest(*body);
    Result<PatchOutcome> outcome =
        ops.ok() ? ApplyPatch(type, resource->attrs, *ops, {}) : Result<PatchOutcome>(ops.status());

    if (!field("error").empty()) {
      ASSERT_FALSE(outcome.ok()) << "expected " << field("error") << ", got "
                                 << outcome->attrs.Serialize();
      const std::string got = std::string(CodeName(outcome.status().code()));
      EXPECT_EQ(got, field("error")) << outcome.status().ToString();
      EXPECT_FALSE(outcome.status().detail().empty());
      continue;
    }
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
    auto expected = Json::Parse(field("result"));
    ASSERT_TRUE(expected.ok()) << "result: " << expected.status().ToString();
    Json want = *expected;
    if (want.Find("schemas") == nullptr) {
      if (const Json* s = outcome->attrs.Find("schemas")) want.Set("schemas", *s);
    }
    EXPECT_EQ(Canonical(outcome->attrs).Serialize(), Canonical(want).Serialize());
    EXPECT_EQ(DescribeMembers(outcome->members), field("members"));
    EXPECT_EQ(outcome->attrs_changed, outcome->attrs.Serialize() != resource->attrs.Serialize());
  }
}

TEST(PatchTest, RequestEnvelope) {
  auto parse = [](std::string_view text) { return ParsePatchRequest(*Json::Parse(text)); };
  EXPECT_TRUE(
      parse(R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]})")
          .ok());
  EXPECT_TRUE(parse(R"({"operations":[{"op":"add","path":"a","value":1}]})").ok());
  EXPECT_FALSE(parse(R"({"schemas":["urn:x"],"Operations":[]})").ok());
  EXPECT_FALSE(parse(R"({"Operations":{}})").ok());
  EXPECT_FALSE(parse(R"({})").ok());
  EXPECT_FALSE(parse(R"([])").ok());
  EXPECT_FALSE(parse(R"({"Operations":[{"op":"merge","path":"a"}]})").ok());
  EXPECT_FALSE(parse(R"({"Operations":[{"path":"a"}]})").ok());
  EXPECT_FALSE(parse(R"({"Operations":[{"op":"add","path":5}]})").ok());
  EXPECT_FALSE(parse(R"({"Operations":[1]})").ok());
  auto ops = parse(R"({"Operations":[{"op":"Remove","path":" title "}]})");
  ASSERT_TRUE(ops.ok());
  EXPECT_EQ((*ops)[0].op, PatchOperation::Op::kRemove);
  EXPECT_EQ((*ops)[0].path, "title");
  EXPECT_FALSE((*ops)[0].has_value);
}

TEST(PatchTest, UnchangedPatchReportsNoChange) {
  auto in = DecodeInput(ResourceType::kUser, *Json::Parse(R"({"userName":"a","title":"t"})"), {});
  auto ops = ParsePatchRequest(
      *Json::Parse(R"({"Operations":[{"op":"replace","path":"title","value":"t"}]})"));
  auto out = ApplyPatch(ResourceType::kUser, in->attrs, *ops, {});
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->attrs_changed);
}

TEST(PatchTest, PasswordIsTakenOutOfTheDocument) {
  auto in = DecodeInput(ResourceType::kUser, *Json::Parse(R"({"userName":"a"})"), {});
  auto ops = ParsePatchRequest(
      *Json::Parse(R"({"Operations":[{"op":"replace","path":"password","value":"s3cret"}]})"));
  auto out = ApplyPatch(ResourceType::kUser, in->attrs, *ops, {});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->password.value_or(""), "s3cret");
  EXPECT_EQ(out->attrs.Serialize().find("s3cret"), std::string::npos);
}

}  // namespace
}  // namespace scimd::core
