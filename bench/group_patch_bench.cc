// Group PATCH latency against group size, through core::Service::Patch on a real RocksStore
// in a temp dir under /tmp (removed at exit): groups of 1,000 / 100,000 / 1,000,000 users
// seeded straight through store transactions (bench/seed_util.h), then Entra-shaped PATCHes
// that add 1 and 100 new members and remove them again, interleaved across the groups so
// that drift (compactions, other work on the machine) hits every size alike. Prints median,
// p99 and the ratio largest/smallest per operation, the CPU that went elsewhere, peak RSS
// during the PATCHes (VmHWM, reset after seeding), then times DELETE of the largest group
// (one transaction over all its edges: storage's RemoveAllMembers) and its peak RSS.
// A plain timed main, not a gbench suite.
//
//   group_patch_bench [SIZES [ADD1_REPS [ADD100_REPS]]]   e.g. 1000,100000,1000000 1000 200
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/seed_util.h"
#include "core/scim/projection.h"
#include "core/scim/scim_render.h"
#include "core/tenancy/auth.h"
#include "core/usecase/patch.h"
#include "core/usecase/service.h"
#include "storage/rocks_store.h"

namespace scimd::bench {
namespace {

using core::ResourceId;
using core::ResourceType;

constexpr uint32_t kUserSalt = 0x101;
constexpr uint32_t kGroupSalt = 0x202;
constexpr char kPatchOp[] = R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)";

// Entra's form: {"op":"Add"|"Remove","path":"members","value":[{"value":"<id>"},...]}.
std::string MembersPatch(const char* op, uint64_t first, uint64_t count) {
  std::string body = kPatchOp;
  body += R"("Operations":[{"op":")";
  body += op;
  body += R"(","path":"members","value":[)";
  for (uint64_t i = first; i < first + count; ++i) {
    if (i > first) body += ',';
    body += R"({"value":")" + SeedId(kUserSalt, i).ToString() + "\"}";
  }
  body += "]}]}";
  return body;
}

struct Stats {
  double median_us = 0, p99_us = 0, mean_us = 0, max_us = 0;
};
Stats Summarize(std::vector<double> us) {
  Stats s;
  if (us.empty()) return s;
  std::sort(us.begin(), us.end());
  auto at = [&](double q) {
    const size_t k = static_cast<size_t>(q * static_cast<double>(us.size() - 1) + 0.5);
    return us[std::min(k, us.size() - 1)];
  };
  s.median_us = at(0.5);
  s.p99_us = at(0.99);
  s.max_us = us.back();
  for (double v : us) s.mean_us += v;
  s.mean_us /= static_cast<double>(us.size());
  return s;
}

// Resets this process's VmHWM to its current RSS (Linux >= 4.0: "5" to clear_refs).
void ResetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }

std::string g_temp_dir;  // removed on every exit path

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "group_patch_bench: %s\n", what.c_str());
  std::error_code ec;
  if (!g_temp_dir.empty()) std::filesystem::remove_all(g_temp_dir, ec);
  std::exit(1);
}

// Median time of Store::CountMembers (read by every GET of a group with its members and
// every 200 response to a group PATCH): a counter kept as RocksDB merge operands.
double CountMembersMicros(core::Store& store, core::TenantId tenant, const ResourceId& group) {
  std::vector<double> us;
  for (int i = 0; i < 101; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto n = store.CountMembers(tenant, group);
    us.push_back(Seconds(t0) * 1e6);
    if (!n.ok()) Fail("CountMembers: " + n.status().ToString());
  }
  std::sort(us.begin(), us.end());
  return us[us.size() / 2];
}

std::vector<uint64_t> ParseSizes(const char* text) {
  std::vector<uint64_t> sizes;
  std::string s = text;
  for (size_t at = 0; at <= s.size();) {
    const size_t comma = std::min(s.find(',', at), s.size());
    sizes.push_back(std::strtoull(s.substr(at, comma - at).c_str(), nullptr, 10));
    at = comma + 1;
  }
  return sizes;
}

struct Group {
  uint64_t size;
  ResourceId id;
};

