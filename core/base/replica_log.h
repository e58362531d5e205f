// A store's replication log, as the replication layer (net/replication_*) sees it: commits
// in sequence order, applied elsewhere at the same sequence numbers, and the term history
// recorded in the log itself (issue #25; docs/DESIGN.md, "Replication"). RocksStore
// implements it over its WAL (storage/replication_log.h has the frame layout).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace scimd::core {

// A term (the etcd leader key's create revision) and the sequence number of its marker,
// the first commit its leader wrote.
struct TermStart {
  uint64_t term = 0;
  uint64_t sequence = 0;
  bool operator==(const TermStart&) const = default;
};

// True when a store at `latest` with term history `terms` holds only commits that the
// store at `leader_latest` with `leader_terms` also holds, at the same sequence numbers,
// so it can follow from `latest + 1`. An empty store (no term, sequence 0) follows any
// log; one with data but no term (written before it joined a group) follows none.
bool LogIsPrefix(const std::vector<TermStart>& terms, uint64_t latest,
                 const std::vector<TermStart>& leader_terms, uint64_t leader_latest);

// The commits after a position. Used by one thread at a time.
class LogReader {
 public:
  virtual ~LogReader() = default;
  // Appends the frames of the commits after position() to `out`, until about `max_bytes`
  // or the log's end as of now, and moves position() past them. NotFound when the log no
  // longer holds position() + 1: the reader's follower must be seeded again.
  virtual Status Read(size_t max_bytes, std::string* out) = 0;
  virtual uint64_t position() const = 0;
  // The files (paths) the follower must hold before the frames of the last Read, which
  // then end with an ingest's frame; empty otherwise. Taken once.
  virtual std::vector<std::string> TakeIngestFiles() = 0;
};

class ReplicaLog {
 public:
  virtual ~ReplicaLog() = default;
  // The sequence number of the last commit (0 for an empty store).
  virtual uint64_t LatestSequence() const = 0;
  virtual std::unique_ptr<LogReader> NewLogReader(uint64_t after) = 0;
  // About how many bytes the log holds after `sequence`, to within one log file (the
  // files that start after it; the tail of the file holding it is not counted).
  virtual uint64_t LogBytesAfter(uint64_t sequence) const = 0;
  // Applies frames read from a leader's log, each as one write (so this store's log keeps
  // the leader's record boundaries): the first must start at LatestSequence() + 1 and each
  // follow the one before. InvalidValue for frames out of place or malformed (checked
  // before anything is written). REQUIRES: nothing else writes to the store.
  virtual Status ApplyLog(std::string_view frames) = 0;
  // Where a follower puts an ingest's files (shipped by the leader before its frame)
  // for ApplyLog.
  virtual std::string IngestInbox() const = 0;
  // The leader's kept ingest files that every follower now holds (sequence <= upto), and
  // those kept for an hour already (a follower without them is seeded again), are no
  // longer kept.
  virtual void ReleaseIngests(uint64_t upto) = 0;
  // The term history (empty until the store joined a group).
  virtual Result<std::vector<TermStart>> ReadTerms() = 0;
  // Writes the marker of `term` (higher than every term in the history) as the next
  // commit, durably. REQUIRES: nothing else writes to the store meanwhile.
  virtual Status StartTerm(uint64_t term) = 0;
  // What must be equal for two stores to exchange frames (the column families' ids).
  virtual std::string LogFormat() const = 0;
};

}  // namespace scimd::core
