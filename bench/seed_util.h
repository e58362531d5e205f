// Fast seeding of users and group membership straight through core::Store transactions
// (many writes per transaction, index entries from core::IndexEntriesOf as core/usecase/service.cc
// derives them), shared by group_patch_bench and seed_group_bench. Not for the request
// path: it trusts its own input and uses deterministic ids. Single-threaded.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/clock.h"
#include "core/base/ids.h"
#include "core/base/json.h"
#include "core/base/store.h"
#include "core/resource/decode.h"
#include "core/resource/index_entries.h"
#include "core/resource/stored_value.h"
#include "core/scim/projection.h"
#include "core/scim/render.h"

namespace scimd::bench {

// Bounds one transaction's lock set and write batch (a few MB) while amortizing commits.
inline constexpr int kUsersPerTransaction = 2000;
inline constexpr int kEdgesPerTransaction = 5000;

inline uint64_t Mix(uint64_t x) {  // splitmix64: deterministic pseudo-random per user
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

inline double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Ids that sort in creation order like UUIDv7 (a fixed time base, then `salt` and the user
// number), so that bulk-seeded users land in key order.
inline core::ResourceId SeedId(uint32_t salt, uint64_t i) {
  core::ResourceId id;
  const uint64_t hi = (uint64_t{0x018f2b4c0000} << 16) | 0x7000 | (salt & 0xfff);
  const uint64_t lo = (uint64_t{0x8} << 60) | (i & 0x0fffffffffffffffULL);
  for (int k = 0; k < 8; ++k) {
    id.bytes[k] = static_cast<uint8_t>(hi >> (56 - 8 * k));
    id.bytes[8 + k] = static_cast<uint8_t>(lo >> (56 - 8 * k));
  }
  return id;
}

// A surname drawn as a US population has them, from `r`: the 40 most common surnames at
// their 2010 census shares (per 100,000 people: Smith 828, Johnson 655, ...), four rarer
// "Sm" names, and for the other ~89% one of 1,000 synthetic three-syllable names (none
// starting "Sm"; a tenth start "Sen"). So `name.familyName sw "Sm"` matches ~0.89% of
// the users and `sw "S"` ~10%, about as in a real directory (issue #19's compound filter).
inline std::string SeedSurname(uint64_t r) {
  struct Share {
    const char* name;
    int per_100k;
  };
  static constexpr Share kCommon[] = {
      {"Smith", 828},     {"Johnson", 655},  {"Williams", 550},  {"Brown", 488},
      {"Jones", 477},     {"Garcia", 395},   {"Miller", 394},    {"Davis", 381},
      {"Rodriguez", 352}, {"Martinez", 347}, {"Hernandez", 343}, {"Lopez", 287},
      {"Gonzalez", 280},  {"Wilson", 269},   {"Anderson", 267},  {"Thomas", 251},
      {"Taylor", 248},    {"Moore", 238},    {"Jackson", 234},   {"Martin", 232},
      {"Lee", 225},       {"Perez", 219},    {"Thompson", 219},  {"White", 216},
      {"Harris", 205},    {"Sanchez", 198},  {"Clark", 179},     {"Ramirez", 177},
      {"Lewis", 172},     {"Robinson", 171}, {"Walker", 166},    {"Young", 158},
      {"Allen", 156},     {"King", 154},     {"Wright", 153},    {"Scott", 143},
      {"Torres", 141},    {"Nguyen", 141},   {"Hill", 140},      {"Flores", 139},
      {"Small", 30},      {"Smart", 14},     {"Smiley", 9},      {"Smalls", 7}};
  int pick = static_cast<int>(r % 100000);
  for (const Share& s : kCommon) {
    if (pick < s.per_100k) return s.name;
    pick -= s.per_100k;
  }
  static const char* kSyllables[] = {"ka",  "lo", "mi", "ra",  "sen",
                                     "ton", "vi", "zu", "ber", "dal"};
  const uint64_t t = r / 100000;
  std::string name =
      std::string(kSyllables[t % 10]) + kSyllables[t / 10 % 10] + kSyllables[t / 100 % 10];
  name[0] = static_cast<char>(name[0] - ('a' - 'A'));
  return name;
}

// A typical Entra user (core + enterprise extension, 2 emails, a phone, an address, a
// manager), the same shape as bench/wrk/scim.lua's; ~1 KB stored. Canonical attributes
// via DecodeInput, exactly what a POST would store. Aborts on a schema mismatch. The
// surname follows SeedSurname; 8% of the users are disabled (active false).
// A seeded user's body: ~1 KB, `key` making userName, displayName and the emails unique
// (also core_create_bench's POST body).
inline std::string SeedUserJson(const char* key, uint64_t r, std::string_view surname, bool active,
                                uint64_t employee_number) {
  static const char* kDepts[] = {"Sales", "Marketing", "Engineering", "Finance",
                                 "Legal", "Support",   "Operations",  "Research"};
  char body[1400];
  std::snprintf(
      body, sizeof(body),
      R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",)"
      R"("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],)"
      R"("userName":"%s@contoso.example","externalId":"ext-%016llx","active":%s,)"
      R"("displayName":"Seed User %s",)"
      R"("name":{"givenName":"Seed","familyName":"%.*s","formatted":"Seed User %s"},)"
      R"("emails":[{"value":"%s@contoso.example","type":"work","primary":true},)"
      R"({"value":"%s@home.example","type":"home"}],)"
      R"("phoneNumbers":[{"value":"+1 555 0100","type":"work"}],)"
      R"("addresses":[{"type":"work","streetAddress":"1 Main St","locality":"Springfield",)"
      R"("region":"IL","postalCode":"62701","country":"US","primary":true}],)"
      R"("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"%llu",)"
      R"("department":"%s","costCenter":"4130",)"
      R"("manager":{"value":"0a3c1d2e-5b6f-4a7b-8c9d-0e1f2a3b4c5d"}}})",
      key, static_cast<unsigned long long>(r), active ? "true" : "false", key,
      static_cast<int>(surname.size()), surname.data(), key, key, key,
      static_cast<unsigned long long>(employee_number), kDepts[r % 8]);
  return body;
}

