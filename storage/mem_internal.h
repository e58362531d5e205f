// Shared state of MemStore and MemTransaction (not part of storage's public API): the
// committed column families, the undo images that open scans still need, and the lock
// table. Thread rules: everything in MemState but the mutex is guarded by that mutex.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/key_codec.h"
#include "storage/resource_generations.h"

namespace scimd::storage::internal {

// The column families of key_codec.h.
enum Cf : uint8_t {
  kResources,
  kIndex,
  kUnique,
  kMembers,
  kMemberOf,
  kCounters,
  kTenants,
  kTokens,
  kChangelog,
  kCfCount,
};

// std::less<> for lookups by string_view. std::string compares bytes as unsigned char, so a
// map's order is RocksDB's bytewise comparator.
using Table = std::map<std::string, std::string, std::less<>>;
// Key -> value, or nullopt for "absent" (deleted, or not there yet).
using MaybeTable = std::map<std::string, std::optional<std::string>, std::less<>>;

// What an open scan must still see: the value each key had when the scan began, recorded by
// the first commit that changes the key afterwards.
struct Snapshot {
  std::array<MaybeTable, kCfCount> before;
};

struct KeyLock {
  bool exclusive = false;
  std::vector<uint64_t> holders;  // transaction ids; exactly one when exclusive
};

struct MemState {
  std::mutex mu;
  std::array<Table, kCfCount> data;  // committed
  std::vector<Snapshot*> snapshots;  // of the open scans
  // Lock key (cf byte | key) -> holders. An entry exists only while someone holds it.
  std::unordered_map<std::string, KeyLock> locks;
  uint64_t next_txn_id = 1;
  uint64_t commits = 0;             // transactions committed (MemStore::commits)
  ResourceGenerations generations;  // atomics: no need of mu

  // The methods below REQUIRE: mu held.
  std::optional<std::string> Read(Cf cf, std::string_view key) const;
  // Sets (or with nullopt erases) a committed key, leaving its old value to open scans.
  void Write(Cf cf, const std::string& key, std::optional<std::string> value);
  // RocksDB's point lock manager: shared locks coexist, an exclusive one excludes every
  // other holder, and a sole holder may switch between the two. False means Busy; nothing
  // ever waits.
  bool TryLock(const std::string& lock_key, uint64_t txn, bool exclusive);
  void Unlock(const std::string& lock_key, uint64_t txn);
};

// Calls f(key, value) for the committed keys of `range` in `table`, in key order.
// REQUIRES: the MemState mutex held.
template <typename F>
void ForEachIn(const Table& table, const KeyRange& range, F&& f) {
  for (auto it = table.lower_bound(range.begin); it != table.end() && range.Contains(it->first);
       ++it) {
    f(it->first, it->second);
  }
}

}  // namespace scimd::storage::internal
