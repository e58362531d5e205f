#include "core/scim/render.h"

#include "core/base/clock.h"
#include "core/base/json.h"
#include "core/base/strings.h"
#include "core/resource/schema.h"

namespace scimd::core {

namespace {
void AppendMeta(ResourceType type, const ResourceId& id, const StoredHeader& h,
                std::string_view base_url, std::string& out) {
  const auto& rt = SchemaRegistry::Default().resource_type(type);
  out += "\"meta\":{\"resourceType\":\"";
  out += rt.name;
  out += "\",\"created\":\"";
  out += FormatDateTime(h.created_us);
  out += "\",\"lastModified\":\"";
  out += FormatDateTime(h.modified_us);
  out += "\",\"location\":";
  AppendJsonString(out, std::string(base_url) + rt.endpoint + "/" + id.ToString());
  out += ",\"version\":";
  AppendJsonString(out, WeakEtag(h.version));
  out += "}";
}
}  // namespace

void RenderResource(ResourceType type, const ResourceId& id, const StoredHeader& header,
                    std::string_view attrs_json, std::string_view base_url,
                    const Projection& projection, std::string& out) {
  const std::string id_text = id.ToString();
  if (projection.empty()) {
    // Fast path: splice the stored JSON between the id and meta without parsing it.
    // attrs_json is an object that always holds "schemas", so it is never "{}".
    out += "{\"id\":\"";
    out += id_text;
    out += "\",";
    out.append(attrs_json.data() + 1, attrs_json.size() - 2);
    out.push_back(',');
    AppendMeta(type, id, header, base_url, out);
    return;
  }
  auto parsed = Json::Parse(attrs_json);
  Json attrs = parsed.ok() ? std::move(parsed).value() : Json::MakeObject();
  const auto& rt = SchemaRegistry::Default().resource_type(type);
  const std::string core_prefix = ToLowerAscii(rt.schema->id);
  // Core attributes (top-level keys that are not extension URNs and not "schemas").
  Json core_attrs = Json::MakeObject();
  Json result = Json::MakeObject();
  std::vector<std::pair<std::string, Json>> exts;
  Json schemas;
  for (auto& [k, v] : attrs.as_object()) {
    if (k == "schemas")
      schemas = std::move(v);
    else if (k.find(':') != std::string::npos)
      exts.emplace_back(k, std::move(v));
    else
      core_attrs.Set(k, std::move(v));
  }
  core_attrs.Set("meta", Json());  // placeholder so meta follows the projection rules
  ProjectObject(projection, core_prefix, core_attrs);
  out += "{\"id\":\"";
  out += id_text;
  out += "\"";
  if (!schemas.is_null()) {
    out += ",\"schemas\":";
    schemas.Serialize(out);
  }
  bool want_meta = false;
  for (const auto& [k, v] : core_attrs.as_object()) {
    if (k == "meta") {
      want_meta = true;
      continue;
    }
    out.push_back(',');
    AppendJsonString(out, k);
    out.push_back(':');
    v.Serialize(out);
  }
  for (auto& [urn, ext] : exts) {
    if (!ext.is_object()) continue;
    ProjectObject(projection, ToLowerAscii(urn), ext);
    if (ext.as_object().empty()) continue;
    out.push_back(',');
    AppendJsonString(out, urn);
    out.push_back(':');
    ext.Serialize(out);
  }
  if (want_meta) {
    out.push_back(',');
    AppendMeta(type, id, header, base_url, out);
  }
}

void RenderMember(const ResourceId& member, ResourceType type, std::string_view display,
                  std::string_view base_url, std::string& out) {
  const auto& rt = SchemaRegistry::Default().resource_type(type);
  const std::string id = member.ToString();
  out += "{\"value\":\"";
  out += id;
  out += "\",\"$ref\":";
  AppendJsonString(out, std::string(base_url) + rt.endpoint + "/" + id);
  out += ",\"type\":\"";
  out += rt.name;
  out += "\"";
  if (!display.empty()) {
    out += ",\"display\":";
    AppendJsonString(out, display);
  }
  out += "}";
}

}  // namespace scimd::core
