// Micro-benchmarks of the filter compiler: CompileFilter (parse + bind + plan) for the
// filters clients really send (Entra and Okta matching filters, a 5-term and/or), and
// Matches against a typical stored user (the residual check every candidate gets).
// Run: build-*/bench/filter_bench
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "core/base/json.h"
#include "core/filter/filter.h"

namespace scimd::core {
namespace {

// A stored user in canonical form (as DecodeInput leaves it): Entra/Okta shape.
constexpr std::string_view kStoredUser = R"({
  "schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
             "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "externalId":"5f2e8a10-7c41-4b9e-9d3a-2c6f1e0b7a44",
  "userName":"Alex.Wilber@contoso.onmicrosoft.com","active":true,
  "displayName":"Alex Wilber","title":"Marketing Assistant",
  "name":{"formatted":"Alex Wilber","familyName":"Wilber","givenName":"Alex"},
  "emails":[{"value":"Alex.Wilber@contoso.com","type":"work","primary":true},
            {"value":"alex@example.org","type":"home"}],
  "phoneNumbers":[{"value":"+1 858 555 0110","type":"work"}],
  "addresses":[{"type":"work","streetAddress":"9256 Towne Center Dr., Suite 400",
                "locality":"San Diego","region":"CA","postalCode":"92121","country":"US"}],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{
    "employeeNumber":"701984","department":"Marketing","costCenter":"4130",
    "manager":{"value":"26118915-6090-4610-87e4-49d8ca9f808d"}}})";

struct Named {
  const char* name;
  std::string_view filter;
};

constexpr Named kFilters[] = {
    {"entra_username", R"(userName eq "Alex.Wilber@contoso.onmicrosoft.com")"},
    {"entra_externalid", R"(externalId eq "5f2e8a10-7c41-4b9e-9d3a-2c6f1e0b7a44")"},
    {"okta_username_sw", R"(userName sw "alex")"},
    {"okta_email_valuepath", R"(emails[type eq "work" and value eq "Alex.Wilber@contoso.com"])"},
    {"entra_email_matching", R"(emails[type eq "work"].value eq "Alex.Wilber@contoso.com")"},
    {"and_or_5_terms",
     R"(userName sw "alex" and (title co "Marketing" or displayName eq "Alex Wilber") and )"
     R"(active eq true and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:)"
     R"(department eq "marketing")"},
};

void BM_Compile(benchmark::State& state) {
  const Named& f = kFilters[state.range(0)];
  state.SetLabel(f.name);
  for (auto _ : state) {
    auto compiled = CompileFilter(ResourceType::kUser, f.filter);
    if (!compiled.ok()) {
      std::cerr << f.name << ": " << compiled.status().ToString() << "\n";
      std::abort();
    }
    benchmark::DoNotOptimize(compiled);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Compile)->DenseRange(0, std::size(kFilters) - 1);

void BM_Matches(benchmark::State& state) {
  const Named& f = kFilters[state.range(0)];
  state.SetLabel(f.name);
  auto compiled = CompileFilter(ResourceType::kUser, f.filter);
  auto attrs = Json::Parse(kStoredUser);
  if (!compiled.ok() || !attrs.ok()) std::abort();
  ResourceView view;
  view.type = ResourceType::kUser;
  view.attrs = &*attrs;
  bool all = true;
  for (auto _ : state) {
    const bool m = Matches(*compiled, view);
    all = all && m;
    benchmark::DoNotOptimize(m);
  }
  if (!all) std::cerr << f.name << " does not match the sample user\n";
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Matches)->DenseRange(0, std::size(kFilters) - 1);

// The residual check as the executor runs it: parse the stored JSON, then evaluate.
void BM_ParseAndMatch(benchmark::State& state) {
  auto compiled = CompileFilter(ResourceType::kUser, kFilters[5].filter);
  if (!compiled.ok()) std::abort();
  for (auto _ : state) {
    auto attrs = Json::Parse(kStoredUser);
    ResourceView view;
    view.attrs = &*attrs;
    benchmark::DoNotOptimize(Matches(*compiled, view));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseAndMatch);

}  // namespace
}  // namespace scimd::core

BENCHMARK_MAIN();
