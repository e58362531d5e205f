// Store::ResourceSetGeneration for both stores: per (tenant, type), a number that changes
// whenever a commit adds or removes resources of that type, kept in memory in 4,096 stripes
// (a (tenant, type) pair shares its stripe with others: a change there changes theirs too,
// which is safe, only less useful). Lock-free; safe from every thread.
//
// Each stripe is one 64-bit word: a generation (high 44 bits) and the number of commits in
// flight (low 20 bits). A commit that adds or removes resources runs inside a Change: its
// constructor adds 1 to both (before the commit can be seen), its destructor takes 1 from
// the in-flight count (after the commit returned, so any later read sees it). Get answers
// nullopt while a commit is in flight, else the word. Why equal answers mean an unchanged
// set: if Get returned w at t1 and the same w at t2, no Change began in [t1, t2] (each one
// raises the generation), and none was in flight at t1; so every commit that is visible
// to some read in [t1, t2] had returned before t1, and none became visible in between.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>

#include "core/base/ids.h"

namespace scimd::storage {

// Types as a mask: bit ResourceType value.
constexpr uint8_t ResourceTypeBit(core::ResourceType type) {
  return static_cast<uint8_t>(1u << static_cast<uint8_t>(type));
}

class ResourceGenerations {
 public:
  static constexpr uint8_t Bit(core::ResourceType type) { return ResourceTypeBit(type); }
  static constexpr uint8_t kAllTypes =
      ResourceTypeBit(core::ResourceType::kUser) | ResourceTypeBit(core::ResourceType::kGroup);

  std::optional<uint64_t> Get(core::TenantId tenant, core::ResourceType type) const {
    const uint64_t word = Stripe(tenant, type).load(std::memory_order_acquire);
    if ((word & kInFlightMask) != 0) return std::nullopt;
    return word;
  }

  // Brackets one commit that adds or removes resources of the types in `types` (no-op for
  // an empty mask). REQUIRES: destroyed after the commit returned, before the generations.
  class Change {
   public:
    Change(ResourceGenerations* gens, core::TenantId tenant, uint8_t types)
        : gens_(gens), tenant_(tenant), types_(types) {
      ForEach([](std::atomic<uint64_t>& s) { s.fetch_add(kOneChange, std::memory_order_acq_rel); });
    }
    ~Change() {
      ForEach([](std::atomic<uint64_t>& s) { s.fetch_sub(1, std::memory_order_acq_rel); });
    }
    Change(const Change&) = delete;
    Change& operator=(const Change&) = delete;

   private:
    template <typename F>
    void ForEach(F&& f) {
      for (core::ResourceType t : {core::ResourceType::kUser, core::ResourceType::kGroup}) {
        if ((types_ & Bit(t)) != 0) f(gens_->Stripe(tenant_, t));
      }
    }
    ResourceGenerations* gens_;
    core::TenantId tenant_;
    uint8_t types_;
  };

 private:
  static constexpr int kInFlightBits = 20;  // > any number of threads committing at once
  static constexpr uint64_t kInFlightMask = (uint64_t{1} << kInFlightBits) - 1;
  // One more generation and one more commit in flight. The generation wraps after 2^44
  // changes of one stripe: far beyond a process's lifetime.
  static constexpr uint64_t kOneChange = (uint64_t{1} << kInFlightBits) + 1;
  static constexpr size_t kStripes = 4096;

  std::atomic<uint64_t>& Stripe(core::TenantId tenant, core::ResourceType type) const {
    uint64_t h = (uint64_t{tenant} << 2 | static_cast<uint8_t>(type)) * 0x9E3779B97F4A7C15ull;
    return stripes_[(h >> 32) % kStripes];
  }

  mutable std::array<std::atomic<uint64_t>, kStripes> stripes_{};
};

}  // namespace scimd::storage
