// What a create costs without HTTP (docs/PERFORMANCE.md, "The write path", issue #19): the
// rate of POST /Users's own work -- the body parsed (Json::Parse), checked (DecodeInput),
// created (core::Service::Create: the unique userName claimed, the resource, its index and
// presence entries and the count in one transaction and one commit) and rendered
// (core::RenderResource) -- from THREADS threads for SECONDS seconds against a stopped
// scimd's data directory, with scimd's store options. No socket, no HTTP parsing, no token
// check, no activity entry: it is the most a POST over HTTP could reach with the store and
// the core as they are, and scripts/write_load.sh runs it next to raw_put_bench.
//
//   core_create_bench --data DIR --tenant NAME [--threads T] [--seconds S]
//
// Prints
//   RESULT core_create threads=T creates=N seconds=S creates_per_s=R p50_us=A p99_us=B
//          self_cpu_pct=C other_cpu_pct=D
// Each body is a ~1 KB user with a unique userName (bench/seed_util.h's SeedUserJson).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/latency.h"
#include "bench/seed_util.h"
#include "core/base/json.h"
#include "core/resource/decode.h"
#include "core/scim/projection.h"
#include "core/scim/render.h"
#include "core/tenancy/auth.h"
#include "core/tenancy/request_context.h"
#include "core/usecase/service.h"
#include "storage/rocks_store.h"

namespace scimd::bench {
namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: core_create_bench --data DIR --tenant NAME [--threads T] [--seconds S]\n");
  return 2;
}

int Main(int argc, char** argv) {
  std::string data, tenant_name;
  unsigned threads = 2;
  double seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--data") {
      data = value;
    } else if (flag == "--tenant") {
      tenant_name = value;
    } else if (flag == "--threads") {
      threads = static_cast<unsigned>(std::atoi(value.c_str()));
    } else if (flag == "--seconds") {
      seconds = std::atof(value.c_str());
    } else {
      return Usage();
    }
  }
  if (argc % 2 != 1 || data.empty() || tenant_name.empty() || threads == 0 || threads > 64 ||
      !(seconds > 0 && seconds <= 600)) {
    return Usage();
  }
  if (core::Status s = core::InitCrypto(); !s.ok()) {
    std::fprintf(stderr, "core_create_bench: %s\n", s.ToString().c_str());
    return 1;
  }
  storage::RocksStore::Options options;  // scimd's, as tools/scimd_main.cc opens it
  options.create_if_missing = false;
  auto opened = storage::RocksStore::Open(data, options);
  if (!opened.ok()) {
    std::fprintf(stderr, "core_create_bench: open %s: %s\n", data.c_str(),
                 opened.status().ToString().c_str());
    return 1;
  }
  core::Store& store = **opened;
  auto tenant = store.FindTenant(tenant_name);
  if (!tenant.ok() || !*tenant) {
    std::fprintf(stderr, "core_create_bench: no tenant \"%s\"\n", tenant_name.c_str());
    return 1;
  }
  core::RequestContext ctx;
  ctx.tenant = (*tenant)->id;
  ctx.may_wait = true;
  core::Service service(store);
  const std::string base_url = "http://127.0.0.1:8080/scim/v2";
  // Unique per run: the clock's microseconds (runs on the same store never collide).
  const uint64_t run =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());

  std::atomic<bool> failed{false};
  std::vector<std::vector<uint32_t>> latencies_us(threads);
  const OtherCpu cpu;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      auto& lat = latencies_us[t];
      lat.reserve(1 << 20);
      std::string rendered;
      for (uint64_t n = 0; !failed.load(std::memory_order_relaxed); ++n) {
        char key[64];
        std::snprintf(key, sizeof(key), "cb%llx-%u-%llu", static_cast<unsigned long long>(run), t,
                      static_cast<unsigned long long>(n));
        const uint64_t mix = Mix((uint64_t{t} << 40) ^ n);
        const std::string body = SeedUserJson(key, mix, SeedSurname(mix >> 24), true, n);
        const auto before = std::chrono::steady_clock::now();
        if (before >= deadline) break;
        auto json = core::Json::Parse(body);
        if (!json.ok()) {
          std::fprintf(stderr, "core_create_bench: parse: %s\n", json.status().ToString().c_str());
          failed = true;
          break;
        }
        auto input = core::DecodeInput(core::ResourceType::kUser, std::move(json).value(),
                                       ctx.settings.decode);
        if (!input.ok()) {
          std::fprintf(stderr, "core_create_bench: decode: %s\n",
                       input.status().ToString().c_str());
          failed = true;
          break;
        }
        auto written = service.Create(ctx, core::ResourceType::kUser, std::move(input).value());
        if (!written.ok()) {
          std::fprintf(stderr, "core_create_bench: create: %s\n",
                       written.status().ToString().c_str());
          failed = true;
          break;
        }
        const core::StoredResource& r = written->resource;
        rendered.clear();
        core::RenderResource(r.type, r.id, r.header, r.AttrsJson(), base_url, core::Projection{},
                             rendered);
        core::FinishResource(rendered);
        lat.push_back(static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                std::chrono::steady_clock::now() - before)
                                                .count()));
      }
    });
  }
  for (auto& w : workers) w.join();
  const double elapsed = Seconds(start);
  if (failed) return 1;
  const LatencySummary lat = Summarize(latencies_us);
  if (lat.count == 0) return 1;
  std::printf(
      "RESULT core_create threads=%u creates=%zu seconds=%.2f creates_per_s=%.0f p50_us=%u "
      "p99_us=%u self_cpu_pct=%.0f other_cpu_pct=%.0f\n",
      threads, lat.count, elapsed, static_cast<double>(lat.count) / elapsed, lat.p50_us, lat.p99_us,
      cpu.SelfPercent(), cpu.Percent());
  return 0;
}

}  // namespace
}  // namespace scimd::bench

int main(int argc, char** argv) { return scimd::bench::Main(argc, argv); }
