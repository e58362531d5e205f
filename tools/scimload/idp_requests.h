// The requests identity providers send, as text: Entra ID's and Okta's user bodies,
// filters in their URL forms, PATCH documents with each provider's habits
// (/work/shared/IDP-BEHAVIOUR.md) and group bodies. Pure functions of their arguments.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scimd::scimload {

inline constexpr std::string_view kEnterpriseUrn =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

// The synthetic directory: user i and group g of a run with `seed`.
struct Person {
  std::string user_name;    // u<i>.s<seed>@scimload.example.com
  std::string external_id;  // a GUID derived from (seed, i), like Entra's objectId
  std::string given_name;
  std::string family_name;
  std::string email;
  std::string department;
  std::string employee_number;
};
Person PersonOf(uint64_t seed, uint32_t i);
std::string GroupNameOf(uint64_t seed, uint32_t g);
std::string GroupExternalIdOf(uint64_t seed, uint32_t g);
// A GUID (8-4-4-4-12 hex) from two numbers; GuidOf(random, random) for a random one.
std::string GuidOf(uint64_t a, uint64_t b);

// Percent-encodes for a query value (RFC 3986 unreserved kept); space as `space`.
std::string QueryEncode(std::string_view value, std::string_view space = "%20");

// GET targets.
std::string EntraUserFilter(std::string_view user_name);  // userName+eq+%22..%22
std::string EntraGroupFilter(std::string_view display_name);
std::string OktaUserFilter(std::string_view user_name);  // ...&startIndex=1&count=100
std::string OktaGroupFilter(std::string_view display_name);

// POST /Users bodies. `manager_id` may be empty (then no manager is sent).
std::string EntraUserBody(const Person& p, std::string_view manager_id);
std::string OktaUserBody(const Person& p, std::string_view password);
// Okta's PUT: the whole user, with its id; `variant` changes the mutable attributes.
std::string OktaPutBody(const Person& p, std::string_view id, uint32_t variant);

// A PatchOp document of operations, each {op, path (may be empty: no path), value JSON
// (may be empty: no value)}.
struct PatchOperation {
  std::string op;
  std::string path;
  std::string value_json;
};
std::string PatchBody(const std::vector<PatchOperation>& operations);

// Entra's update of a user it found (initial sync): Replace of the attributes it maps.
std::string EntraRefreshPatch(const Person& p);
// Entra's incremental changes, by form (0..kEntraChangeForms-1): see profile_entra.cc.
constexpr uint32_t kEntraChangeForms = 4;
std::string EntraChangePatch(const Person& p, uint32_t form, std::string_view manager_id);
// Entra's disable: Replace active "False" (a string, as Entra sends it).
std::string EntraDisablePatch();
// Okta's deactivation: replace with no path, {"active": false}.
std::string OktaDeactivatePatch();

// POST /Groups: Entra's (its extra schema URI, no members), Okta's (members: []).
std::string EntraGroupBody(std::string_view display_name, std::string_view external_id);
std::string OktaGroupBody(std::string_view display_name);
// Member PATCHes: Entra `{"op":"Add"|"Remove","path":"members","value":[{"value":id}..]}`;
// Okta `{"op":"add","path":"members","value":[{"value":id,"display":name}..]}` and
// `{"op":"remove","path":"members[value eq \"id\"]"}`.
std::string EntraMembersPatch(std::string_view op, const std::vector<std::string_view>& ids);
std::string OktaAddMembersPatch(
    const std::vector<std::pair<std::string_view, std::string>>& ids_and_names);
std::string OktaRemoveMemberPatch(std::string_view id);

}  // namespace scimd::scimload
