// ImportTable: a compact hash map from byte strings to a small fixed value, for the
// importer's per-file bookkeeping at 10M records (unique values, externalIds, given ids):
// the keys live in one arena, the table holds 16-byte slots (hash, arena offset) with open
// addressing, so an entry costs its key plus ~40 bytes instead of a node allocation per
// entry. Keys are never removed. Thread rules: one thread at a time.
#pragma once

#include <cstdint>
#include <cstring>
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
    const uint64_t h = Hash(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.at == 0) return std::nullopt;
      if (s.hash == h && KeyAt(s.at) == key) return ValueAt(s.at);
    }
  }
  // Inserts key -> value; when the key is present, returns its value and changes nothing.
  std::optional<V> Insert(std::string_view key, const V& value) {
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    const uint64_t h = Hash(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.at == 0) {
        s.hash = h;
        s.at = Append(key, value);
        ++size_;
        return std::nullopt;
      }
      if (s.hash == h && KeyAt(s.at) == key) return ValueAt(s.at);
    }
  }
  // Replaces the value of a present key; false when the key is absent.
  bool Update(std::string_view key, const V& value) {
    if (slots_.empty()) return false;
    const uint64_t h = Hash(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.at == 0) return false;
      if (s.hash == h && KeyAt(s.at) == key) {
        const std::string_view k = KeyAt(s.at);
        std::memcpy(arena_.data() + (k.data() + k.size() - arena_.data()), &value, sizeof(V));
        return true;
      }
    }
  }
  size_t size() const { return size_; }
  // Bytes held (arena and slots).
  size_t memory() const { return arena_.capacity() + slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint64_t at = 0;  // offset of the entry in arena_ + 1; 0: empty
  };
  static uint64_t Hash(std::string_view key) {
    // FNV-1a, then a final mix so that the low bits spread.
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
  }
  // Entry layout: u32 key size, key bytes, V.
  uint64_t Append(std::string_view key, const V& value) {
    const uint64_t at = arena_.size();
    const uint32_t n = static_cast<uint32_t>(key.size());
    arena_.append(reinterpret_cast<const char*>(&n), sizeof(n));
    arena_.append(key);
    arena_.append(reinterpret_cast<const char*>(&value), sizeof(V));
    return at + 1;
  }
  std::string_view KeyAt(uint64_t at) const {
    uint32_t n;
    std::memcpy(&n, arena_.data() + at - 1, sizeof(n));
    return std::string_view(arena_.data() + at - 1 + sizeof(n), n);
  }
  V ValueAt(uint64_t at) const {
    const std::string_view key = KeyAt(at);
    V v;
    std::memcpy(&v, key.data() + key.size(), sizeof(V));  // unaligned in the arena
    return v;
  }
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
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

  std::string arena_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace scimd::core