int Run(const std::string& dir, const std::vector<uint64_t>& sizes, uint64_t reps1,
        uint64_t reps100) {
  const uint64_t largest = *std::max_element(sizes.begin(), sizes.end());
  const uint64_t pool = reps1 + reps100 * 100;  // new users, never members before
  const core::TenantId tenant = 1;
  std::vector<Group> groups;

  // ---- seed (then close, like a server restart, so the PATCHes start from a fresh open)
  {
    auto opened = storage::RocksStore::Open(dir, {});
    if (!opened.ok()) Fail("open: " + opened.status().ToString());
    core::Store& store = **opened;
    const auto start = std::chrono::steady_clock::now();
    const OtherCpu cpu;
    if (!SeedUsers(store, tenant, kUserSalt, 0, largest + pool, true)) return 1;
    const double users_s = Seconds(start);
    uint64_t edges = 0;
    for (size_t g = 0; g < sizes.size(); ++g) {
      Group group{sizes[g], SeedId(kGroupSalt, g)};
      if (!SeedGroup(store, tenant, group.id, "Group of " + std::to_string(sizes[g]))) return 1;
      if (!SeedMembers(store, tenant, group.id, kUserSalt, 0, sizes[g], true)) return 1;
      auto n = store.CountMembers(tenant, group.id);
      if (!n.ok() || *n != sizes[g]) Fail("member count mismatch after seeding");
      edges += sizes[g];
      groups.push_back(std::move(group));
    }
    std::printf(
        "seeded %llu users in %.1f s, %llu member edges in %.1f s (total %.1f s; other CPU "
        "%.0f%%, seeding %.0f%% of a core); VmHWM %ld MiB\n",
        static_cast<unsigned long long>(largest + pool), users_s,
        static_cast<unsigned long long>(edges), Seconds(start) - users_s, Seconds(start),
        cpu.Percent(), cpu.SelfPercent(), ProcStatusKib("VmHWM") / 1024);
  }
  const auto close_start = std::chrono::steady_clock::now();
  auto opened = storage::RocksStore::Open(dir, {});
  if (!opened.ok()) Fail("reopen: " + opened.status().ToString());
  std::printf("closed and reopened the store in %.1f s; store on disk %.0f MiB\n",
              Seconds(close_start), [&] {
                double bytes = 0;
                for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
                  if (e.is_regular_file()) bytes += static_cast<double>(e.file_size());
                }
                return bytes / (1 << 20);
              }());
  core::Store& store = **opened;
  core::Service service(store);
  core::ScimRenderer renderer(service);
  core::RequestContext ctx;
  ctx.tenant = tenant;
  ctx.may_wait = true;
  const std::string base_url = "http://127.0.0.1:8080/scim/v2";
  // 204: the engine + storage cost, no response body. 200 with the group: a client that
  // names what it wants back (without attributes, a group above the inline limit is
  // answered 204, core/scim/scim_render.h), here excludedAttributes=members.
  auto no_members = core::ParseProjection(ResourceType::kGroup, "", "members");
  if (!no_members.ok()) Fail("projection: " + no_members.status().ToString());

  std::vector<double> count_before;
  for (const Group& g : groups) count_before.push_back(CountMembersMicros(store, tenant, g.id));
  ResetPeakRss();
  const long rss_before_kib = ProcStatusKib("VmRSS");

  struct Phase {
    const char* name;
    const char* op;
    uint64_t reps, per_patch, first_user;
    bool render;  // render the 200 answer (else 204, nothing rendered)
  };
  const std::vector<Phase> phases = {
      {"add 1 member", "Add", reps1, 1, largest, false},
      {"remove 1 member", "Remove", reps1, 1, largest, false},
      {"add 100 members", "Add", reps100, 100, largest + reps1, false},
      {"remove 100 members", "Remove", reps100, 100, largest + reps1, false},
      {"add 1, 200 (no members)", "Add", std::min<uint64_t>(reps1, 200), 1, largest, true},
      {"remove 1, 200 (no members)", "Remove", std::min<uint64_t>(reps1, 200), 1, largest, true},
  };
  std::printf("\n%-24s %9s %6s %10s %10s %10s %10s %8s %8s\n", "PATCH (Service::Patch)", "group",
              "reps", "median us", "p99 us", "mean us", "max us", "other%", "self%");
  for (const Phase& ph : phases) {
    std::vector<std::vector<double>> times(groups.size());
    const OtherCpu cpu;
    for (uint64_t r = 0; r < ph.reps; ++r) {
      const std::string body = MembersPatch(ph.op, ph.first_user + r * ph.per_patch, ph.per_patch);
      for (size_t g = 0; g < groups.size(); ++g) {
        const auto t0 = std::chrono::steady_clock::now();
        // What the adapter does for a PATCH: parse, apply, and render when answered 200.
        auto json = core::Json::Parse(body);
        auto ops = json.ok() ? core::ParsePatchRequest(*json)
                             : core::Result<std::vector<core::PatchOperation>>(json.status());
        if (!ops.ok()) Fail(std::string(ph.name) + ": " + ops.status().ToString());
        auto written = service.Patch(ctx, ResourceType::kGroup, groups[g].id, *ops, "");
        if (!written.ok()) Fail(std::string(ph.name) + ": " + written.status().ToString());
        if (ph.render) {
          auto rendered = renderer.Resource(ctx, base_url, written->resource, *no_members);
          if (!rendered.ok() || rendered->text.empty() || rendered->stream) {
            Fail(std::string(ph.name) + ": rendering failed");
          }
        }
        const double us = Seconds(t0) * 1e6;
        times[g].push_back(us);
      }
    }
    const double other = cpu.Percent(), self = cpu.SelfPercent();
    std::vector<Stats> stats;
    for (size_t g = 0; g < groups.size(); ++g) {
      stats.push_back(Summarize(times[g]));
      std::printf("%-24s %9llu %6llu %10.1f %10.1f %10.1f %10.1f %8.0f %8.0f\n", ph.name,
                  static_cast<unsigned long long>(groups[g].size),
                  static_cast<unsigned long long>(ph.reps), stats[g].median_us, stats[g].p99_us,
                  stats[g].mean_us, stats[g].max_us, other, self);
    }
    std::printf("%-24s ratio largest/smallest: median %.2f, p99 %.2f\n", ph.name,
                stats.back().median_us / stats.front().median_us,
                stats.back().p99_us / stats.front().p99_us);
  }
  for (const Group& g : groups) {  // the PATCHes left every group as seeded
    auto n = store.CountMembers(tenant, g.id);
    if (!n.ok() || *n != g.size) Fail("member count changed by the PATCHes");
  }
  for (size_t g = 0; g < groups.size(); ++g) {
    std::printf(
        "CountMembers, group of %llu: median %.1f us after the reopen, %.1f us after "
        "the PATCHes above\n",
        static_cast<unsigned long long>(groups[g].size), count_before[g],
        CountMembersMicros(store, tenant, groups[g].id));
  }
  std::printf(
      "\nmemory during the PATCHes: VmRSS %ld MiB before, %ld MiB after, peak (VmHWM) "
      "%ld MiB\n",
      rss_before_kib / 1024, ProcStatusKib("VmRSS") / 1024, ProcStatusKib("VmHWM") / 1024);

  // ---- DELETE of the largest group: RemoveAllMembers in one transaction
  if (std::getenv("GROUP_BENCH_SKIP_DELETE") == nullptr) {
    ResetPeakRss();
    const long before = ProcStatusKib("VmRSS");
    const OtherCpu cpu;
    const auto t0 = std::chrono::steady_clock::now();
    const core::Status deleted =
        service.Delete(ctx, ResourceType::kGroup, groups.back().id, "").status();
    const double s = Seconds(t0);
    if (!deleted.ok()) Fail("delete: " + deleted.ToString());
    auto n = store.CountMembers(tenant, groups.back().id);
    std::printf(
        "DELETE group of %llu members: %.2f s (other CPU %.0f%%), VmRSS %ld MiB before, "
        "peak (VmHWM) %ld MiB; members left %llu\n",
        static_cast<unsigned long long>(groups.back().size), s, cpu.Percent(), before / 1024,
        ProcStatusKib("VmHWM") / 1024, static_cast<unsigned long long>(n.ok() ? *n : 0));
  }
  return 0;
}

