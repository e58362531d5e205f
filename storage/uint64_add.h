// The merge operator of the `counters` column family: values and operands are uint64
// little-endian (8 bytes) and merge by wrapping addition, so a delta of -1 is the operand
// 0xFF..FF. Never throws and never logs; a malformed value or operand counts as 0.
#pragma once

#include <rocksdb/merge_operator.h>

#include <memory>

namespace scimd::storage {

// Persisted in the OPTIONS file as the counters merge operator: do not change.
inline constexpr char kUInt64AddName[] = "scimd.UInt64Add";

std::shared_ptr<rocksdb::MergeOperator> NewUInt64AddOperator();

}  // namespace scimd::storage
