// Service discovery (RFC 7644 §4): /ServiceProviderConfig, /ResourceTypes and /Schemas,
// the same for every tenant, as JSON text. `base_url` ("http://host/scim/v2") prefixes
// meta.location. Pure functions; safe on any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/base/status.h"

namespace scimd::core {

std::string ServiceProviderConfigJson(std::string_view base_url);
// One resource type by name (case-insensitive), or a ListResponse of all when `name` is
// empty; NotFound for an unknown name.
Result<std::string> ResourceTypesJson(std::string_view base_url, std::string_view name);
// One schema by URN, or a ListResponse of all when `id` is empty; NotFound when unknown.
Result<std::string> SchemasJson(std::string_view base_url, std::string_view id);

}  // namespace scimd::core
