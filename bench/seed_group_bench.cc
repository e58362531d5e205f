// Seeding tool (not a benchmark, despite the name that bench/CMakeLists.txt's glob wants):
// fills a stopped scimd's data directory with N typical Entra users and, optionally, G
// groups (default 1) whose members are the first M of them, writing straight through
// RocksStore transactions (bench/seed_util.h) -- far faster than POSTing them. The tenant
// must exist already (scimctl tenant create). Used by scripts/group_mem.sh and
// scripts/patch_load.sh.
//
//   seed_group_bench --data DIR --tenant NAME --users N [--members M] [--groups G]
//                    [--ids FILE] [--group-id FILE]
// --ids writes every user id (one a line), --group-id the groups' ids (one a line).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "bench/seed_util.h"
#include "core/tenancy/auth.h"
#include "storage/rocks_store.h"

namespace scimd::bench {
namespace {

// Salt of SeedId for the users and the group of this tool (any 12-bit value).
constexpr uint32_t kUserSalt = 0x5e1;
constexpr uint32_t kGroupSalt = 0x6e1;
// A bound on what one run may seed (10M users, ~10 GB of store).
constexpr uint64_t kMaxUsers = 10'000'000;
// Groups of M members each: a few are enough to measure one operation per group.
constexpr uint64_t kMaxGroups = 8;

int Usage() {
  std::fprintf(stderr,
               "usage: seed_group_bench --data DIR --tenant NAME --users N [--members M] "
               "[--groups G] [--ids FILE] [--group-id FILE]\n");
  return 2;
}

int Main(int argc, char** argv) {
  std::string data, tenant_name, ids_file, group_file;
  uint64_t users = 0, members = 0, groups = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--data") {
      data = value;
    } else if (flag == "--tenant") {
      tenant_name = value;
    } else if (flag == "--users") {
      users = std::strtoull(value.c_str(), nullptr, 10);
    } else if (flag == "--members") {
      members = std::strtoull(value.c_str(), nullptr, 10);
    } else if (flag == "--groups") {
      groups = std::strtoull(value.c_str(), nullptr, 10);
    } else if (flag == "--ids") {
      ids_file = value;
    } else if (flag == "--group-id") {
      group_file = value;
    } else {
      return Usage();
    }
  }
  if (argc % 2 != 1 || data.empty() || tenant_name.empty() || users == 0 || users > kMaxUsers ||
      members > users || groups == 0 || groups > kMaxGroups) {
    return Usage();
  }
  if (core::Status s = core::InitCrypto(); !s.ok()) {
    std::fprintf(stderr, "seed: %s\n", s.ToString().c_str());
    return 1;
  }
  storage::RocksStore::Options options;
  options.create_if_missing = false;
  auto opened = storage::RocksStore::Open(data, options);
  if (!opened.ok()) {
    std::fprintf(stderr, "seed: open %s: %s\n", data.c_str(), opened.status().ToString().c_str());
    return 1;
  }
  core::Store& store = **opened;
  auto tenant = store.FindTenant(tenant_name);
  if (!tenant.ok() || !*tenant) {
    std::fprintf(stderr, "seed: no tenant \"%s\" (scimctl tenant create first)\n",
                 tenant_name.c_str());
    return 1;
  }
  const core::TenantId tid = (*tenant)->id;

  const auto start = std::chrono::steady_clock::now();
  const OtherCpu cpu;
  if (!SeedUsers(store, tid, kUserSalt, 0, users, true)) return 1;
  const double users_s = Seconds(start);
  double edges_s = 0;
  if (members > 0) {
    const auto edges_start = std::chrono::steady_clock::now();
    std::ofstream group_out;
    if (!group_file.empty()) group_out.open(group_file);
    for (uint64_t k = 1; k <= groups; ++k) {
      const core::ResourceId group = SeedId(kGroupSalt, k);
      std::string name = "Seeded group of " + std::to_string(members);
      if (k > 1) name += " #" + std::to_string(k);
      if (!SeedGroup(store, tid, group, name)) return 1;
      if (!SeedMembers(store, tid, group, kUserSalt, 0, members, true)) return 1;
      if (group_out.is_open()) group_out << group.ToString() << "\n";
    }
    edges_s = Seconds(edges_start);
  }
  if (!ids_file.empty()) {
    std::ofstream out(ids_file);
    for (uint64_t i = 0; i < users; ++i) out << SeedId(kUserSalt, i).ToString() << "\n";
  }
  std::printf(
      "SEED users=%llu users_s=%.1f groups=%llu members=%llu edges_s=%.1f total_s=%.1f "
      "other_cpu_pct=%.0f self_cpu_pct=%.0f vmhwm_kib=%ld\n",
      static_cast<unsigned long long>(users), users_s, static_cast<unsigned long long>(groups),
      static_cast<unsigned long long>(members), edges_s, Seconds(start), cpu.Percent(),
      cpu.SelfPercent(), ProcStatusKib("VmHWM"));
  return 0;
}

}  // namespace
}  // namespace scimd::bench

int main(int argc, char** argv) { return scimd::bench::Main(argc, argv); }
