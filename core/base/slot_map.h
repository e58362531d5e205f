// SlotMap: one std::atomic<int64_t> per key, shared by every thread, found without a lock
// once a thread has met the key (each thread remembers its slots; the map behind the mutex
// only grows, so a slot never moves). For per-tenant and per-token counters that the
// request path updates: the rate limiter's arrival times, tokens' last use.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace scimd::core {

// A hash for std::string keys that also takes string_views (heterogeneous lookup: a
// token id from a request needs no std::string to find its slot).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

template <typename Key, typename Hash = std::hash<Key>, typename Eq = std::equal_to<Key>>
class SlotMap {
 public:
  SlotMap() : id_(NextId()) {}
  SlotMap(const SlotMap&) = delete;
  SlotMap& operator=(const SlotMap&) = delete;

  // The slot of `key` (0 when new). Lock-free after this thread's first call for the key.
  // `K` is Key or, with a transparent Hash and Eq, anything they compare with it.
  template <typename K>
  std::atomic<int64_t>& Slot(const K& key) {
    // Keyed by the map's id, not its address: a new map at a freed one's address must not
    // find the old map's slots.
    thread_local std::unordered_map<uint64_t,
                                    std::unordered_map<Key, std::atomic<int64_t>*, Hash, Eq>>
        cache;
    auto& mine = cache[id_];
    if (auto it = mine.find(key); it != mine.end()) return *it->second;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = slots_.find(key);
    if (it == slots_.end()) {
      it = slots_.emplace(Key(key), std::make_unique<std::atomic<int64_t>>(0)).first;
    }
    mine.emplace(Key(key), it->second.get());
    return *it->second;
  }

  // Every key with its current value (a moment's view; values may move meanwhile).
  std::vector<std::pair<Key, int64_t>> Snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::pair<Key, int64_t>> out;
    out.reserve(slots_.size());
    for (const auto& [k, v] : slots_) out.emplace_back(k, v->load(std::memory_order_relaxed));
    return out;
  }

 private:
  static uint64_t NextId() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1);
  }

  const uint64_t id_;
  mutable std::mutex mu_;  // guards slots_ (taken once per key per thread, see Slot)
  std::unordered_map<Key, std::unique_ptr<std::atomic<int64_t>>, Hash, Eq> slots_;
};

}  // namespace scimd::core
