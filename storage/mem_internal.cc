// MemState: committed writes with undo images, and the lock table; see mem_internal.h.
#include "storage/mem_internal.h"

#include <algorithm>
#include <utility>

namespace scimd::storage::internal {

std::optional<std::string> MemState::Read(Cf cf, std::string_view key) const {
  auto it = data[cf].find(key);
  if (it == data[cf].end()) return std::nullopt;
  return it->second;
}

void MemState::Write(Cf cf, const std::string& key, std::optional<std::string> value) {
  Table& table = data[cf];
  auto it = table.find(key);
  if (!snapshots.empty()) {
    std::optional<std::string> old;
    if (it != table.end()) old = it->second;
    // Only the first change after a scan began is its undo image: try_emplace keeps it.
    for (Snapshot* s : snapshots) s->before[cf].try_emplace(key, old);
  }
  if (!value) {
    if (it != table.end()) table.erase(it);
  } else if (it != table.end()) {
    it->second = std::move(*value);
  } else {
    table.emplace(key, std::move(*value));
  }
}

bool MemState::TryLock(const std::string& lock_key, uint64_t txn, bool exclusive) {
  auto [it, inserted] = locks.try_emplace(lock_key);
  KeyLock& lock = it->second;
  if (inserted) {
    lock.exclusive = exclusive;
    lock.holders.push_back(txn);
    return true;
  }
  if (lock.exclusive || exclusive) {
    if (lock.holders.size() != 1 || lock.holders[0] != txn) return false;
    lock.exclusive = exclusive;
    return true;
  }
  lock.holders.push_back(txn);
  return true;
}

void MemState::Unlock(const std::string& lock_key, uint64_t txn) {
  auto it = locks.find(lock_key);
  if (it == locks.end()) return;
  std::vector<uint64_t>& holders = it->second.holders;
  holders.erase(std::remove(holders.begin(), holders.end(), txn), holders.end());
  if (holders.empty()) locks.erase(it);
}

}  // namespace scimd::storage::internal
