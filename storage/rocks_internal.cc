// rocksdb::Status -> core::Status mapping; see rocks_internal.h.
#include "storage/rocks_internal.h"

namespace scimd::storage::internal {

namespace {

// How long a client is told to wait when the store cannot write.
constexpr int64_t kUnavailableRetryAfterSeconds = 10;

}  // namespace

core::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return core::Status::Ok();
  const std::string text = s.ToString();
  if (s.IsNoSpace() || text.find("No space left on device") != std::string::npos) {
    return core::Status::Unavailable(
        "the server's disk is full: writes are refused until space is freed; reads go on",
        kUnavailableRetryAfterSeconds);
  }
  if (text.find("Read-only file system") != std::string::npos) {
    return core::Status::Unavailable(
        "the server's data directory is read-only: writes are refused; reads go on",
        kUnavailableRetryAfterSeconds);
  }
  std::string detail = std::string(what) + ": " + text;
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) {
    return core::Status::Busy(std::move(detail));
  }
  if (s.IsNotFound()) return core::Status::NotFound(std::move(detail));
  if (s.IsCorruption()) return core::Status::Corruption(std::move(detail));
  return core::Status::IoError(std::move(detail));
}

void SetIngestOptions(rocksdb::IngestExternalFileOptions* options) {
  options->move_files = true;
  options->snapshot_consistency = true;
  options->allow_global_seqno = true;
  options->allow_blocking_flush = true;
}

}  // namespace scimd::storage::internal
