// End-to-end filter queries against a real RocksStore: a tenant of N users (default
// 1,000,000; SCIMD_BENCH_USERS overrides) and a tenant of 10,000, seeded straight through
// store transactions (many users per transaction, IndexEntriesOf + ApplyIndexDiff for the
// index entries, as the service writes them), then time per query and rows examined for
// each plan kind. Prints a table; not a gbench suite.
// Run: build-*/bench/filter_store_bench [users]
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "core/base/clock.h"
#include "core/filter/filter.h"
#include "core/resource/decode.h"
#include "core/resource/index_entries.h"
#include "core/resource/stored_value.h"
#include "core/scim/projection.h"
#include "core/scim/render.h"
#include "core/tenancy/tenant_index.h"
#include "storage/rocks_store.h"

namespace scimd {
namespace {

using core::Json;
using core::ResourceId;
using core::ResourceType;
using core::Status;

constexpr int kUsersPerTransaction = 2000;  // bounds one transaction's lock set and memory
constexpr char kEnterprise[] = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

uint64_t Mix(uint64_t x) {  // splitmix64: deterministic pseudo-random per user
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

// 1000 synthetic surnames of three syllables: "Kalomi", "Dalsenvi", ...
std::string Surname(uint64_t r) {
  static const char* kSyl[] = {"ka", "lo", "mi", "ra", "sen", "ton", "vi", "zu", "ber", "dal"};
  std::string s = std::string(kSyl[r % 10]) + kSyl[r / 10 % 10] + kSyl[r / 100 % 10];
  s[0] = static_cast<char>(s[0] - 32);
  return s;
}
std::string Given(uint64_t r) {
  static const char* kGiven[] = {"Alex", "Sam", "Maria", "Wei", "Fatima", "John", "Olga", "Ravi"};
  return kGiven[r % 8];
}
std::string UserName(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "u%07d", i);
  return std::string(buf) + "@contoso.com";
}
std::string ExternalId(int i) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "ext-%016llx", static_cast<unsigned long long>(Mix(i)));
  return buf;
}
std::string Email(int i) {
  const uint64_t r = Mix(i);
  return Given(r >> 8) + "." + Surname(r >> 16) + std::to_string(i) + "@contoso.com";
}

Json MakeUser(int i) {
  const uint64_t r = Mix(i);
  Json u = Json::MakeObject();
  Json schemas = Json::MakeArray();
  schemas.Push(Json::Str("urn:ietf:params:scim:schemas:core:2.0:User"));
  u.Set("schemas", std::move(schemas));
  if (r % 10 == 0) u.Set("externalId", Json::Str(ExternalId(i)));  // 10% have one
  u.Set("userName", Json::Str(UserName(i)));
  Json name = Json::MakeObject();
  name.Set("familyName", Json::Str(Surname(r >> 16)));
  name.Set("givenName", Json::Str(Given(r >> 8)));
  u.Set("name", std::move(name));
  u.Set("displayName", Json::Str(Given(r >> 8) + " " + Surname(r >> 16)));
  if (r % 2 == 0) u.Set("title", Json::Str("Engineer"));
  u.Set("active", Json::Bool(r % 10 != 1));
  Json emails = Json::MakeArray();
  Json work = Json::MakeObject();
  work.Set("value", Json::Str(Email(i)));
  work.Set("type", Json::Str("work"));
  work.Set("primary", Json::Bool(true));
  emails.Push(std::move(work));
  if (r % 10 == 2) {
    Json home = Json::MakeObject();
    home.Set("value", Json::Str("home" + std::to_string(i) + "@example.org"));
    home.Set("type", Json::Str("home"));
    emails.Push(std::move(home));
  }
  u.Set("emails", std::move(emails));
  Json ext = Json::MakeObject();
  ext.Set("department", Json::Str("Dept" + std::to_string(r % 20)));
  u.Set(kEnterprise, std::move(ext));
  return u;
}

