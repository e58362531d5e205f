// Runs the filter golden files, tests/golden/filter/*.txt (format: tests/golden/filter/README).
// Each case compiles one filter and checks the expected parse, bind, plan or error text,
// and/or whether given resources (or value-filter elements) match.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "core/filter/filter.h"
#include "core/filter/filter_binder.h"
#include "core/filter/filter_datetime.h"
#include "core/filter/filter_parser.h"

namespace scimd::core {
namespace {

namespace fs = std::filesystem;

fs::path GoldenDir() {
  if (const char* src = std::getenv("SCIMD_SOURCE_DIR"); src != nullptr && *src != '\0') {
    return fs::path(src) / "tests" / "golden" / "filter";
  }
  return fs::path(__FILE__).parent_path().parent_path() / "golden" / "filter";
}

struct Line {
  std::string key;
  std::string value;
  int number = 0;
};

struct Case {
  std::string file;
  int line = 0;
  std::vector<Line> lines;
};

std::vector<Case> ReadCases(const fs::path& file) {
  std::vector<Case> cases;
  std::ifstream in(file);
  std::string text;
  Case current;
  current.file = file.filename().string();
  int number = 0;
  auto flush = [&]() {
    if (!current.lines.empty()) cases.push_back(current);
    current.lines.clear();
  };
  while (std::getline(in, text)) {
    ++number;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.empty()) {
      flush();
      continue;
    }
    if (text[0] == '#') continue;
    const size_t colon = text.find(':');
    Line l;
    l.number = number;
    if (colon == std::string::npos) {
      l.key = "?";
      l.value = text;
    } else {
      l.key = text.substr(0, colon);
      l.value = text.substr(colon + 1);
      if (!l.value.empty() && l.value[0] == ' ') l.value.erase(0, 1);
    }
    if (current.lines.empty()) current.line = number;
    current.lines.push_back(std::move(l));
  }
  flush();
  return cases;
}

Json ParseJsonOrFail(const std::string& text, const std::string& where) {
  auto j = Json::Parse(text);
  EXPECT_TRUE(j.ok()) << where << ": bad JSON: " << j.status().ToString();
  return j.ok() ? std::move(j).value() : Json::MakeObject();
}

std::vector<ResourceId> ParseIds(const std::string& list, const std::string& where) {
  std::vector<ResourceId> out;
  size_t start = 0;
  while (start < list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string item = list.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) {
      auto id = ResourceId::Parse(item);
      EXPECT_TRUE(id.ok()) << where << ": bad id " << item;
      if (id.ok()) out.push_back(*id);
    }
    start = comma + 1;
  }
  return out;
}

constexpr char kDefaultId[] = "018f2b4c-0000-7000-8000-000000000001";

