// Checking a tenant's stored data against itself (scimctl check TENANT [--repair]): every
// index value, presence and unique entry against what its resource derives and the
// reverse, every membership edge against its mirror and against the resources it joins,
// and every counter against what it counts. Used after crashes (scripts/kill9.sh runs it
// after each restart) and by operators; docs/RELIABILITY.md.
//
// How, at a cost of a few sequential scans: each family's entries are summed into a
// fingerprint (count and a sum of 64-bit hashes) per attribute, once as the resources
// derive them and once as stored; only a family whose two fingerprints differ is walked
// again entry by entry to name each problem (a point read per entry). Edges the same way,
// members against member_of. Meant for a store no server writes to meanwhile (scimctl
// --data holds the store's lock), like core/usecase/reindex.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/base/ids.h"
#include "core/base/status.h"
#include "core/base/store.h"

namespace scimd::core {

struct CheckReport {
  uint64_t users = 0;
  uint64_t groups = 0;
  uint64_t entries = 0;  // index value, presence and unique entries derived
  uint64_t edges = 0;    // membership edges (members family)
  uint64_t problems = 0;
  uint64_t repaired = 0;  // problems a repair fixed (0 without one)
  // Problems a repair cannot fix by itself: two resources deriving one unique value, a
  // stored resource that does not parse. Listed, left as they are.
  uint64_t unrepairable = 0;
};

// One line per problem found, e.g. `index User.userName: stale entry "ann" -> <id> (the
// resource does not derive it)`. Ids as their text; values quoted, cut at 64 bytes.
using ProblemVisitor = std::function<void(std::string_view line)>;

// Checks the tenant; with `repair`, also fixes what it found: index, presence and unique
// entries rebuilt (core::Reindex), edges without their mirror given one, edges to a group
// or member that does not exist removed, mirror entries without an edge removed, counters
// set to what they count. Then checks again: the report's `problems` are the first pass's,
// `repaired` how many of them the second pass no longer finds.
Result<CheckReport> CheckTenant(Store& store, TenantId tenant, bool repair,
                                const ProblemVisitor& problem);

}  // namespace scimd::core
