// When each token was last used, without a store write per request: Gate::Admit notes the
// use in memory (one atomic store per request once a thread has met the token), and Flush
// writes to a token's record only the uses that are newer than what it holds by at least
// kLastUsedGranularitySeconds. scimd flushes every kTokenUsageFlushSeconds and on stop;
// "last used" is therefore exact to a minute in memory, to a few minutes on disk. Safe
// on any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/slot_map.h"
#include "core/base/status.h"
#include "core/base/store.h"

namespace scimd::core {

// "Last used" is shown to admins to the minute (a token unused for days is what they look
// for): a use within this of the stored one is not written again.
inline constexpr int64_t kLastUsedGranularitySeconds = 60;
// How often scimd writes the uses it has noted.
inline constexpr int64_t kTokenUsageFlushSeconds = 60;

class TokenUsage {
 public:
  // Notes a use of `token_id` at `now` (seconds).
  void Touch(std::string_view token_id, int64_t now);
  // The latest use noted in memory, 0 if none (what Flush has not written yet shows here).
  int64_t LastSeen(std::string_view token_id);
  // Writes the noted uses that are newer than the stored last use by at least
  // kLastUsedGranularitySeconds; tokens deleted meanwhile are skipped. Returns the
  // number of records written, or the first store error.
  Result<size_t> Flush(Store& store);

 private:
  SlotMap<std::string, StringHash, std::equal_to<>> last_;  // token id -> latest use noted, seconds
};

}  // namespace scimd::core
