#include "core/tenancy/tenant_index.h"

#include <algorithm>
#include <charconv>

#include "core/base/limits.h"
#include "core/base/strings.h"

namespace scimd::core {

namespace {

bool Indexable(AttrType t) {
  return t == AttrType::kString || t == AttrType::kReference || t == AttrType::kBoolean;
}

Status NotIndexable(std::string_view path, std::string_view why) {
  return Status::InvalidValue("attribute \"" + std::string(path) +
                              "\" cannot be indexed: " + std::string(why));
}

std::optional<ResourceType> TypeNamed(std::string_view name) {
  if (EqualsCi(name, "User")) return ResourceType::kUser;
  if (EqualsCi(name, "Group")) return ResourceType::kGroup;
  return std::nullopt;
}

}  // namespace

Result<TenantRecord> GetTenantRecord(Store& store, TenantId tenant) {
  SCIMD_ASSIGN_OR_RETURN(std::optional<TenantRecord> record, store.GetTenant(tenant));
  if (!record) return Status::NotFound("no tenant with id " + std::to_string(tenant));
  return std::move(*record);
}

namespace {

Result<std::vector<IndexedAttr>> ListSetting(const TenantRecord& record, std::string_view name) {
  auto it = record.settings.find(std::string(name));
  if (it == record.settings.end()) return std::vector<IndexedAttr>();
  return ParseIndexedAttributes(it->second);
}

Status PutListSetting(Store& store, const TenantRecord& record, std::string_view name,
                      const std::vector<IndexedAttr>& list) {
  std::map<std::string, std::string> settings = record.settings;
  if (list.empty()) {
    settings.erase(std::string(name));
  } else {
    settings[std::string(name)] = FormatIndexedAttributes(list);
  }
  return store.PutTenantSettings(record.id, settings);
}

}  // namespace

Result<std::vector<IndexedAttr>> ExtraIndexed(const TenantRecord& record) {
  return ListSetting(record, kIndexedAttributesSetting);
}

Status PutExtraIndexed(Store& store, const TenantRecord& record,
                       const std::vector<IndexedAttr>& extra) {
  return PutListSetting(store, record, kIndexedAttributesSetting, extra);
}

Result<std::vector<TenantIndexState>> ListTenantIndexes(const TenantRecord& record) {
  SCIMD_ASSIGN_OR_RETURN(std::vector<IndexedAttr> extra, ExtraIndexed(record));
  SCIMD_ASSIGN_OR_RETURN(std::vector<IndexedAttr> building, BuildingIndexed(record));
  std::vector<TenantIndexState> out;
  for (const auto& ia : SchemaRegistry::Default().indexed()) out.push_back({ia, "built-in"});
  for (auto& ia : extra) out.push_back({std::move(ia), "ready"});
  for (auto& ia : building) out.push_back({std::move(ia), "building"});
  return out;
}

Result<std::vector<IndexedAttr>> BuildingIndexed(const TenantRecord& record) {
  return ListSetting(record, kBuildingIndexesSetting);
}

Status PutBuildingIndexed(Store& store, const TenantRecord& record,
                          const std::vector<IndexedAttr>& building) {
  return PutListSetting(store, record, kBuildingIndexesSetting, building);
}

Result<IndexedAttr> ResolveIndexable(ResourceType type, std::string_view path) {
  const SchemaRegistry& registry = SchemaRegistry::Default();
  const ResourceTypeDef& rt = registry.resource_type(type);
  const SchemaDef* schema = rt.schema;
  std::string_view rest = path;
  if (const size_t colon = path.rfind(':'); colon != std::string_view::npos) {
    const std::string_view urn = path.substr(0, colon);
    if (EqualsCi(urn, rt.schema->id)) {
      schema = rt.schema;
    } else if (const SchemaDef* ext = rt.FindExtension(urn)) {
      schema = ext;
    } else {
      return NotIndexable(path, "no schema \"" + std::string(urn) + "\" on " + rt.name);
    }
    rest = path.substr(colon + 1);
  }
  const size_t dot = rest.find('.');
  const std::string_view top = rest.substr(0, dot);
  const AttrDef* def = schema->Find(top);
  if (def == nullptr) return NotIndexable(path, "no such attribute of " + rt.name);
  if (def->mutability == Mutability::kReadOnly) {
    return NotIndexable(path, "read-only attributes are computed by the server, not stored");
  }
  if (type == ResourceType::kGroup && def->name == "members") {
    return NotIndexable(path, "members are stored as edges; members.value filters use them");
  }
  const AttrDef* leaf = def;
  if (dot != std::string_view::npos) {
    if (def->type != AttrType::kComplex) return NotIndexable(path, "not a complex attribute");
    leaf = def->FindSub(rest.substr(dot + 1));
    if (leaf == nullptr) return NotIndexable(path, "no such sub-attribute");
  } else if (def->type == AttrType::kComplex) {
    return NotIndexable(path, "name one of its sub-attributes, e.g. \"" + def->name + "." +
                                  (def->sub_attributes.empty() ? std::string("value")
                                                               : def->sub_attributes[0].name) +
                                  "\"");
  }
  if (!Indexable(leaf->type)) {
    return NotIndexable(path, "only string, reference and boolean attributes are indexed");
  }
  if (leaf->returned == Returned::kNever) {
    return NotIndexable(path, "a never-returned attribute (such as a password) is never indexed");
  }
  IndexedAttr out;
  out.id = 0;
  out.type = type;
  out.path = (schema == rt.schema ? std::string() : schema->id + ":") + def->name +
             (leaf == def ? std::string() : "." + leaf->name);
  out.case_exact = leaf->case_exact;
  out.unique = false;
  if (registry.FindIndexed(type, out.path) != nullptr) {
    return Status::Uniqueness(rt.name + " " + out.path + " is indexed already (built in)");
  }
  return out;
}

Result<std::vector<IndexedAttr>> ParseIndexedAttributes(std::string_view value) {
  std::vector<IndexedAttr> out;
  size_t pos = 0;
  while (pos < value.size()) {
    size_t end = value.find(' ', pos);
    if (end == std::string_view::npos) end = value.size();
    const std::string_view item = value.substr(pos, end - pos);
    pos = end + 1;
    if (item.empty()) continue;
    const size_t slash = item.find('/');
    const size_t eq = item.rfind('=');
    auto bad = [&] {
      return Status::InvalidValue("setting indexed-attributes: \"" + std::string(item) +
                                  "\" is not Type/path=number");
    };
    if (slash == std::string_view::npos || eq == std::string_view::npos || eq < slash) {
      return bad();
    }
    const std::optional<ResourceType> type = TypeNamed(item.substr(0, slash));
    unsigned id = 0;
    const std::string_view num = item.substr(eq + 1);
    auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), id);
    if (!type || ec != std::errc() || ptr != num.data() + num.size() || id < kFirstTenantAttrId ||
        id > 0xFFFF) {
      return bad();
    }
    SCIMD_ASSIGN_OR_RETURN(IndexedAttr ia,
                           ResolveIndexable(*type, item.substr(slash + 1, eq - slash - 1)));
    ia.id = static_cast<AttrId>(id);
    for (const auto& other : out) {
      if (other.type == ia.type && (other.id == ia.id || other.path == ia.path)) {
        return Status::InvalidValue("setting indexed-attributes names " +
                                    std::string(ResourceTypeName(ia.type)) + " " + ia.path +
                                    " or number " + std::to_string(ia.id) + " twice");
      }
    }
    out.push_back(std::move(ia));
    if (out.size() > kMaxTenantIndexes) {
      return Status::InvalidValue("setting indexed-attributes lists more than " +
                                  std::to_string(kMaxTenantIndexes) + " attributes");
    }
  }
  return out;
}

std::string FormatIndexedAttributes(const std::vector<IndexedAttr>& extra) {
  std::string out;
  for (const auto& ia : extra) {
    if (!out.empty()) out += ' ';
    out += std::string(ResourceTypeName(ia.type)) + "/" + ia.path + "=" + std::to_string(ia.id);
  }
  return out;
}

std::shared_ptr<const std::vector<IndexedAttr>> WithBuiltins(std::vector<IndexedAttr> extra) {
  static const auto builtins =
      std::make_shared<const std::vector<IndexedAttr>>(SchemaRegistry::Default().indexed());
  if (extra.empty()) return builtins;
  auto all = std::make_shared<std::vector<IndexedAttr>>(*builtins);
  for (auto& ia : extra) all->push_back(std::move(ia));
  return all;
}

Result<std::shared_ptr<const std::vector<IndexedAttr>>> TenantIndexed(Store& store,
                                                                      TenantId tenant) {
  SCIMD_ASSIGN_OR_RETURN(TenantRecord record, GetTenantRecord(store, tenant));
  SCIMD_ASSIGN_OR_RETURN(std::vector<IndexedAttr> extra, ExtraIndexed(record));
  return WithBuiltins(std::move(extra));
}

}  // namespace scimd::core