inline core::Json MakeUser(uint64_t i) {
  const uint64_t r = Mix(i);
  const std::string surname = SeedSurname(r >> 24);
  const bool active = Mix(r) % 100 >= 8;
  char key[32];
  std::snprintf(key, sizeof(key), "u%07llu", static_cast<unsigned long long>(i));
  const std::string body = SeedUserJson(key, r, surname, active, i);
  auto json = core::Json::Parse(body);
  if (!json.ok()) {
    std::fprintf(stderr, "seed: user json: %s\n", json.status().ToString().c_str());
    std::abort();
  }
  auto in = core::DecodeInput(core::ResourceType::kUser, *json, core::DecodeOptions{});
  if (!in.ok()) {
    std::fprintf(stderr, "seed: user decode: %s\n", in.status().ToString().c_str());
    std::abort();
  }
  return std::move(in->attrs);
}

// Writes users [first, first + count) with ids SeedId(salt, i): resource, unique userName,
// index and presence entries, resource count. Returns false (after printing why) on error.
inline bool SeedUsers(core::Store& store, core::TenantId tenant, uint32_t salt, uint64_t first,
                      uint64_t count, bool progress) {
  const auto start = std::chrono::steady_clock::now();
  const uint64_t end = first + count;
  for (uint64_t base = first; base < end; base += kUsersPerTransaction) {
    auto txn = store.Begin(tenant);
    const uint64_t stop = std::min<uint64_t>(end, base + kUsersPerTransaction);
    for (uint64_t i = base; i < stop; ++i) {
      const core::Json attrs = MakeUser(i);
      const core::ResourceId id = SeedId(salt, i);
      core::StoredHeader header;
      header.version = 1;
      header.created_us = 1'700'000'000'000'000 + static_cast<int64_t>(i) * 1000;
      header.modified_us = header.created_us;
      const core::IndexEntries entries = core::IndexEntriesOf(core::ResourceType::kUser, attrs);
      core::Status s =
          core::ApplyIndexDiff(*txn, core::ResourceType::kUser, id, {}, entries, attrs);
      if (s.ok()) {
        s = txn->PutResource(core::ResourceType::kUser, id, core::EncodeStored(header, attrs));
      }
      if (!s.ok()) {
        std::fprintf(stderr, "seed users: %s\n", s.ToString().c_str());
        return false;
      }
    }
    core::Status s =
        txn->AdjustResourceCount(core::ResourceType::kUser, static_cast<int64_t>(stop - base));
    if (s.ok()) s = txn->Commit();
    if (!s.ok()) {
      std::fprintf(stderr, "seed users commit: %s\n", s.ToString().c_str());
      return false;
    }
    if (progress && (((stop - first) / kUsersPerTransaction) % 50 == 0 || stop == end)) {
      std::fprintf(stderr, "\r  users: %llu of %llu, %.1f s",
                   static_cast<unsigned long long>(stop - first),
                   static_cast<unsigned long long>(count), Seconds(start));
    }
  }
  if (progress) std::fprintf(stderr, "\n");
  return true;
}

