// uint64 addition merge operator; see uint64_add.h.
#include "storage/uint64_add.h"

#include <rocksdb/slice.h>

#include <cstdint>
#include <string>

namespace scimd::storage {
namespace {

// 8 bytes little-endian, or 0 when the slice has another size (corruption never stops
// a read or a compaction; the counter is then off, which is the lesser harm).
uint64_t DecodeOrZero(const rocksdb::Slice& s) {
  if (s.size() != sizeof(uint64_t)) return 0;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s.data()[i]);
  return v;
}

class UInt64AddOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing_value,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    uint64_t sum = (existing_value ? DecodeOrZero(*existing_value) : 0) + DecodeOrZero(value);
    new_value->resize(sizeof(uint64_t));
    for (int i = 0; i < 8; ++i) (*new_value)[i] = static_cast<char>(sum >> (8 * i));
    return true;
  }
  const char* Name() const override { return kUInt64AddName; }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> NewUInt64AddOperator() {
  return std::make_shared<UInt64AddOperator>();
}

}  // namespace scimd::storage
