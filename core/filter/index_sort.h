// Index-ordered sort: a window of a list sorted by an indexed single-valued string
// attribute, read by walking that attribute's index in value order (entries are
// value|id, the folded value being exactly the RFC's sort order and id the tie-break)
// instead of sorting every match in memory. Without a filter a page costs about `count`
// resource reads whatever the tenant size. Resources without the attribute come last in
// id order, as in SortBefore. Safe on any thread; reads are not one snapshot.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/base/ids.h"
#include "core/base/status.h"
#include "core/base/store.h"
#include "core/filter/filter.h"
#include "core/filter/sort.h"
#include "core/resource/schema.h"

namespace scimd::core {

// The index that orders resources of `type` exactly as `spec` sorts them: one on the
// same single-valued string attribute that folds case as the sort does. Null if none.
const IndexedAttr* SortIndexFor(ResourceType type, const SortSpec& spec,
                                const std::vector<IndexedAttr>& indexed);

struct SortedWindow {
  uint64_t total = 0;                                    // every match, not only the window
  std::vector<std::pair<ResourceId, std::string>> rows;  // the window: id, stored value
  uint64_t candidates = 0;                               // index entries and resources visited
  uint64_t rows_examined = 0;  // resources read (and, with a filter, evaluated)
};

// Rows first .. first + count - 1 (1-based) of the matches of `filter` (every resource
// when null) in the order of `spec`. REQUIRES: index == SortIndexFor(type, spec), first
// >= 1.
Status IndexOrderedWindow(Store& store, TenantId tenant, ResourceType type, const SortSpec& spec,
                          const IndexedAttr& index, const CompiledFilter* filter, uint64_t first,
                          uint64_t count, SortedWindow* out);

// The Explain form of such a walk: `IndexOrder(User.userName ascending)`.
std::string ExplainIndexOrder(ResourceType type, const IndexedAttr& index, bool descending);

}  // namespace scimd::core
