// Shared by the libFuzzer targets of tests/fuzz/ (make fuzz; docs/RELIABILITY.md): a fixed
// ~1 KB user for the targets that need a resource to work on.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/base/json.h"
#include "core/resource/decode.h"

namespace scimd::fuzz {

inline constexpr const char kUserJson[] =
    R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",)"
    R"("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],)"
    R"("userName":"ann@example.com","externalId":"e-1","active":true,"displayName":"Ann",)"
    R"("name":{"givenName":"Ann","familyName":"Smith","formatted":"Ann Smith"},)"
    R"("title":"Engineer","nickName":"an","userType":"Employee",)"
    R"("emails":[{"value":"ann@example.com","type":"work","primary":true},)"
    R"({"value":"ann@home.example","type":"home"}],)"
    R"("phoneNumbers":[{"value":"+1 555 0100","type":"work"}],)"
    R"("addresses":[{"type":"work","streetAddress":"1 Main St","locality":"Springfield",)"
    R"("region":"IL","postalCode":"62701","country":"US","primary":true}],)"
    R"("roles":[{"value":"admin","primary":true}],)"
    R"("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"7",)"
    R"("department":"R&D","costCenter":"41","manager":{"value":"m-1"}}})";

// The fixed user's canonical attributes, as stored.
inline const core::Json& User() {
  static const core::Json user = [] {
    auto json = core::Json::Parse(kUserJson);
    if (!json.ok()) std::abort();
    auto input = core::DecodeInput(core::ResourceType::kUser, *json, core::DecodeOptions{});
    if (!input.ok()) std::abort();
    return std::move(input->attrs);
  }();
  return user;
}

}  // namespace scimd::fuzz
