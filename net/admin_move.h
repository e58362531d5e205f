// A tenant's move between scimd servers through their admin APIs (issue #21; `scimctl
// tenant move`, docs/SCALING.md "Moving a tenant"). The source:
//   POST   /tenants/T/moves                 -> 201 {"id", "sequence"}: a snapshot, the log kept
//   GET    /tenants/T/moves/ID/range?cursor=HEX  a page of the snapshot's entries;
//          X-Scimd-Cursor: the next page's cursor, X-Scimd-Done: 1 after the last
//   GET    /tenants/T/moves/ID/changes?since=N   a page of the changes after N;
//          X-Scimd-Sequence: the next N, X-Scimd-More: 1 when more are ready
//   POST   /tenants/T/moves/ID/fence        the tenant's writes refused (503), those under
//          way waited for -> {"sequence"}: after it, the changes are final
//   GET    /tenants/T/moves/ID/records      its settings and tokens (hashes), for the target
//   POST   /tenants/T/moves/ID/finish       the tenant deleted here (it lives on the target)
//   DELETE /tenants/T/moves/ID              the move abandoned: writes taken again
// The target:
//   POST   /arrivals {"name": T}            -> 201 {"id"}: an empty tenant T, no token yet
//   PUT    /arrivals/ID/range               a range page;  POST /arrivals/ID/range/finish
//   PUT    /arrivals/ID/changes             a page of changes, applied at once
//   PUT    /arrivals/ID/records             settings and tokens: the tenant is served
//   DELETE /arrivals/ID                     abandoned: the tenant deleted
// Pages are storage/FORMAT.md's "Moving a tenant" (binary). A session that hears nothing
// for kMoveIdleMicros is abandoned as by DELETE (Expire), so a client that died leaves
// neither a fenced tenant nor a kept log behind. Safe on any thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/clock.h"
#include "core/base/store.h"
#include "core/tenancy/gate.h"
#include "net/admin_transfer.h"

namespace scimd::net {

// Bytes of one page (below the admin listener's body limit, as import pieces).
inline constexpr size_t kMovePageBytes = size_t{4} << 20;
inline constexpr int64_t kMoveIdleMicros = int64_t{10} * 60 * 1000 * 1000;
// A moved tenant's fence stays this long after its copy here was deleted (see finish).
inline constexpr int64_t kRetiredFenceMicros = int64_t{5} * 60 * 1000 * 1000;

class AdminMoves {
 public:
  using Reply = AdminTransfers::Reply;
  AdminMoves(core::Store& store, core::Gate& gate, const core::Clock& clock)
      : store_(store), gate_(gate), clock_(clock) {}
  ~AdminMoves();  // abandons what is open

  // `rest`: the segments after /tenants/T/moves.
  Reply Moves(const core::TenantRecord& tenant, const std::vector<std::string_view>& rest,
              std::string_view method, std::string_view cursor, std::string_view since);
  // `rest`: the segments after /arrivals.
  Reply Arrivals(const std::vector<std::string_view>& rest, std::string_view method,
                 std::string_view body);

  // Whether a move out of the tenant is open (imports, deletes and index builds wait), and
  // whether its writes are fenced (settings and tokens changes are refused: they would be
  // lost).
  bool Moving(core::TenantId tenant);
  bool Fenced(core::TenantId tenant);
  // Abandons sessions idle for kMoveIdleMicros, and lifts the fences of tenants gone for
  // kRetiredFenceMicros.
  void Expire();

  // Deletes a tenant as at the end of a move: its new writes are held, the store's fence
  // waits out the commits under way, the data goes, and the fence stays
  // kRetiredFenceMicros, so that a request admitted with its token just before cannot
  // commit into the deleted tenant (it would be answered 201 and lost); what was written
  // around the fence meanwhile (activity entries, which do not commit through it) is
  // deleted again when the fence is lifted. A store that cannot fence (MemStore) deletes
  // without that guarantee. True when it existed.
  core::Result<bool> DeleteTenant(core::TenantId tenant);

 private:
  struct Out {
    std::mutex mu;  // one request of the session at a time
    core::TenantId tenant = 0;
    std::unique_ptr<core::TenantMoveSource> source;
    bool fenced = false;
    int64_t touched_us = 0;
  };
  struct In {
    std::mutex mu;
    core::TenantId tenant = 0;
    std::unique_ptr<core::TenantMoveSink> sink;
    int64_t touched_us = 0;
  };
  std::shared_ptr<Out> FindOut(const core::TenantRecord& tenant, std::string_view id);
  std::shared_ptr<In> FindIn(std::string_view id);
  void Abandon(Out& out);  // REQUIRES: out.mu held
  void Abandon(In& in);

  core::Store& store_;
  core::Gate& gate_;
  const core::Clock& clock_;
  std::mutex mu_;  // guards the maps and next_
  std::map<std::string, std::shared_ptr<Out>> outs_;
  std::map<std::string, std::shared_ptr<In>> ins_;
  std::vector<std::pair<core::TenantId, int64_t>> retired_;  // moved away or deleted, fenced since
  uint64_t next_ = 0;
};

}  // namespace scimd::net
