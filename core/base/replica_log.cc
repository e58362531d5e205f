// LogIsPrefix (replica_log.h).
#include "core/base/replica_log.h"

namespace scimd::core {

bool LogIsPrefix(const std::vector<TermStart>& terms, uint64_t latest,
                 const std::vector<TermStart>& leader_terms, uint64_t leader_latest) {
  if (latest > leader_latest) return false;
  if (terms.empty()) return latest == 0;
  const TermStart& last = terms.back();
  for (size_t i = 0; i < leader_terms.size(); ++i) {
    if (leader_terms[i] != last) continue;
    // The leader of `last.term` wrote one linear log from its marker on; both stores hold
    // a prefix of it, and the leader's ends where the next term's marker went.
    const uint64_t next =
        i + 1 < leader_terms.size() ? leader_terms[i + 1].sequence : leader_latest + 1;
    return latest < next;
  }
  return false;
}

}  // namespace scimd::core
