// Resources: turning a client's JSON into the canonical stored form (validated against
// the schema registry), the stored value codec, the ONE function that derives index
// terms from a resource, and rendering a stored resource back to SCIM JSON.
// Pure functions; safe on any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.h"
#include "core/json.h"
#include "core/schema.h"
#include "core/status.h"
#include "core/store.h"

namespace scimd::core {

// How strictly input is read; per tenant (see core/tenant_settings.h).
struct DecodeOptions {
  // Unknown attributes in a known schema: false = 400 invalidSyntax (default),
  // true = dropped silently (for clients that send misspelled or private attributes).
  bool ignore_unknown_attributes = false;
  // Group members that are malformed ids or do not exist: false = 400 naming the id
  // (default), true = skipped (for clients that send placeholder members).
  bool ignore_unknown_members = false;
  // The tenant's indexed attributes (values longer than kMaxIndexedValueBytes are refused
  // for these); null: the built-in ones. Points into the owning TenantSettings::indexed.
  const std::vector<IndexedAttr>* indexed = nullptr;
};

struct MemberRef {
  ResourceId id;
  std::optional<ResourceType> type;  // as the client said, checked against the store
  std::string display;
};

// A decoded POST/PUT body.
struct InputResource {
  Json attrs = Json::MakeObject();  // canonical names; no id, meta, members, password, groups
  std::vector<MemberRef> members;   // Groups only
  bool has_members = false;         // the body carried a "members" attribute
  std::optional<std::string> password;
};

Result<InputResource> DecodeInput(ResourceType type, const Json& body, const DecodeOptions& opts);
// Decodes a "members" value: an array of {"value": id, "type"?, "display"?} (a lone
// object is taken as a one-item array, a bare string as {"value": string}). InvalidValue
// names what is wrong; a malformed id is skipped when opts.ignore_unknown_members.
Result<std::vector<MemberRef>> DecodeMembers(const Json& value, const DecodeOptions& opts);

// The stored value of a resource: a fixed header, then the canonical attributes as JSON.
//   byte 0       format: 1 = no password hash, 2 = with one -- do not change their meaning
//   bytes 1-8    version, uint64 big-endian (meta.version; bumped on every change)
//   bytes 9-16   created, int64 big-endian microseconds since the Unix epoch
//   bytes 17-24  lastModified, same encoding
//   format 2:    2 bytes big-endian length N, then N bytes of password hash (the
//                libsodium crypto_pwhash_str text: algorithm, parameters, salt, hash)
//   then         JSON object text of the attributes
struct StoredHeader {
  uint64_t version = 0;
  int64_t created_us = 0;
  int64_t modified_us = 0;
  std::string password_hash;  // empty: no password (never rendered)
};
inline constexpr size_t kStoredHeaderBytes = 25;
std::string EncodeStored(const StoredHeader& header, const Json& attrs);
// Splits a stored value; the returned view points into `value`.
Result<std::pair<StoredHeader, std::string_view>> SplitStored(std::string_view value);

// Every index entry of a resource. Writes derive the old and the new set with
// IndexEntriesOf and apply the difference, so an index never drifts from its resource.
struct IndexEntries {
  std::vector<IndexTerm> values;  // (attr, normalized value) for every indexed attribute
  std::vector<IndexTerm> unique;  // the subset kept in the unique family (userName)
  std::vector<AttrId> presence;   // indexed attributes with at least one value
};
// The one derivation of index entries from a resource, for the indexed attributes of
// `type`: the built-in ones (SchemaRegistry::indexed()) or, with `indexed`, a tenant's
// (built-ins plus its "indexed-attributes", see core/tenant_index.h).
IndexEntries IndexEntriesOf(ResourceType type, const Json& attrs);
IndexEntries IndexEntriesOf(ResourceType type, const Json& attrs,
                            const std::vector<IndexedAttr>& indexed);
// Writes the difference between a resource's old and new index entries into `txn`:
// unique claims first (a conflict is Uniqueness naming the attribute and the value from
// `new_attrs`, before anything else is written), then value and presence entries. Every
// write of a resource goes through this (create: old = {}, delete: new = {}).
Status ApplyIndexDiff(Transaction& txn, ResourceType type, const ResourceId& id,
                      const IndexEntries& old_entries, const IndexEntries& new_entries,
                      const Json& new_attrs);
// Normalizes a string for an index of an attribute with the given caseExact rule.
std::string NormalizeForIndex(std::string_view value, bool case_exact);

// What to include when rendering; built from attributes/excludedAttributes.
struct BoundFilter;  // core/filter_bound.h

struct Projection {
  // Canonical "urn:attr" or "urn:attr.sub" paths, lower-cased; empty = everything default.
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  // `attributes=emails[type eq "work"]` (Microsoft's clients): of a multi-valued
  // attribute, only the elements that match (or, in excludedAttributes, all but those).
  struct ElementFilter {
    std::string path;  // normalized like include/exclude
    bool include = true;
    std::shared_ptr<const BoundFilter> filter;
  };
  std::vector<ElementFilter> element_filters;
  bool empty() const { return include.empty() && exclude.empty() && element_filters.empty(); }
  // Whether a Group's members are rendered.
  bool WantsMembers() const;
  // Whether a User's computed "groups" attribute is rendered.
  bool WantsGroups() const;
};
Result<Projection> ParseProjection(ResourceType type, std::string_view attributes,
                                   std::string_view excluded_attributes);

// Renders the resource as SCIM JSON into `out` without the closing brace of the top-level
// object, so that a caller may stream members after it; call FinishResource to close.
// `base_url` is e.g. "http://host/scim/v2" and prefixes meta.location.
void RenderResource(ResourceType type, const ResourceId& id, const StoredHeader& header,
                    std::string_view attrs_json, std::string_view base_url,
                    const Projection& projection, std::string& out);
inline void FinishResource(std::string& out) { out.push_back('}'); }
// One member item: {"value":..,"$ref":..,"type":..,"display":..}
void RenderMember(const ResourceId& member, ResourceType type, std::string_view display,
                  std::string_view base_url, std::string& out);

std::string WeakEtag(uint64_t version);      // W/"<version>"
std::string FormatDateTime(int64_t micros);  // RFC 3339, UTC, millisecond precision
int64_t NowMicros();

}  // namespace scimd::core
