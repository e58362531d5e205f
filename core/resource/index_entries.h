// The ONE derivation of index entries (value, unique and presence entries) from a
// resource's attributes, and the writer of the difference between two such sets: an
// index can never drift from its resource. Pure apart from the transaction it writes to.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/ids.h"
#include "core/base/json.h"
#include "core/base/status.h"
#include "core/base/store.h"
#include "core/resource/schema.h"

namespace scimd::core {

// Every index entry of a resource. Writes derive the old and the new set with
// IndexEntriesOf and apply the difference, so an index never drifts from its resource.
struct IndexEntries {
  std::vector<IndexTerm> values;  // (attr, normalized value) for every indexed attribute
  std::vector<IndexTerm> unique;  // the subset kept in the unique family (userName)
  std::vector<AttrId> presence;   // indexed attributes with at least one value
};
// The one derivation of index entries from a resource, for the indexed attributes of
// `type`: the built-in ones (SchemaRegistry::indexed()) or, with `indexed`, a tenant's
// (built-ins plus its "indexed-attributes", see core/tenancy/tenant_index.h).
IndexEntries IndexEntriesOf(ResourceType type, const Json& attrs);
IndexEntries IndexEntriesOf(ResourceType type, const Json& attrs,
                            const std::vector<IndexedAttr>& indexed);
// The same entries derived while a resource is written rather than from its tree (the
// import writes a user's stored text straight from its input, DecodeToStored): each simple
// value written is offered with where it sits, and Finish gives what IndexEntriesOf gives
// for the written resource, in the same order (tested against it).
// IndexPaths: a type's indexed attributes resolved once to their schema definitions
// (immutable; share it between threads). IndexEntryCollector: one resource's entries.
class IndexPaths {
 public:
  IndexPaths(ResourceType type, const std::vector<IndexedAttr>& indexed);
  const std::vector<IndexedAttr>& indexed() const { return *indexed_; }

 private:
  friend class IndexEntryCollector;
  struct Path {
    const AttrDef* top;  // the attribute (ExternalIdDef() for externalId)
    const AttrDef* sub;  // its sub-attribute, or null
    size_t slot;         // position in `indexed`
  };
  const std::vector<IndexedAttr>* indexed_;
  std::vector<Path> paths_;
};

class IndexEntryCollector {
 public:
  explicit IndexEntryCollector(const IndexPaths& paths) : paths_(paths) { found_.reserve(16); }
  // A string or boolean value written for attribute `top` (of any schema), in its
  // sub-attribute `sub` (or null for a value of `top` itself); `in_array`: one item of a
  // multi-valued `top`.
  void Add(const AttrDef& top, const AttrDef* sub, bool in_array, std::string_view value);
  void Add(const AttrDef& top, const AttrDef* sub, bool in_array, bool value);
  IndexEntries Finish();

 private:
  template <typename F>
  void ForEachSlot(const AttrDef& top, const AttrDef* sub, bool in_array, F f);
  const IndexPaths& paths_;
  std::vector<std::pair<size_t, IndexValue>> found_;  // slot, value; in the order written
};

// Writes the difference between a resource's old and new index entries into `txn`:
// unique claims first (a conflict is Uniqueness naming the attribute and the value from
// `new_attrs`, before anything else is written), then value and presence entries. Every
// write of a resource goes through this (create: old = {}, delete: new = {}).
Status ApplyIndexDiff(Transaction& txn, ResourceType type, const ResourceId& id,
                      const IndexEntries& old_entries, const IndexEntries& new_entries,
                      const Json& new_attrs);
// Normalizes a string for an index of an attribute with the given caseExact rule.
std::string NormalizeForIndex(std::string_view value, bool case_exact);

}  // namespace scimd::core