// Ids that sort in creation order, like UUIDv7 (a fixed time base plus the user number).
ResourceId UserId(core::TenantId tenant, int i) {
  ResourceId id;
  const uint64_t hi = (uint64_t{0x018f2b4c0000} << 16) | 0x7000 | (tenant & 0xfff);
  const uint64_t lo = (uint64_t{0x8} << 60) | static_cast<uint64_t>(i);
  for (int k = 0; k < 8; ++k) {
    id.bytes[k] = static_cast<uint8_t>(hi >> (56 - 8 * k));
    id.bytes[8 + k] = static_cast<uint8_t>(lo >> (56 - 8 * k));
  }
  return id;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// The big tenant also indexes title and the enterprise department, as a tenant can with
// `scimctl index add` (core/tenancy/tenant_index.h).
const std::vector<core::IndexedAttr>& TenantIndexed() {
  static const auto indexed = [] {
    auto extra = core::ParseIndexedAttributes(std::string("User/title=100 User/") + kEnterprise +
                                              ":department=101");
    if (!extra.ok()) std::abort();
    return core::WithBuiltins(std::move(extra).value());
  }();
  return *indexed;
}

bool Seed(core::Store& store, core::TenantId tenant, int users) {
  const auto start = std::chrono::steady_clock::now();
  for (int base = 0; base < users; base += kUsersPerTransaction) {
    auto txn = store.Begin(tenant);
    const int end = std::min(users, base + kUsersPerTransaction);
    for (int i = base; i < end; ++i) {
      const Json attrs = MakeUser(i);
      const ResourceId id = UserId(tenant, i);
      core::StoredHeader header;
      header.version = 1;
      header.created_us = 1'700'000'000'000'000 + int64_t{i} * 1000;
      header.modified_us = header.created_us;
      const core::IndexEntries entries =
          core::IndexEntriesOf(ResourceType::kUser, attrs, TenantIndexed());
      Status s = core::ApplyIndexDiff(*txn, ResourceType::kUser, id, {}, entries, attrs);
      if (s.ok()) s = txn->PutResource(ResourceType::kUser, id, core::EncodeStored(header, attrs));
      if (!s.ok()) {
        std::fprintf(stderr, "seed: %s\n", s.ToString().c_str());
        return false;
      }
    }
    Status s = txn->AdjustResourceCount(ResourceType::kUser, end - base);
    if (s.ok()) s = txn->Commit();
    if (!s.ok()) {
      std::fprintf(stderr, "seed commit: %s\n", s.ToString().c_str());
      return false;
    }
    if ((end / kUsersPerTransaction) % 50 == 0 || end == users) {
      std::fprintf(stderr, "\r  tenant %u: %d users, %.1f s", tenant, end, Seconds(start));
    }
  }
  std::fprintf(stderr, "\n");
  std::printf("seeded tenant %u: %d users in %.1f s (%.0f users/s)\n", tenant, users,
              Seconds(start), users / Seconds(start));
  return true;
}

struct Outcome {
  double micros_per_query = 0;
  uint64_t matches = 0;
  core::FilterStats stats;
};

Outcome Time(core::Store& store, core::TenantId tenant, const core::CompiledFilter& f) {
  Outcome out;
  int iterations = 0;
  const auto start = std::chrono::steady_clock::now();
  do {
    out.matches = 0;
    Status s = core::RunFilter(
        store, tenant, f,
        [&](const ResourceId&, std::string_view) {
          ++out.matches;
          return true;
        },
        &out.stats);
    if (!s.ok()) {
      std::fprintf(stderr, "run: %s\n", s.ToString().c_str());
      std::exit(1);
    }
    ++iterations;
  } while (Seconds(start) < 0.5 && iterations < 2000);
  out.micros_per_query = Seconds(start) * 1e6 / iterations;
  return out;
}

int Main(int argc, char** argv) {
  int users = 1'000'000;
  if (const char* env = std::getenv("SCIMD_BENCH_USERS")) users = std::atoi(env);
  if (argc > 1) users = std::atoi(argv[1]);
  constexpr int kSmall = 10'000;
  std::string tmpl = "/tmp/scimd-filter-bench-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return 1;
  const std::string dir = tmpl;
  int rc = 0;
  {
    auto opened = storage::RocksStore::Open(dir + "/db", {});
    if (!opened.ok()) {
      std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
      return 1;
    }
    core::Store& store = **opened;
    constexpr core::TenantId kBig = 1, kSmallTenant = 2;
    if (!Seed(store, kBig, users) || !Seed(store, kSmallTenant, kSmall)) return 1;

    const std::vector<core::IndexedAttr>& indexed = TenantIndexed();
    const core::CardinalityEstimator estimator =
        core::MakeCardinalityEstimator(store, kBig, ResourceType::kUser);

    const int probe = users / 2 + 7;
    const std::string user = UserName(probe), email = Email(probe);
    const int ext_probe = [&] {  // a user that has an externalId
      int i = probe;
      while (Mix(i) % 10 != 0) ++i;
      return i;
    }();
    const std::string family = Surname(Mix(probe) >> 16);
    const std::string display = Given(Mix(probe) >> 8) + " " + family;
    const std::string dept = "Dept" + std::to_string(Mix(probe) % 20);
    struct Query {
      const char* what;
      std::string filter;
      bool heuristic_too = false;  // also time the plan made without the store's counts
    };
    const std::vector<Query> queries = {
        {"eq userName", "userName eq \"" + user + "\""},
        {"eq externalId", "externalId eq \"" + ExternalId(ext_probe) + "\""},
        {"eq emails.value", "emails.value eq \"" + email + "\""},
        {"sw name.familyName", "name.familyName sw \"" + family.substr(0, 4) + "\""},
        {"valuePath", "emails[type eq \"work\" and value eq \"" + email + "\"]"},
        {"Entra emails[].value", "emails[type eq \"work\"].value eq \"" + email + "\""},
        {"and of 2 indexed", "name.familyName sw \"" + family + "\" and userName sw \"u00\""},
        // title: 50% of users, displayName: ~1 in 8,000; department: 5%, familyName ~0.1%.
        {"and eq 50% + eq", "title eq \"Engineer\" and displayName eq \"" + display + "\"", true},
        {"and eq 5% + eq",
         std::string(kEnterprise) + ":department eq \"" + dept + "\" and name.familyName eq \"" +
             family + "\"",
         true},
        {"and of 3 (tenant)",
         "title eq \"Engineer\" and " + std::string(kEnterprise) + ":department eq \"" + dept +
             "\" and name.familyName eq \"" + family + "\"",
         true},
        {"or", "userName eq \"" + user + "\" or emails.value eq \"" + Email(probe + 1) + "\""},
        {"pr (externalId, 10%)", "externalId pr"},
        {"co (full scan)", "displayName co \"xyz\""},
    };
    std::printf("\n%-22s %9s %12s %9s %11s %11s  %s\n", "query", "plan us", "us/query", "matches",
                "candidates", "rows", "plan");
    for (const auto& q : queries) {
      for (bool counted : {true, false}) {
        if (!counted && !q.heuristic_too) continue;
        // Planning as the service does it per request: with the store's counts.
        const auto plan_start = std::chrono::steady_clock::now();
        int plans = 0;
        core::Result<core::CompiledFilter> f = Status::Internal("not compiled");
        do {
          f = core::CompileFilter(ResourceType::kUser, q.filter, indexed,
                                  counted ? &estimator : nullptr);
          ++plans;
        } while (f.ok() && Seconds(plan_start) < 0.2 && plans < 2000);
        const double plan_us = Seconds(plan_start) * 1e6 / plans;
        if (!f.ok()) {
          std::fprintf(stderr, "%s: %s\n", q.filter.c_str(), f.status().ToString().c_str());
          rc = 1;
          continue;
        }
        const Outcome o = Time(store, kBig, *f);
        std::printf("%-22s %9.1f %12.1f %9llu %11llu %11llu  %s\n",
                    counted ? q.what : "  (without counts)", plan_us, o.micros_per_query,
                    static_cast<unsigned long long>(o.matches),
                    static_cast<unsigned long long>(o.stats.candidates),
                    static_cast<unsigned long long>(o.stats.rows_examined), o.stats.plan.c_str());
      }
    }
    std::printf("\nindexed eq at %d vs %d users:\n", kSmall, users);
    for (const auto& [what, small_filter, big_filter] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"userName eq", "userName eq \"" + UserName(kSmall / 2) + "\"",
              "userName eq \"" + user + "\""},
             {"emails.value eq", "emails.value eq \"" + Email(kSmall / 2) + "\"",
              "emails.value eq \"" + email + "\""}}) {
      auto fs = core::CompileFilter(ResourceType::kUser, small_filter, indexed);
      auto fb = core::CompileFilter(ResourceType::kUser, big_filter, indexed);
      if (!fs.ok() || !fb.ok()) return 1;
      const Outcome small = Time(store, kSmallTenant, *fs);
      const Outcome big = Time(store, kBig, *fb);
      std::printf("  %-16s %8.1f us (10k)  %8.1f us (%dk)  ratio %.2f  rows %llu / %llu\n",
                  what.c_str(), small.micros_per_query, big.micros_per_query, users / 1000,
                  big.micros_per_query / small.micros_per_query,
                  static_cast<unsigned long long>(small.stats.rows_examined),
                  static_cast<unsigned long long>(big.stats.rows_examined));
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return rc;
}

}  // namespace
}  // namespace scimd

int main(int argc, char** argv) { return scimd::Main(argc, argv); }
