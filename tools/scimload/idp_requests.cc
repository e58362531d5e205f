#include "tools/scimload/idp_requests.h"

#include <cctype>
#include <cstdio>

#include "tools/scimload/json_text.h"

namespace scimd::scimload {
namespace {

constexpr std::string_view kUserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
constexpr std::string_view kGroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
constexpr std::string_view kPatchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
// Entra ID adds this to its Group bodies (IDP-BEHAVIOUR.md, "Create").
constexpr std::string_view kAdscimGroupSchema =
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string Q(std::string_view s) { return JsonString(s); }

}  // namespace

std::string GuidOf(uint64_t a, uint64_t b) {
  const uint64_t hi = SplitMix(a ^ SplitMix(b));
  const uint64_t lo = SplitMix(hi ^ b);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xfff),
                static_cast<unsigned>(0x8000 | ((lo >> 48) & 0x3fff)),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

Person PersonOf(uint64_t seed, uint32_t i) {
  Person p;
  const std::string n = std::to_string(i);
  p.user_name = "u" + n + ".s" + std::to_string(seed) + "@scimload.example.com";
  p.external_id = GuidOf(seed, i);
  p.given_name = "Given" + n;
  p.family_name = "Family" + n;
  p.email = p.user_name;
  p.department = "Department " + std::to_string(i % 50);
  p.employee_number = std::to_string(100000 + i);
  return p;
}

std::string GroupNameOf(uint64_t seed, uint32_t g) {
  return "scimload s" + std::to_string(seed) + " group " + std::to_string(g);
}

std::string GroupExternalIdOf(uint64_t seed, uint32_t g) {
  return GuidOf(seed ^ 0x67726f7570ULL, g);  // "group"
}

std::string QueryEncode(std::string_view value, std::string_view space) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else if (c == ' ') {
      out += space;
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

// Entra writes the query with '+' for spaces.
std::string EntraUserFilter(std::string_view user_name) {
  return "/Users?filter=userName+eq+%22" + QueryEncode(user_name, "+") + "%22";
}

std::string EntraGroupFilter(std::string_view display_name) {
  return "/Groups?excludedAttributes=members&filter=displayName+eq+%22" +
         QueryEncode(display_name, "+") + "%22";
}

std::string OktaUserFilter(std::string_view user_name) {
  return "/Users?filter=userName%20eq%20%22" + QueryEncode(user_name) +
         "%22&startIndex=1&count=100";
}

std::string OktaGroupFilter(std::string_view display_name) {
  return "/Groups?filter=displayName%20eq%20%22" + QueryEncode(display_name) +
         "%22&startIndex=1&count=100";
}

std::string EntraUserBody(const Person& p, std::string_view manager_id) {
  std::string b = "{\"schemas\":[" + Q(kUserSchema) + "," + Q(kEnterpriseUrn) + "]";
  b += ",\"externalId\":" + Q(p.external_id);
  b += ",\"userName\":" + Q(p.user_name);
  b += ",\"active\":true";
  b += ",\"displayName\":" + Q(p.given_name + " " + p.family_name);
  b += ",\"emails\":[{\"primary\":true,\"type\":\"work\",\"value\":" + Q(p.email) + "}]";
  b += ",\"meta\":{\"resourceType\":\"User\"}";
  b += ",\"name\":{\"formatted\":" + Q(p.given_name + " " + p.family_name) +
       ",\"familyName\":" + Q(p.family_name) + ",\"givenName\":" + Q(p.given_name) + "}";
  b += ",\"roles\":[]";
  b += "," + Q(kEnterpriseUrn) + ":{\"employeeNumber\":" + Q(p.employee_number) +
       ",\"department\":" + Q(p.department);
  if (!manager_id.empty()) b += ",\"manager\":{\"value\":" + Q(manager_id) + "}";
  b += "}}";
  return b;
}

std::string OktaUserBody(const Person& p, std::string_view password) {
  std::string b = "{\"schemas\":[" + Q(kUserSchema) + "]";
  b += ",\"userName\":" + Q(p.user_name);
  b += ",\"name\":{\"givenName\":" + Q(p.given_name) + ",\"familyName\":" + Q(p.family_name) + "}";
  b += ",\"emails\":[{\"primary\":true,\"value\":" + Q(p.email) + ",\"type\":\"work\"}]";
  b += ",\"displayName\":" + Q(p.given_name + " " + p.family_name);
  b += ",\"locale\":\"en-US\"";
  b += ",\"externalId\":" + Q(p.external_id);
  b += ",\"groups\":[]";
  if (!password.empty()) b += ",\"password\":" + Q(password);
  b += ",\"active\":true}";
  return b;
}

std::string OktaPutBody(const Person& p, std::string_view id, uint32_t variant) {
  const std::string given = p.given_name + (variant == 0 ? "" : "-v" + std::to_string(variant));
  std::string b = "{\"schemas\":[" + Q(kUserSchema) + "]";
  b += ",\"id\":" + Q(id);
  b += ",\"userName\":" + Q(p.user_name);
  b += ",\"name\":{\"givenName\":" + Q(given) + ",\"familyName\":" + Q(p.family_name) + "}";
  b += ",\"emails\":[{\"primary\":true,\"value\":" + Q(p.email) + ",\"type\":\"work\"}]";
  b += ",\"displayName\":" + Q(given + " " + p.family_name);
  b += ",\"title\":" + Q("Title " + std::to_string(variant));
  b += ",\"locale\":\"en-US\"";
  b += ",\"externalId\":" + Q(p.external_id);
  b += ",\"groups\":[]";
  b += ",\"active\":true}";
  return b;
}

std::string PatchBody(const std::vector<PatchOperation>& operations) {
  std::string b = "{\"schemas\":[" + Q(kPatchSchema) + "],\"Operations\":[";
  for (size_t i = 0; i < operations.size(); ++i) {
    const PatchOperation& op = operations[i];
    if (i > 0) b += ',';
    b += "{\"op\":" + Q(op.op);
    if (!op.path.empty()) b += ",\"path\":" + Q(op.path);
    if (!op.value_json.empty()) b += ",\"value\":" + op.value_json;
    b += '}';
  }
  b += "]}";
  return b;
}

std::string EntraRefreshPatch(const Person& p) {
  return PatchBody({
      {"Replace", "displayName", Q(p.given_name + " " + p.family_name)},
      {"Replace", "name.givenName", Q(p.given_name)},
      {"Replace", "name.familyName", Q(p.family_name)},
      {"Replace", "emails[type eq \"work\"].value", Q(p.email)},
      {"Replace", std::string(kEnterpriseUrn) + ":department", Q(p.department)},
      {"Replace", "active", "\"True\""},
  });
}

std::string EntraChangePatch(const Person& p, uint32_t form, std::string_view manager_id) {
  const std::string urn(kEnterpriseUrn);
  switch (form % kEntraChangeForms) {
    case 0:  // a rename and a move to another department
      return PatchBody({{"Replace", "name.givenName", Q(p.given_name + "-changed")},
                        {"Replace", urn + ":department", Q(p.department + " (moved)")}});
    case 1:  // a new work address
      return PatchBody({{"Replace", "emails[type eq \"work\"].value", Q("changed." + p.email)}});
    case 2: {  // a new employee number, and a manager as a plain id string
      std::vector<PatchOperation> ops = {
          {"Add", urn + ":employeeNumber", Q("9" + p.employee_number)}};
      if (!manager_id.empty()) ops.push_back({"Replace", urn + ":manager", Q(manager_id)});
      return PatchBody(ops);
    }
    default:  // no path: dotted and fully qualified keys in one value
      return PatchBody({{"Replace", "",
                         "{\"name.familyName\":" + Q(p.family_name + "-changed") + ",\"" + urn +
                             ":department\":" + Q("Department X") + "}"}});
  }
}

std::string EntraDisablePatch() { return PatchBody({{"Replace", "active", "\"False\""}}); }

std::string OktaDeactivatePatch() { return PatchBody({{"replace", "", "{\"active\":false}"}}); }

std::string EntraGroupBody(std::string_view display_name, std::string_view external_id) {
  return "{\"schemas\":[" + Q(kGroupSchema) + "," + Q(kAdscimGroupSchema) +
         "],\"externalId\":" + Q(external_id) + ",\"displayName\":" + Q(display_name) +
         ",\"members\":[]}";
}

std::string OktaGroupBody(std::string_view display_name) {
  return "{\"schemas\":[" + Q(kGroupSchema) + "],\"displayName\":" + Q(display_name) +
         ",\"members\":[]}";
}

std::string EntraMembersPatch(std::string_view op, const std::vector<std::string_view>& ids) {
  std::string value = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) value += ',';
    value += "{\"value\":" + Q(ids[i]) + "}";
  }
  value += ']';
  return PatchBody({{std::string(op), "members", value}});
}

std::string OktaAddMembersPatch(
    const std::vector<std::pair<std::string_view, std::string>>& ids_and_names) {
  std::string value = "[";
  for (size_t i = 0; i < ids_and_names.size(); ++i) {
    if (i > 0) value += ',';
    value += "{\"value\":" + Q(ids_and_names[i].first) +
             ",\"display\":" + Q(ids_and_names[i].second) + "}";
  }
  value += ']';
  return PatchBody({{"add", "members", value}});
}

std::string OktaRemoveMemberPatch(std::string_view id) {
  return PatchBody({{"remove", "members[value eq " + Q(id) + "]", ""}});
}

}  // namespace scimd::scimload
