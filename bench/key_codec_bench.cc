// Micro-benchmarks of storage/key_codec.h: building the keys a User write touches (the
// resource key, the userName unique key, index value keys for a string, an email and a
// dateTime) and parsing them back. Items/s = keys/s. Run with `make bench`.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "core/base/clock.h"
#include "core/base/ids.h"
#include "core/resource/decode.h"
#include "core/resource/index_entries.h"
#include "core/resource/schema.h"
#include "core/resource/stored_value.h"
#include "core/scim/projection.h"
#include "core/scim/render.h"
#include "storage/key_codec.h"

namespace scimd::storage {
namespace {

constexpr TenantId kTenant = 42;

AttrId AttrOf(std::string_view path) {
  const auto* ia = core::SchemaRegistry::Default().FindIndexed(ResourceType::kUser, path);
  if (ia == nullptr) {
    std::cerr << "key_codec_bench: " << path << " is not indexed\n";
    std::abort();
  }
  return ia->id;
}

// No dateTime attribute is indexed yet (meta.lastModified will be); the codec does not
// depend on the attribute number, so an unused one stands in.
constexpr AttrId kDateTimeAttr = 900;

IndexTerm UserNameTerm() {
  return {AttrOf("userName"),
          IndexValue::String(core::NormalizeForIndex("Alex.Wilber@contoso.onmicrosoft.com",
                                                     /*case_exact=*/false))};
}
IndexTerm EmailTerm() {
  return {AttrOf("emails.value"),
          IndexValue::String(core::NormalizeForIndex("Alex.Wilber@contoso.com", false))};
}
IndexTerm DateTimeTerm() {
  return {kDateTimeAttr, IndexValue::DateTime(1795434254853000)};  // 2026-11-23T11:44:14Z
}

std::string MustIndexKey(const IndexTerm& term, const ResourceId& id) {
  auto key = IndexValueKey(kTenant, ResourceType::kUser, term, id);
  if (!key.ok()) {
    std::cerr << "key_codec_bench: " << key.status().ToString() << "\n";
    std::abort();
  }
  return std::move(key).value();
}

void BM_ResourceKey(benchmark::State& state) {
  const ResourceId id = ResourceId::Generate();
  for (auto _ : state) {
    std::string key = ResourceKey(kTenant, ResourceType::kUser, id);
    benchmark::DoNotOptimize(key);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ResourceKey);

void BM_ParseResourceKey(benchmark::State& state) {
  const std::string key = ResourceKey(kTenant, ResourceType::kUser, ResourceId::Generate());
  for (auto _ : state) {
    auto parsed = ParseResourceKey(key);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseResourceKey);

void BM_UniqueKeyUserName(benchmark::State& state) {
  const IndexTerm term = UserNameTerm();
  for (auto _ : state) {
    auto key = UniqueKey(kTenant, ResourceType::kUser, term);
    benchmark::DoNotOptimize(key);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_UniqueKeyUserName);

// Index value keys. Arg 0 = userName, 1 = emails.value, 2 = a dateTime.
IndexTerm TermFor(int64_t which) {
  switch (which) {
    case 0: return UserNameTerm();
    case 1: return EmailTerm();
    default: return DateTimeTerm();
  }
}
const char* LabelFor(int64_t which) {
  switch (which) {
    case 0: return "userName";
    case 1: return "email";
    default: return "dateTime";
  }
}

void BM_IndexValueKey(benchmark::State& state) {
  const IndexTerm term = TermFor(state.range(0));
  const ResourceId id = ResourceId::Generate();
  size_t bytes = 0;
  for (auto _ : state) {
    auto key = IndexValueKey(kTenant, ResourceType::kUser, term, id);
    bytes += key->size();
    benchmark::DoNotOptimize(key);
  }
  state.SetLabel(LabelFor(state.range(0)));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_IndexValueKey)->DenseRange(0, 2);

void BM_ParseIndexKey(benchmark::State& state) {
  const std::string key = MustIndexKey(TermFor(state.range(0)), ResourceId::Generate());
  for (auto _ : state) {
    auto parsed = ParseIndexKey(key);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetLabel(LabelFor(state.range(0)));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * key.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseIndexKey)->DenseRange(0, 2);

void BM_IndexPresenceKey(benchmark::State& state) {
  const ResourceId id = ResourceId::Generate();
  const AttrId attr = AttrOf("emails.value");
  for (auto _ : state) {
    std::string key = IndexPresenceKey(kTenant, ResourceType::kUser, attr, id);
    benchmark::DoNotOptimize(key);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_IndexPresenceKey);

// The planner's seek bounds for `userName eq` and `userName sw`.
void BM_IndexEqRange(benchmark::State& state) {
  const IndexTerm term = UserNameTerm();
  for (auto _ : state) {
    auto range = IndexEqRange(kTenant, ResourceType::kUser, term);
    benchmark::DoNotOptimize(range);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_IndexEqRange);

void BM_IndexStringPrefixRange(benchmark::State& state) {
  const AttrId attr = AttrOf("userName");
  for (auto _ : state) {
    KeyRange range = IndexStringPrefixRange(kTenant, ResourceType::kUser, attr, "alex.");
    benchmark::DoNotOptimize(range);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_IndexStringPrefixRange);

// Every key one User create writes for the sample user: resource, unique userName, and
// index entries (userName, displayName, one email) with the presence entry of emails.
// Includes ResourceId::Generate(), as a create does.
void BM_UserCreateKeys(benchmark::State& state) {
  const IndexTerm user_name = UserNameTerm();
  const IndexTerm display{AttrOf("displayName"),
                          IndexValue::String(core::NormalizeForIndex("Alex Wilber", false))};
  const IndexTerm email = EmailTerm();
  const AttrId email_attr = email.attr;
  size_t bytes = 0;
  for (auto _ : state) {
    const ResourceId id = ResourceId::Generate();
    std::string keys[6] = {
        ResourceKey(kTenant, ResourceType::kUser, id),
        UniqueKey(kTenant, ResourceType::kUser, user_name).value(),
        IndexValueKey(kTenant, ResourceType::kUser, user_name, id).value(),
        IndexValueKey(kTenant, ResourceType::kUser, display, id).value(),
        IndexValueKey(kTenant, ResourceType::kUser, email, id).value(),
        IndexPresenceKey(kTenant, ResourceType::kUser, email_attr, id),
    };
    for (const auto& k : keys) bytes += k.size();
    benchmark::DoNotOptimize(keys);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_UserCreateKeys);

}  // namespace
}  // namespace scimd::storage

BENCHMARK_MAIN();
