// ImportTable: a compact hash map from byte strings to a small fixed value, for the
// importer's per-file bookkeeping at 10M records (unique values, externalIds, given ids):
// the keys live in an arena of 64 MiB chunks (never copied or doubled as it grows: one
// contiguous arena of ~500 MiB at 10M records was grown by copying, and held up to twice
// its size), the table holds 16-byte slots (hash, arena position) with open addressing, so
// an entry costs its key plus ~40 bytes instead of a node allocation per entry. Keys are
// never removed. Thread rules: one thread at a time.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scimd::core {

// V: trivially copyable and default-constructible, stored right after its key.
template <typename V>
class ImportTable {
 public:
  // The value stored under `key`, if any.
  std::optional<V> Find(std::string_view key) const {
    if (slots_.empty()) return std::nullopt;
    const Slot& s = slots_[SlotFor(key, Hash(key))];
    return s.at == 0 ? std::nullopt : std::optional<V>(ValueAt(s.at));
  }
  // Inserts key -> value; when the key is present, returns its value and changes nothing.
  std::optional<V> Insert(std::string_view key, const V& value) {
    Reserve(size_ + 1);
    const uint64_t h = Hash(key);
    Slot& s = slots_[SlotFor(key, h)];
    if (s.at != 0) return ValueAt(s.at);
    s = Slot{h, Append(key, value)};
    ++size_;
    return std::nullopt;
  }
  // Adds key -> value without a lookup: the entry is appended to the arena, not yet to
  // the table (in a table of 10M keys every lookup is a cache miss; a table read only at
  // the end of an import is built then, or never). Find does not see it until Settle.
  void Defer(std::string_view key, const V& value) { deferred_.push_back(Append(key, value)); }
  // Takes the deferred entries in, in the order they came: a key already present (added
  // before, or deferred more than once) keeps on_repeat(its value, the new value).
  template <typename OnRepeat>
  void Settle(OnRepeat on_repeat) {
    std::vector<uint64_t> pending = std::move(deferred_);
    deferred_.clear();
    Reserve(size_ + pending.size());
    for (uint64_t at : pending) {
      const std::string_view key = KeyAt(at);
      const uint64_t h = Hash(key);
      Slot& s = slots_[SlotFor(key, h)];
      if (s.at != 0) {
        SetValueAt(s.at, on_repeat(ValueAt(s.at), ValueAt(at)));
      } else {
        s = Slot{h, at};
        ++size_;
      }
    }
  }
  // Replaces the value of a present key; false when the key is absent.
  bool Update(std::string_view key, const V& value) {
    if (slots_.empty()) return false;
    const Slot& s = slots_[SlotFor(key, Hash(key))];
    if (s.at == 0) return false;
    SetValueAt(s.at, value);
    return true;
  }
  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint64_t at = 0;  // (chunk << 32 | offset in it) + 1; 0: empty
  };
  static constexpr size_t kChunkBytes = size_t{64} << 20;
  static uint64_t Hash(std::string_view key) {
    // Eight bytes at a time, each mixed in with a multiply, then a final mix so that the
    // low bits spread (a byte at a time, FNV-1a, was a chain of one multiply per byte).
    constexpr uint64_t kMul = 0xff51afd7ed558ccdull;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ key.size();
    size_t i = 0;
    for (; i + 8 <= key.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, key.data() + i, 8);
      h = (h ^ w) * kMul;
      h ^= h >> 32;
    }
    uint64_t tail = 0;
    for (size_t k = 0; i + k < key.size(); ++k) {
      tail |= uint64_t{static_cast<unsigned char>(key[i + k])} << (8 * k);
    }
    h = (h ^ tail) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    h *= kMul;
    h ^= h >> 33;
    return h;
  }
  // Entry layout: u32 key size, key bytes, V; never split over two chunks.
  uint64_t Append(std::string_view key, const V& value) {
    const size_t need = sizeof(uint32_t) + key.size() + sizeof(V);
    if (chunks_.empty() || chunk_used_ + need > chunk_size_) {
      chunk_size_ = std::max(kChunkBytes, need);  // a key over 64 MiB gets a chunk of its own
      chunks_.push_back(std::make_unique_for_overwrite<char[]>(chunk_size_));
      chunk_used_ = 0;
    }
    char* at = chunks_.back().get() + chunk_used_;
    const uint32_t n = static_cast<uint32_t>(key.size());
    std::memcpy(at, &n, sizeof(n));
    std::memcpy(at + sizeof(n), key.data(), key.size());
    std::memcpy(at + sizeof(n) + key.size(), &value, sizeof(V));
    const uint64_t position = (uint64_t{chunks_.size() - 1} << 32 | chunk_used_) + 1;
    chunk_used_ += need;
    return position;
  }
  char* EntryAt(uint64_t at) const {
    return chunks_[(at - 1) >> 32].get() + ((at - 1) & 0xFFFFFFFFu);
  }
  std::string_view KeyAt(uint64_t at) const {
    const char* entry = EntryAt(at);
    uint32_t n;
    std::memcpy(&n, entry, sizeof(n));
    return std::string_view(entry + sizeof(n), n);
  }
  V ValueAt(uint64_t at) const {
    const std::string_view key = KeyAt(at);
    V v;
    std::memcpy(&v, key.data() + key.size(), sizeof(V));  // unaligned in the arena
    return v;
  }
  void SetValueAt(uint64_t at, const V& v) {
    const std::string_view key = KeyAt(at);
    std::memcpy(EntryAt(at) + sizeof(uint32_t) + key.size(), &v, sizeof(V));
  }
  // The slot of `key` (hash h): the one holding it, else the empty one where it would go.
  // REQUIRES: slots_ not empty (and, as Reserve keeps it, never full).
  size_t SlotFor(std::string_view key, uint64_t h) const {
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.at == 0 || (s.hash == h && KeyAt(s.at) == key)) return i;
    }
  }
  // Room for `count` keys in at most half the slots: grown (doubled as often as needed,
  // the keys moved once) when not.
  void Reserve(size_t count) {
    size_t n = slots_.empty() ? 1024 : slots_.size();
    while (count * 2 > n) n *= 2;
    if (n == slots_.size()) return;
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(n, Slot{});
    mask_ = n - 1;
    for (const Slot& s : old) {
      if (s.at == 0) continue;
      for (size_t i = s.hash & mask_;; i = (i + 1) & mask_) {
        if (slots_[i].at == 0) {
          slots_[i] = s;
          break;
        }
      }
    }
  }

  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t chunk_size_ = 0;  // of the last chunk
  size_t chunk_used_ = 0;  // bytes used in the last chunk
  std::vector<Slot> slots_;
  std::vector<uint64_t> deferred_;  // arena positions of entries Defer added, not in slots_
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace scimd::core
