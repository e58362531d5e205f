#include "core/scim/discovery.h"

#include "core/base/limits.h"
#include "core/base/strings.h"
#include "core/resource/schema.h"

namespace scimd::core {

namespace {
Json ListOf(std::vector<Json> resources) {
  Json list = Json::MakeObject();
  Json schemas = Json::MakeArray();
  schemas.Push(Json::Str(std::string(kListResponseSchema)));
  list.Set("schemas", std::move(schemas));
  list.Set("totalResults", Json::Int(static_cast<int64_t>(resources.size())));
  list.Set("itemsPerPage", Json::Int(static_cast<int64_t>(resources.size())));
  list.Set("startIndex", Json::Int(1));
  Json arr = Json::MakeArray();
  for (auto& r : resources) arr.Push(std::move(r));
  list.Set("Resources", std::move(arr));
  return list;
}
Json Supported(bool yes) {
  Json j = Json::MakeObject();
  j.Set("supported", Json::Bool(yes));
  return j;
}
}  // namespace

std::string ServiceProviderConfigJson(std::string_view base_url) {
  Json j = Json::MakeObject();
  Json schemas = Json::MakeArray();
  schemas.Push(Json::Str("urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"));
  j.Set("schemas", std::move(schemas));
  // Truthful: what is not implemented is not advertised.
  j.Set("patch", Supported(true));
  Json bulk = Supported(true);  // core/scim/bulk.h; the limits of core/base/limits.h
  bulk.Set("maxOperations", Json::Int(static_cast<int64_t>(kBulkMaxOperations)));
  bulk.Set("maxPayloadSize", Json::Int(static_cast<int64_t>(kBulkMaxPayloadBytes)));
  j.Set("bulk", std::move(bulk));
  Json filter = Supported(true);
  filter.Set("maxResults", Json::Int(static_cast<int64_t>(kMaxPageSize)));
  j.Set("filter", std::move(filter));
  j.Set("changePassword", Supported(false));
  j.Set("sort", Supported(true));
  j.Set("etag", Supported(true));
  Json schemes = Json::MakeArray();
  Json bearer = Json::MakeObject();
  bearer.Set("type", Json::Str("oauthbearertoken"));
  bearer.Set("name", Json::Str("OAuth Bearer Token"));
  bearer.Set("description",
             Json::Str("Authentication with a bearer token issued by `scimctl token issue`."));
  bearer.Set("primary", Json::Bool(true));
  schemes.Push(std::move(bearer));
  j.Set("authenticationSchemes", std::move(schemes));
  Json meta = Json::MakeObject();
  meta.Set("resourceType", Json::Str("ServiceProviderConfig"));
  meta.Set("location", Json::Str(std::string(base_url) + "/ServiceProviderConfig"));
  j.Set("meta", std::move(meta));
  return j.Serialize();
}

Result<std::string> ResourceTypesJson(std::string_view base_url, std::string_view name) {
  const SchemaRegistry& reg = SchemaRegistry::Default();
  std::vector<Json> all;
  for (ResourceType t : {ResourceType::kUser, ResourceType::kGroup}) {
    const auto& rt = reg.resource_type(t);
    if (!name.empty()) {
      if (EqualsCi(rt.name, name)) return reg.ResourceTypeJson(rt, base_url).Serialize();
      continue;
    }
    all.push_back(reg.ResourceTypeJson(rt, base_url));
  }
  if (!name.empty())
    return Status::NotFound("resource type \"" + std::string(name) + "\" not found");
  return ListOf(std::move(all)).Serialize();
}

Result<std::string> SchemasJson(std::string_view base_url, std::string_view id) {
  const SchemaRegistry& reg = SchemaRegistry::Default();
  if (!id.empty()) {
    const SchemaDef* s = reg.FindSchema(id);
    if (s == nullptr) return Status::NotFound("schema \"" + std::string(id) + "\" not found");
    return reg.SchemaJson(*s, base_url).Serialize();
  }
  std::vector<Json> all;
  for (const auto* s : reg.schemas()) all.push_back(reg.SchemaJson(*s, base_url));
  return ListOf(std::move(all)).Serialize();
}

}  // namespace scimd::core
