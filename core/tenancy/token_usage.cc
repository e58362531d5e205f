#include "core/tenancy/token_usage.h"

namespace scimd::core {

void TokenUsage::Touch(std::string_view token_id, int64_t now) {
  std::atomic<int64_t>& last = last_.Slot(token_id);
  // Uses arrive from many threads in any order; keep the latest. Most requests see a value
  // within the same second and store nothing.
  int64_t seen = last.load(std::memory_order_relaxed);
  while (seen < now && !last.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
  }
}

int64_t TokenUsage::LastSeen(std::string_view token_id) {
  return last_.Slot(token_id).load(std::memory_order_relaxed);
}

Result<size_t> TokenUsage::Flush(Store& store) {
  size_t written = 0;
  for (const auto& entry : last_.Snapshot()) {
    // Named, not a structured binding: the lambda below captures it (clang 14, which
    // builds the fuzz targets, cannot capture bindings).
    const auto& token_id = entry.first;
    const auto seen = entry.second;
    if (seen == 0) continue;
    // A read first: most tokens' stored use is recent enough, and then nothing is written.
    SCIMD_ASSIGN_OR_RETURN(std::optional<TokenRecord> stored, store.LookupToken(token_id));
    if (!stored || seen - stored->last_used_unix < kLastUsedGranularitySeconds) continue;
    bool changed = false;
    Status s = store.UpdateToken(token_id, [&](TokenRecord& token) {
      changed = seen - token.last_used_unix >= kLastUsedGranularitySeconds;
      if (changed) token.last_used_unix = seen;
      return Status::Ok();
    });
    if (s.Is(Status::Code::kNotFound)) continue;  // revoked meanwhile
    SCIMD_RETURN_IF_ERROR(s);
    if (!changed) continue;
    ++written;
  }
  return written;
}

}  // namespace scimd::core
