// Page cursors: for an unfiltered list in id order (a tenant's Users or Groups), remembered
// (position -> id at that position) pairs, each tagged with the Store::ResourceSetGeneration
// of the set it was read from, so that a page at startIndex p starts its scan after the
// nearest remembered position below p instead of reading the p - 1 rows before it. A
// client paging sequentially finds the end of its previous page: O(count) per page.
// Bounded (kMaxPagingLists lists x kMaxCursorsPerList cursors, least recently used go
// first); safe from every thread: one mutex, held for O(kMaxCursorsPerList) steps at most.
// The cache is only a hint: Service::Search decides when a cursor may be used.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/base/ids.h"

namespace scimd::core {

class PageCursors {
 public:
  struct Cursor {
    uint64_t position = 0;  // 1-based, in id order
    ResourceId id;          // the resource at `position`
  };

  // The cursor with the largest position <= `at_most` remembered for the list as it was at
  // `generation`, or nullopt. Cursors of another generation are dropped.
  std::optional<Cursor> Find(TenantId tenant, ResourceType type, uint64_t generation,
                             uint64_t at_most);
  // Remembers `cursors`, read from the list as it was at `generation`. REQUIRES: the
  // generation was the same before and after the read; `cursors` come most valuable first
  // (when the list is full of cursors learned by this call, the rest are dropped).
  void Learn(TenantId tenant, ResourceType type, uint64_t generation,
             const std::vector<Cursor>& cursors);

  size_t lists() const;  // for tests

 private:
  struct Entry {
    Cursor cursor;
    uint64_t used = 0;  // tick of the last Find or Learn that touched it
  };
  struct List {
    uint64_t generation = 0;
    uint64_t used = 0;
    std::vector<Entry> entries;  // by position, positions distinct
  };
  static uint64_t Key(TenantId tenant, ResourceType type) {
    return uint64_t{tenant} << 8 | static_cast<uint8_t>(type);
  }
  // REQUIRES: mu_ held.
  List& ListFor(uint64_t key);

  mutable std::mutex mu_;
  uint64_t tick_ = 0;
  std::unordered_map<uint64_t, List> lists_;
};

}  // namespace scimd::core
