// Per-tenant indexed attributes: besides the built-in indexes (SchemaRegistry::indexed(),
// the attributes clients match on), a tenant may index other attributes its filters use,
// e.g. `title` or the enterprise `department`. They live in the tenant setting
// "indexed-attributes" as `User/title=100 User/urn:...:User:department=101` (resource
// type / canonical path = persisted attribute number). Numbers from kFirstTenantAttrId up
// are per tenant: an index key carries the tenant, so tenants never share them.
//
// An attribute is only listed once its entries are complete: AddTenantIndex
// (core/usecase/reindex.h) backfills first and records the setting last; DropTenantIndex forgets
// it first and deletes its entries afterwards. Both run in scimctl against a stopped server (the
// store's lock), which is what makes "listed = complete" hold without a build state shared with
// writers.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/base/store.h"
#include "core/resource/schema.h"

namespace scimd::core {

inline constexpr std::string_view kIndexedAttributesSetting = "indexed-attributes";
// Indexes being built while scimd serves (core/usecase/reindex.h, BeginTenantIndex):
// writers keep their entries, readers do not use them yet. Same format.
inline constexpr std::string_view kBuildingIndexesSetting = "building-indexes";
// Built-in attribute numbers stay below this (SchemaRegistry uses 1..7 today).
inline constexpr AttrId kFirstTenantAttrId = 100;

// `path` ("title", "name.formatted", "urn:...:enterprise:2.0:User:department") as an
// attribute a tenant may index: a string, reference or boolean leaf of `type`'s schema or
// extensions, returned other than never, not already indexed by default. `id` is left 0.
// InvalidValue saying why not.
Result<IndexedAttr> ResolveIndexable(ResourceType type, std::string_view path);

// The setting's value -> the tenant's extra attributes, and back.
Result<std::vector<IndexedAttr>> ParseIndexedAttributes(std::string_view value);
std::string FormatIndexedAttributes(const std::vector<IndexedAttr>& extra);

// The built-in indexed attributes followed by `extra`.
std::shared_ptr<const std::vector<IndexedAttr>> WithBuiltins(std::vector<IndexedAttr> extra);
// The tenant's indexed attributes as its settings say. NotFound for an unknown tenant.
Result<std::shared_ptr<const std::vector<IndexedAttr>>> TenantIndexed(Store& store,
                                                                      TenantId tenant);

// A tenant's record (NotFound naming the id if there is none), its extra attributes as
// its "indexed-attributes" setting lists them, and the setting written back.
Result<TenantRecord> GetTenantRecord(Store& store, TenantId tenant);
Result<std::vector<IndexedAttr>> ExtraIndexed(const TenantRecord& record);
Status PutExtraIndexed(Store& store, const TenantRecord& record,
                       const std::vector<IndexedAttr>& extra);
// Every index of the tenant with its state: "built-in", "ready" (listed) or "building".
struct TenantIndexState {
  IndexedAttr attr;
  std::string state;
};
Result<std::vector<TenantIndexState>> ListTenantIndexes(const TenantRecord& record);

// The same for the indexes being built.
Result<std::vector<IndexedAttr>> BuildingIndexed(const TenantRecord& record);
Status PutBuildingIndexed(Store& store, const TenantRecord& record,
                          const std::vector<IndexedAttr>& building);

}  // namespace scimd::core