// Adds users SeedId(salt, i), i in [first, first + count), as members of `group` (edges
// through Transaction::AddMember, kEdgesPerTransaction per commit).
inline bool SeedMembers(core::Store& store, core::TenantId tenant, const core::ResourceId& group,
                        uint32_t salt, uint64_t first, uint64_t count, bool progress) {
  const auto start = std::chrono::steady_clock::now();
  const uint64_t end = first + count;
  for (uint64_t base = first; base < end; base += kEdgesPerTransaction) {
    auto txn = store.Begin(tenant);
    const uint64_t stop = std::min<uint64_t>(end, base + kEdgesPerTransaction);
    for (uint64_t i = base; i < stop; ++i) {
      auto added = txn->AddMember(group, SeedId(salt, i), core::ResourceType::kUser);
      if (!added.ok()) {
        std::fprintf(stderr, "seed members: %s\n", added.status().ToString().c_str());
        return false;
      }
    }
    if (core::Status s = txn->Commit(); !s.ok()) {
      std::fprintf(stderr, "seed members commit: %s\n", s.ToString().c_str());
      return false;
    }
    if (progress && (((stop - first) / kEdgesPerTransaction) % 40 == 0 || stop == end)) {
      std::fprintf(stderr, "\r  edges: %llu of %llu, %.1f s",
                   static_cast<unsigned long long>(stop - first),
                   static_cast<unsigned long long>(count), Seconds(start));
    }
  }
  if (progress) std::fprintf(stderr, "\n");
  return true;
}

// A group resource with no members yet (the members go in with SeedMembers).
inline bool SeedGroup(core::Store& store, core::TenantId tenant, const core::ResourceId& id,
                      const std::string& display_name) {
  core::Json attrs = core::Json::MakeObject();
  attrs.Set("displayName", core::Json::Str(display_name));
  core::StoredHeader header{1, 1'700'000'000'000'000, 1'700'000'000'000'000, ""};
  const core::IndexEntries entries = core::IndexEntriesOf(core::ResourceType::kGroup, attrs);
  auto txn = store.Begin(tenant);
  core::Status s = core::ApplyIndexDiff(*txn, core::ResourceType::kGroup, id, {}, entries, attrs);
  if (s.ok()) {
    s = txn->PutResource(core::ResourceType::kGroup, id, core::EncodeStored(header, attrs));
  }
  if (s.ok()) s = txn->AdjustResourceCount(core::ResourceType::kGroup, 1);
  if (s.ok()) s = txn->Commit();
  if (!s.ok()) std::fprintf(stderr, "seed group: %s\n", s.ToString().c_str());
  return s.ok();
}

// "VmHWM" / "VmRSS" of this process in KiB, from /proc/self/status; -1 if unreadable.
inline long ProcStatusKib(std::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, field.size(), field) == 0 && line.size() > field.size() &&
        line[field.size()] == ':') {
      return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return -1;
}

// Busy (non-idle, non-iowait) and total jiffies of the whole machine, from /proc/stat.
struct CpuSample {
  uint64_t busy = 0;
  uint64_t total = 0;
};
inline CpuSample ReadMachineCpu() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  uint64_t v[10] = {};
  in >> cpu;
  for (auto& x : v) in >> x;
  CpuSample s;
  for (int k = 0; k < 8; ++k) s.total += v[k];  // guest time is already in user
  s.busy = s.total - v[3] - v[4];
  return s;
}
// This process's user + system CPU seconds.
inline double SelfCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// CPU that went elsewhere (other processes, kernel work not charged to us) over an
// interval, in % of one core, like scripts/load.sh's "oth%".
class OtherCpu {
 public:
  OtherCpu()
      : machine_(ReadMachineCpu()),
        self_(SelfCpuSeconds()),
        start_(std::chrono::steady_clock::now()) {}
  double Percent() const {
    const CpuSample now = ReadMachineCpu();
    const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double wall = Seconds(start_);
    const double busy_s = static_cast<double>(now.busy - machine_.busy) / hz;
    const double other = 100.0 * (busy_s - (SelfCpuSeconds() - self_)) / wall;
    return other < 0 ? 0 : other;
  }
  double SelfPercent() const { return 100.0 * (SelfCpuSeconds() - self_) / Seconds(start_); }

 private:
  CpuSample machine_;
  double self_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace scimd::bench
