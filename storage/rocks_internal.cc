// rocksdb::Status -> core::Status mapping; see rocks_internal.h.
#include "storage/rocks_internal.h"

namespace scimd::storage::internal {

core::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return core::Status::Ok();
  std::string detail = std::string(what) + ": " + s.ToString();
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) {
    return core::Status::Busy(std::move(detail));
  }
  if (s.IsNotFound()) return core::Status::NotFound(std::move(detail));
  if (s.IsCorruption()) return core::Status::Corruption(std::move(detail));
  return core::Status::IoError(std::move(detail));
}

}  // namespace scimd::storage::internal
