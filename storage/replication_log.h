// The replication log of a RocksStore (core/base/replica_log.h; docs/DESIGN.md,
// "Replication"): the leader's commits as RocksDB wrote them to its WAL (whole write batches, every
// column family), read in sequence order and applied by followers so that each follower's sequence
// numbers are the leader's. Positions are therefore plain sequence numbers on every node. Terms
// (the etcd leader key's create revision) are recorded in the log itself: a new leader's first
// write is a term marker, and the list of (term, first sequence) is a key every replica holds,
// which decides whether one node's store is a prefix of another's.
//
// Frame layout (big-endian): u64 first sequence, u32 length, then the batch's bytes
// (RocksDB's WriteBatch representation). Thread rules: reading the log is safe beside
// writes; ApplyLog and StartTerm must not run beside any other write to the store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/replica_log.h"
#include "core/base/status.h"

namespace scimd::storage {

using core::TermStart;

std::string EncodeTerms(const std::vector<TermStart>& terms);
core::Result<std::vector<TermStart>> DecodeTerms(std::string_view bytes);

// One frame of the log, viewed in a buffer of frames.
struct LogFrame {
  uint64_t first = 0;     // sequence number of the batch's first entry
  uint32_t count = 0;     // entries in the batch (sequence numbers it takes)
  std::string_view data;  // the WriteBatch representation
};
void AppendLogFrame(std::string* out, uint64_t first, std::string_view batch);
// Reads the next frame of `*in`, advancing it. InvalidValue when the bytes are not a frame
// or the batch is malformed.
core::Status NextLogFrame(std::string_view* in, LogFrame* frame);

}  // namespace scimd::storage
