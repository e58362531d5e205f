// Refuses the commits of fenced tenants, and tells when every commit that began before a
// fence has ended: what lets a tenant's move (issue #21) take its last changes knowing
// that none can follow. A commit pays two atomic adds and two loads while no tenant is
// fenced. Thread-safe.
//
// How Fence knows that the commits before it ended: commits count themselves in one of
// two slots, chosen by an epoch. Fence marks the tenant, then twice advances the epoch
// and waits for the slot it left to empty. A commit that passed the mark check did so
// before the mark was set, so it was counted in one of the slots by then, and the two
// waits see each slot empty once after the mark (new commits count in the other slot, so
// each wait ends).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "core/base/ids.h"

namespace scimd::storage {

class TenantFence {
 public:
  // Brackets one commit of `tenant`: admitted() is false when the tenant is fenced (the
  // commit must not happen).
  class Pass {
   public:
    Pass(TenantFence& fence, core::TenantId tenant);
    ~Pass();
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    bool admitted() const { return slot_ >= 0; }

   private:
    TenantFence& fence_;
    int slot_ = -1;
  };

  // Marks the tenant (fences nest) and returns once no commit of it that began before is
  // still running.
  void Fence(core::TenantId tenant);
  void Unfence(core::TenantId tenant);
  bool Fenced(core::TenantId tenant);

 private:
  std::atomic<uint64_t> epoch_{0};
  std::atomic<int64_t> active_[2] = {0, 0};
  std::atomic<int> fenced_count_{0};  // fences of all tenants
  std::mutex marks_mu_;               // guards marks_
  std::unordered_map<core::TenantId, int> marks_;
  std::mutex fence_mu_;  // one Fence waits at a time
};

}  // namespace scimd::storage