int Main(int argc, char** argv) {
  std::vector<uint64_t> sizes = {1'000, 100'000, 1'000'000};
  uint64_t reps1 = 1000, reps100 = 200;
  if (argc > 1) sizes = ParseSizes(argv[1]);
  if (argc > 2) reps1 = std::strtoull(argv[2], nullptr, 10);
  if (argc > 3) reps100 = std::strtoull(argv[3], nullptr, 10);
  // Bounds: at most 10M members per group and 10k repetitions (the pool of new users).
  for (uint64_t s : sizes) {
    if (s == 0 || s > 10'000'000) Fail("sizes must be 1..10,000,000");
  }
  if (reps1 == 0 || reps1 > 10'000 || reps100 == 0 || reps100 > 10'000) {
    Fail("repetitions must be 1..10,000");
  }
  std::sort(sizes.begin(), sizes.end());
  if (core::Status s = core::InitCrypto(); !s.ok()) Fail(s.ToString());
  std::string tmpl = "/tmp/scimd-group-bench-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) Fail("mkdtemp");
  const std::string dir = tmpl;
  g_temp_dir = dir;
  const int rc = Run(dir + "/db", sizes, reps1, reps100);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return rc;
}

}  // namespace
}  // namespace scimd::bench

int main(int argc, char** argv) { return scimd::bench::Main(argc, argv); }
