#include "core/scim/projection.h"

#include <algorithm>

#include "core/base/limits.h"
#include "core/base/strings.h"
#include "core/filter/filter.h"

namespace scimd::core {

namespace {

// "urn:...:User:name.givenName" / "name.givenName" / "members" -> lower-cased
// "<schema urn>:<attr>[.<sub>]". Unknown names still normalize (they match nothing).
std::string NormalizePath(ResourceType type, std::string_view path) {
  const ResourceTypeDef& rt = SchemaRegistry::Default().resource_type(type);
  std::string lower = ToLowerAscii(path);
  if (lower.rfind("urn:", 0) == 0) {
    // Whole-schema or schema-qualified attribute: find the longest known schema prefix.
    std::vector<const SchemaDef*> candidates = {rt.schema};
    for (const auto* e : rt.extensions) candidates.push_back(e);
    for (const auto* s : candidates) {
      const std::string urn = ToLowerAscii(s->id);
      if (lower == urn) return urn;
      if (lower.size() > urn.size() && lower.compare(0, urn.size(), urn) == 0 &&
          lower[urn.size()] == ':') {
        return lower;
      }
    }
    return lower;
  }
  return ToLowerAscii(rt.schema->id) + ":" + lower;
}

// Whether `path` (normalized) is selected by `list`: an exact entry, an entry for its
// parent attribute or whole schema (when parent_selects), or, for a parent, an entry
// for one of its sub-attributes (when child_selects).
bool Selected(const std::vector<std::string>& list, const std::string& path, bool parent_selects,
              bool child_selects) {
  for (const auto& p : list) {
    if (p == path) return true;
    if (parent_selects && path.size() > p.size() && path.compare(0, p.size(), p) == 0 &&
        (path[p.size()] == '.' || path[p.size()] == ':')) {
      return true;
    }
    if (child_selects && p.size() > path.size() && p.compare(0, path.size(), path) == 0 &&
        (p[path.size()] == '.' || p[path.size()] == ':')) {
      return true;
    }
  }
  return false;
}

// Splits an attributes / excludedAttributes list at the commas that are not inside a
// [filter] or a quoted string; bracketed items add an element filter to `p`.
Result<std::vector<std::string>> SplitPaths(ResourceType type, std::string_view list, bool include,
                                            Projection& p) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = start;
    int depth = 0;
    bool quoted = false;
    for (; end < list.size(); ++end) {
      const char c = list[end];
      if (quoted) {
        if (c == '\\')
          ++end;
        else if (c == '"')
          quoted = false;
      } else if (c == '"') {
        quoted = true;
      } else if (c == '[') {
        ++depth;
      } else if (c == ']') {
        --depth;
      } else if (c == ',' && depth == 0) {
        break;
      }
    }
    const std::string_view item = TrimSpaces(list.substr(start, end - start));
    if (!item.empty()) {
      if (out.size() >= kMaxProjectionPaths) {
        return Status::BadRequest("more than " + std::to_string(kMaxProjectionPaths) +
                                  " attribute paths");
      }
      const size_t bracket = item.find('[');
      if (bracket != std::string_view::npos) {
        if (item.back() != ']') {
          return Status::InvalidFilter("attribute path \"" + std::string(item) +
                                       "\": expected ']' at its end");
        }
        const std::string_view attr = item.substr(0, bracket);
        const std::string_view text = item.substr(bracket + 1, item.size() - bracket - 2);
        SCIMD_ASSIGN_OR_RETURN(BoundFilter bound, CompileValueFilter(type, attr, text));
        out.push_back(NormalizePath(type, attr));
        p.element_filters.push_back(
            {out.back(), include, std::make_shared<const BoundFilter>(std::move(bound))});
      } else {
        out.push_back(NormalizePath(type, item));
      }
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

void ProjectObject(const Projection& p, const std::string& schema_prefix, Json& obj) {
  auto& members = obj.as_object();
  for (auto it = members.begin(); it != members.end();) {
    const std::string path = schema_prefix + ":" + ToLowerAscii(it->first);
    bool keep = true;
    bool filter_subs = false;
    if (!p.include.empty()) {
      keep = Selected(p.include, path, true, true);
      filter_subs = keep && !Selected(p.include, path, true, false);
    }
    if (keep && !p.exclude.empty()) {
      if (Selected(p.exclude, path, true, false))
        keep = false;
      else if (Selected(p.exclude, path, false, true))
        filter_subs = true;
    }
    if (keep && filter_subs) {
      auto filter = [&](Json& complex) {
        if (!complex.is_object()) return;
        auto& subs = complex.as_object();
        for (auto s = subs.begin(); s != subs.end();) {
          const std::string sub_path = path + "." + ToLowerAscii(s->first);
          bool keep_sub = p.include.empty() || Selected(p.include, sub_path, true, false);
          if (keep_sub && Selected(p.exclude, sub_path, true, false)) keep_sub = false;
          s = keep_sub ? s + 1 : subs.erase(s);
        }
      };
      if (it->second.is_array()) {
        for (auto& item : it->second.as_array()) filter(item);
      } else {
        filter(it->second);
      }
    }
    if (keep && it->second.is_array()) {
      for (const auto& f : p.element_filters) {
        if (f.path != path) continue;
        auto& items = it->second.as_array();
        for (auto e = items.begin(); e != items.end();) {
          e = MatchesElement(*f.filter, *e) == f.include ? e + 1 : items.erase(e);
        }
      }
      keep = !it->second.as_array().empty();
    }
    it = keep ? it + 1 : members.erase(it);
  }
}

Result<Projection> ParseProjection(ResourceType type, std::string_view attributes,
                                   std::string_view excluded_attributes) {
  Projection p;
  SCIMD_ASSIGN_OR_RETURN(p.include, SplitPaths(type, attributes, true, p));
  SCIMD_ASSIGN_OR_RETURN(p.exclude, SplitPaths(type, excluded_attributes, false, p));
  // An element filter in excludedAttributes removes elements, not the attribute.
  for (const auto& f : p.element_filters) {
    if (f.include) continue;
    p.exclude.erase(std::remove(p.exclude.begin(), p.exclude.end(), f.path), p.exclude.end());
  }
  return p;
}

bool Projection::WantsGroups() const {
  const std::string path = ToLowerAscii(kUserSchema) + ":groups";
  if (!include.empty() && !Selected(include, path, true, true)) return false;
  return !Selected(exclude, path, true, false);
}

bool Projection::WantsMembers() const {
  const std::string path = ToLowerAscii(kGroupSchema) + ":members";
  if (!include.empty() && !Selected(include, path, true, true)) return false;
  return !Selected(exclude, path, true, false);
}

}  // namespace scimd::core
