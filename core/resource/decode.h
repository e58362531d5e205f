// Decoding a client's resource JSON (POST, PUT, PATCH values) into the canonical form
// that is stored: attributes checked against the schema registry and renamed to their
// canonical case, read-only ones dropped, members and the password taken apart.
// Pure functions; safe on any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/base/ids.h"
#include "core/base/json.h"
#include "core/base/json_dom.h"
#include "core/base/status.h"
#include "core/resource/index_entries.h"
#include "core/resource/schema.h"

namespace scimd::core {

// How strictly input is read; per tenant (see core/tenancy/tenant_settings.h).
struct DecodeOptions {
  // Unknown attributes in a known schema: false = 400 invalidSyntax (default),
  // true = dropped silently (for clients that send misspelled or private attributes).
  bool ignore_unknown_attributes = false;
  // Group members that are malformed ids or do not exist: false = 400 naming the id, true
  // = skipped with a warning (for clients that send placeholder members). Tenants skip by
  // default (core/tenancy/tenant_settings.h).
  bool ignore_unknown_members = false;
  // The tenant's indexed attributes (values longer than kMaxIndexedValueBytes are refused
  // for these); null: the built-in ones. Points into the owning TenantSettings::indexed.
  const std::vector<IndexedAttr>* indexed = nullptr;
  // An extension object that carries its own "schemas" key (some test clients send
  // {"urn:...:enterprise:2.0:User": {"schemas": [...], "department": "X"}}): true = the
  // key is ignored, false = it is an unknown attribute like any other.
  bool accept_extension_schemas = false;
};

struct MemberRef {
  ResourceId id;
  // Set when the value is not a resource id and unknown members are ignored: the member is
  // skipped (with a warning) where members are added; `id` is meaningless then.
  std::string unparsed;
  std::optional<ResourceType> type;  // as the client said, checked against the store
  std::string display;
};

// A decoded POST/PUT body.
struct InputResource {
  Json attrs = Json::MakeObject();  // canonical names; no id, meta, members, password, groups
  std::vector<MemberRef> members;   // Groups only
  bool has_members = false;         // the body carried a "members" attribute
  std::optional<std::string> password;
  // The index entries of `attrs` for DecodeOptions::indexed (or the built-in indexes):
  // derived once here to check their lengths, kept for a caller that writes them
  // (TakeIndexEntries), with the list they were derived for.
  IndexEntries index_entries;
  const std::vector<IndexedAttr>* index_entries_for = nullptr;
};

// The index entries of a decoded input for `indexed`: those DecodeInput derived (moved
// out) when it derived them for the same list, else derived now.
IndexEntries TakeIndexEntries(ResourceType type, InputResource& in,
                              const std::vector<IndexedAttr>& indexed);

Result<InputResource> DecodeInput(ResourceType type, const Json& body, const DecodeOptions& opts);
// The same, taking the body's values instead of copying them (the body is left in an
// unspecified state): for a caller that owns a parsed body it no longer needs.
Result<InputResource> DecodeInput(ResourceType type, Json&& body, const DecodeOptions& opts);
// The same, read in place from a parsed document (no Json tree of the body is built).
Result<InputResource> DecodeInput(ResourceType type, const JsonDomValue& body,
                                  const DecodeOptions& opts);
// What the import keeps of a resource, written straight from a parsed document without a
// Json tree of it: for a record that is written and never read back.
struct StoredInput {
  // kStoredHeaderBytes left for PutStoredHeader, then the canonical attribute JSON: the same
  // bytes as EncodeStored of DecodeInput's attrs (tested).
  std::string value;
  IndexEntries index_entries;  // as IndexEntriesOf(type, attrs, paths.indexed())
  std::optional<std::string> external_id;
  std::optional<std::string> password;
  std::vector<MemberRef> members;  // Groups only
  bool has_members = false;
};
// DecodeInput of `body`, checked as it checks (the same errors), written as StoredInput; the
// index entries are those of `paths`. The required attributes of a tenant are not checked
// (they need the tree: CheckRequired).
Status DecodeToStored(ResourceType type, const JsonDomValue& body, const DecodeOptions& opts,
                      const IndexPaths& paths, StoredInput& out);
// Decodes a "members" value: an array of {"value": id, "type"?, "display"?} (a lone
// object is taken as a one-item array, a bare string as {"value": string}). InvalidValue
// names what is wrong; a malformed id is skipped when opts.ignore_unknown_members.
Result<std::vector<MemberRef>> DecodeMembers(const Json& value, const DecodeOptions& opts);

}  // namespace scimd::core
