// The replication log of a RocksStore (issue #25; docs/DESIGN.md, "Replication"): the
// leader's commits as RocksDB wrote them to its WAL (whole write batches, every column
// family), read in sequence order and applied by followers so that each follower's
// sequence numbers are the leader's. Positions are therefore plain sequence numbers on
// every node. Terms (the etcd leader key's create revision) are recorded in the log itself:
// a new leader's first write is a term marker, and the list of (term, first sequence) is a
// key every replica holds, which decides whether one node's store is a prefix of another's.
//
// Frame layout (big-endian): u64 first sequence, u32 length, then the batch's bytes
// (RocksDB's WriteBatch representation). Thread rules: reading the log is safe beside
// writes; ApplyLog and StartTerm must not run beside any other write to the store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace scimd::storage {

struct TermStart {
  uint64_t term = 0;
  uint64_t sequence = 0;  // the term marker's own sequence number
  bool operator==(const TermStart&) const = default;
};

std::string EncodeTerms(const std::vector<TermStart>& terms);
core::Result<std::vector<TermStart>> DecodeTerms(std::string_view bytes);

// True when a store at `latest` with term history `terms` holds only commits that the
// store at `leader_latest` with `leader_terms` also holds, at the same sequence numbers,
// so it can follow from `latest + 1`. A store with no term and sequence 0 (empty) follows
// any log; a store with no term but data (written before it joined a group) follows none.
bool LogIsPrefix(const std::vector<TermStart>& terms, uint64_t latest,
                 const std::vector<TermStart>& leader_terms, uint64_t leader_latest);

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