// Runs one case; returns the number of checks made.
int RunCase(const Case& c) {
  const std::string where = c.file + ":" + std::to_string(c.line);
  ResourceType type = ResourceType::kUser;
  std::string filter_text, attr;
  bool has_filter = false;
  int checks = 0;
  ResourceView view;
  view.id = *ResourceId::Parse(kDefaultId);
  view.header.version = 1;
  view.header.created_us = *ParseDateTimeMicros("2020-01-01T00:00:00Z");
  view.header.modified_us = view.header.created_us;
  std::set<ResourceId> related;
  std::optional<Json> resource, element;
  std::string resource_text;  // for the in-place check (view.dom) of each match
  std::optional<Result<CompiledFilter>> compiled;
  std::optional<Result<BoundFilter>> value_filter;

  auto compile = [&]() {
    if (!attr.empty()) {
      if (!value_filter) value_filter = CompileValueFilter(type, attr, filter_text);
    } else if (!compiled) {
      compiled = CompileFilter(type, filter_text);
    }
  };
  auto compile_status = [&]() -> Status {
    compile();
    return attr.empty() ? compiled->status() : value_filter->status();
  };

  for (const Line& l : c.lines) {
    const std::string at = c.file + ":" + std::to_string(l.number);
    if (l.key == "type") {
      EXPECT_TRUE(l.value == "User" || l.value == "Group") << at << ": type User or Group";
      type = l.value == "Group" ? ResourceType::kGroup : ResourceType::kUser;
    } else if (l.key == "filter") {
      filter_text = l.value;
      has_filter = true;
    } else if (l.key == "attr") {
      attr = l.value;
    } else if (l.key == "parse") {
      ++checks;
      auto ast = ParseFilter(filter_text);
      EXPECT_TRUE(ast.ok()) << at << ": " << ast.status().ToString();
      if (ast.ok()) {
        EXPECT_EQ((*ast)->ToString(), l.value) << at;
      }
    } else if (l.key == "bind") {
      ++checks;
      Status s = compile_status();
      EXPECT_TRUE(s.ok()) << at << ": " << s.ToString();
      if (s.ok()) {
        EXPECT_EQ(attr.empty() ? (*compiled)->bound().ToString() : (*value_filter)->ToString(),
                  l.value)
            << at;
      }
    } else if (l.key == "plan") {
      ++checks;
      Status s = compile_status();
      EXPECT_TRUE(s.ok()) << at << ": " << s.ToString();
      if (s.ok() && attr.empty()) {
        EXPECT_EQ(Explain(**compiled), l.value) << at;
      }
    } else if (l.key == "error") {
      ++checks;
      Status s = compile_status();
      EXPECT_TRUE(s.Is(Status::Code::kInvalidFilter))
          << at << ": expected invalidFilter, got " << (s.ok() ? "OK" : s.ToString());
      EXPECT_NE(s.detail().find(l.value), std::string::npos)
          << at << ": the detail \"" << s.detail() << "\" does not contain \"" << l.value << "\"";
    } else if (l.key == "id") {
      auto id = ResourceId::Parse(l.value);
      EXPECT_TRUE(id.ok()) << at;
      if (id.ok()) view.id = *id;
    } else if (l.key == "created" || l.key == "modified") {
      auto micros = ParseDateTimeMicros(l.value);
      EXPECT_TRUE(micros.has_value()) << at << ": bad dateTime";
      (l.key == "created" ? view.header.created_us : view.header.modified_us) = micros.value_or(0);
    } else if (l.key == "version") {
      view.header.version = std::stoull(l.value);
    } else if (l.key == "related") {
      auto ids = ParseIds(l.value, at);
      related = std::set<ResourceId>(ids.begin(), ids.end());
    } else if (l.key == "resource") {
      resource = ParseJsonOrFail(l.value, at);
      resource_text = l.value;
      element.reset();
    } else if (l.key == "element") {
      element = ParseJsonOrFail(l.value, at);
      resource.reset();
    } else if (l.key == "match") {
      ++checks;
      EXPECT_TRUE(l.value == "true" || l.value == "false") << at << ": match true or false";
      Status s = compile_status();
      EXPECT_TRUE(s.ok()) << at << ": " << s.ToString();
      if (!s.ok()) continue;
      bool got = false;
      if (attr.empty()) {
        EXPECT_TRUE(resource.has_value()) << at << ": match without resource";
        if (!resource) continue;
        view.type = type;
        view.attrs = &*resource;
        view.membership = [&](const ResourceId& other) { return related.count(other) > 0; };
        view.has_membership = [&]() { return !related.empty(); };
        got = Matches(**compiled, view);
        // The same resource read in place, as MatchesStored reads a stored one: the
        // evaluator over simdjson's document must agree with the one over a Json tree.
        auto dom = ParseStoredDom(resource_text);
        EXPECT_TRUE(dom.ok()) << at;
        if (dom.ok()) {
          ResourceView in_place = view;
          in_place.attrs = nullptr;
          in_place.dom = &*dom;
          EXPECT_EQ(Matches(**compiled, in_place), got)
              << at << ": in place, filter " << filter_text;
        }
      } else {
        EXPECT_TRUE(element.has_value()) << at << ": match without element";
        if (!element) continue;
        got = MatchesElement(**value_filter, *element);
      }
      EXPECT_EQ(got ? "true" : "false", l.value) << at << ": filter " << filter_text;
    } else {
      ADD_FAILURE() << at << ": unknown key \"" << l.key << "\"";
    }
  }
  EXPECT_TRUE(has_filter) << where << ": a case needs a filter line";
  return checks;
}

TEST(FilterGoldenTest, AllFiles) {
  const fs::path dir = GoldenDir();
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".txt") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  int cases = 0, checks = 0;
  for (const auto& f : files) {
    for (const Case& c : ReadCases(f)) {
      ++cases;
      checks += RunCase(c);
    }
  }
  EXPECT_GT(cases, 50);
  std::printf("filter golden: %zu files, %d cases, %d checks\n", files.size(), cases, checks);
}

}  // namespace
}  // namespace scimd::core
