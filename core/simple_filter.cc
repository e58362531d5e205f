#include "core/simple_filter.h"

#include "core/limits.h"
#include "core/schema.h"

namespace scimd::core {

namespace {

void SkipSpaces(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}

Status Invalid(std::string detail) { return Status::InvalidFilter(std::move(detail)); }

// A JSON string literal starting at s[i] == '"'; handles the JSON escapes.
Result<std::string> ParseString(std::string_view s, size_t& i) {
  std::string out;
  ++i;
  while (i < s.size()) {
    const char c = s[i++];
    if (c == '"') return out;
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (i >= s.size()) break;
    const char e = s[i++];
    switch (e) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '/': out.push_back('/'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        if (i + 4 > s.size()) return Invalid("truncated \\u escape in filter string");
        unsigned cp = 0;
        for (int k = 0; k < 4; ++k) {
          const char h = s[i++];
          cp <<= 4;
          if (h >= '0' && h <= '9') cp |= h - '0';
          else if (h >= 'a' && h <= 'f') cp |= h - 'a' + 10;
          else if (h >= 'A' && h <= 'F') cp |= h - 'A' + 10;
          else return Invalid("bad \\u escape in filter string");
        }
        // Encode the BMP code point as UTF-8 (surrogate pairs are not combined here).
        if (cp < 0x80) {
          out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
          out.push_back(static_cast<char>(0xC0 | cp >> 6));
          out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
          out.push_back(static_cast<char>(0xE0 | cp >> 12));
          out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
          out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
        break;
      }
      default: return Invalid(std::string("bad escape \\") + e + " in filter string");
    }
  }
  return Invalid("unterminated string in filter");
}

}  // namespace

Result<EqFilter> ParseEqFilter(ResourceType type, std::string_view s) {
  if (s.size() > kMaxFilterLength) {
    return Invalid("filter longer than " + std::to_string(kMaxFilterLength) + " characters");
  }
  size_t i = 0;
  SkipSpaces(s, i);
  const size_t attr_start = i;
  while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
  std::string_view attr = s.substr(attr_start, i - attr_start);
  if (attr.empty()) return Invalid("empty filter");
  // Accept the core schema URN prefix ("urn:...:User:userName").
  const auto& rt = SchemaRegistry::Default().resource_type(type);
  if (attr.size() > rt.schema->id.size() + 1 &&
      EqualsCi(attr.substr(0, rt.schema->id.size()), rt.schema->id) &&
      attr[rt.schema->id.size()] == ':') {
    attr.remove_prefix(rt.schema->id.size() + 1);
  }
  EqFilter f;
  if (EqualsCi(attr, "id")) {
    f.attr = "id";
  } else {
    const IndexedAttr* ia = SchemaRegistry::Default().FindIndexed(type, attr);
    if (ia == nullptr || ia->path.find('.') != std::string::npos) {
      return Invalid("filtering on \"" + std::string(attr) +
                     "\" is not supported yet: this version supports `eq` on id, " +
                     (type == ResourceType::kUser ? "userName, " : "") +
                     "externalId and displayName");
    }
    f.attr = ia->path;
  }
  SkipSpaces(s, i);
  const size_t op_start = i;
  while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
  const std::string_view op = s.substr(op_start, i - op_start);
  if (op.empty()) return Invalid("expected an operator after \"" + std::string(attr) + "\"");
  if (!EqualsCi(op, "eq")) {
    return Invalid("operator \"" + std::string(op) +
                   "\" is not supported yet: this version supports only `eq`");
  }
  SkipSpaces(s, i);
  if (i >= s.size()) return Invalid("expected a value after \"eq\"");
  if (s[i] == '"') {
    SCIMD_ASSIGN_OR_RETURN(std::string str, ParseString(s, i));
    f.value = Json::Str(std::move(str));
  } else {
    const size_t v_start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != ')') ++i;
    const std::string_view lit = s.substr(v_start, i - v_start);
    if (lit == "true") f.value = Json::Bool(true);
    else if (lit == "false") f.value = Json::Bool(false);
    else if (lit == "null") f.value = Json();
    else {
      auto parsed = Json::Parse(lit);
      if (!parsed.ok() || !parsed->is_number()) {
        return Invalid("expected a quoted string, number, true, false or null at position " +
                       std::to_string(v_start + 1));
      }
      f.value = std::move(parsed).value();
    }
  }
  SkipSpaces(s, i);
  if (i != s.size()) {
    return Invalid("unexpected \"" + std::string(s.substr(i, 20)) + "\" at position " +
                   std::to_string(i + 1) +
                   ": this version supports a single `attribute eq value` comparison");
  }
  return f;
}

}  // namespace scimd::core
