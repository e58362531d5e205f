// PageCursors: see page_cursors.h.
#include "core/usecase/page_cursors.h"

#include <algorithm>

#include "core/base/limits.h"

namespace scimd::core {

std::optional<PageCursors::Cursor> PageCursors::Find(TenantId tenant, ResourceType type,
                                                     uint64_t generation, uint64_t at_most) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = lists_.find(Key(tenant, type));
  if (it == lists_.end()) return std::nullopt;
  List& list = it->second;
  if (list.generation != generation) {
    lists_.erase(it);  // the set changed since: every position may have moved
    return std::nullopt;
  }
  // The first entry past at_most; the one before it is the nearest at or below.
  auto past = std::upper_bound(list.entries.begin(), list.entries.end(), at_most,
                               [](uint64_t p, const Entry& e) { return p < e.cursor.position; });
  if (past == list.entries.begin()) return std::nullopt;
  Entry& found = *(past - 1);
  list.used = found.used = ++tick_;
  return found.cursor;
}

void PageCursors::Learn(TenantId tenant, ResourceType type, uint64_t generation,
                        const std::vector<Cursor>& cursors) {
  if (cursors.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  List& list = ListFor(Key(tenant, type));
  if (list.generation != generation) {
    list.entries.clear();
    list.generation = generation;
  }
  const uint64_t now = ++tick_;
  list.used = now;
  for (const Cursor& c : cursors) {
    auto by_position = [](const Entry& e, uint64_t p) { return e.cursor.position < p; };
    auto at = std::lower_bound(list.entries.begin(), list.entries.end(), c.position, by_position);
    if (at != list.entries.end() && at->cursor.position == c.position) {
      at->used = now;  // same generation, same position: the same id
      continue;
    }
    if (list.entries.size() >= kMaxCursorsPerList) {
      // The least recently used goes, never one learned just now: the rest of `cursors`
      // (the least valuable, by the REQUIRES) are dropped instead.
      auto oldest =
          std::min_element(list.entries.begin(), list.entries.end(),
                           [](const Entry& a, const Entry& b) { return a.used < b.used; });
      if (oldest->used == now) return;
      list.entries.erase(oldest);
      at = std::lower_bound(list.entries.begin(), list.entries.end(), c.position, by_position);
    }
    list.entries.insert(at, Entry{c, now});
  }
}

PageCursors::List& PageCursors::ListFor(uint64_t key) {
  auto it = lists_.find(key);
  if (it != lists_.end()) return it->second;
  if (lists_.size() >= kMaxPagingLists) {
    auto oldest = std::min_element(lists_.begin(), lists_.end(), [](const auto& a, const auto& b) {
      return a.second.used < b.second.used;
    });
    lists_.erase(oldest);
  }
  return lists_[key];
}

size_t PageCursors::lists() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lists_.size();
}

}  // namespace scimd::core
