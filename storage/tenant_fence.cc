#include "storage/tenant_fence.h"

#include <thread>

namespace scimd::storage {

TenantFence::Pass::Pass(TenantFence& fence, core::TenantId tenant) : fence_(fence) {
  const int slot = static_cast<int>(fence.epoch_.load() & 1);
  fence.active_[slot].fetch_add(1);
  if (fence.fenced_count_.load() > 0 && fence.Fenced(tenant)) {
    fence.active_[slot].fetch_sub(1);
    return;
  }
  slot_ = slot;
}

TenantFence::Pass::~Pass() {
  if (slot_ >= 0) fence_.active_[slot_].fetch_sub(1);
}

bool TenantFence::Fenced(core::TenantId tenant) {
  std::lock_guard<std::mutex> lock(marks_mu_);
  return marks_.count(tenant) > 0;
}

void TenantFence::Fence(core::TenantId tenant) {
  {
    std::lock_guard<std::mutex> lock(marks_mu_);
    ++marks_[tenant];
    fenced_count_.fetch_add(1);
  }
  std::lock_guard<std::mutex> lock(fence_mu_);
  for (int round = 0; round < 2; ++round) {
    const uint64_t left = epoch_.fetch_add(1);
    // A commit takes microseconds to a second or two (a million-member group's batch).
    while (active_[left & 1].load() != 0)
      std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

void TenantFence::Unfence(core::TenantId tenant) {
  std::lock_guard<std::mutex> lock(marks_mu_);
  auto it = marks_.find(tenant);
  if (it == marks_.end()) return;
  if (--it->second == 0) marks_.erase(it);
  fenced_count_.fetch_sub(1);
}

}  // namespace scimd::storage
