// Micro-benchmarks of the PATCH engine alone (core/usecase/patch.h) on a typical Entra user:
// Json::Parse of the request body + ParsePatchRequest + ApplyPatch, for the three updates
// Entra sends most (disable, change department, replace the work email), and ApplyPatch
// alone. No storage, no rendering. items/s = PATCH requests/s on one core.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "core/base/clock.h"
#include "core/base/json.h"
#include "core/resource/decode.h"
#include "core/resource/index_entries.h"
#include "core/resource/stored_value.h"
#include "core/scim/projection.h"
#include "core/scim/render.h"
#include "core/usecase/patch.h"

namespace scimd::core {
namespace {

// The same user as bench/json_bench.cc (core + enterprise extension, 2 emails, a phone,
// an address, a manager): 1,057 bytes stored.
constexpr std::string_view kUserBody = R"({
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "externalId": "5f2e8a10-7c41-4b9e-9d3a-2c6f1e0b7a44",
  "userName": "Alex.Wilber@contoso.onmicrosoft.com",
  "active": true,
  "displayName": "Alex Wilber",
  "title": "Marketing Assistant",
  "preferredLanguage": "en-US",
  "name": {"formatted": "Alex Wilber", "familyName": "Wilber", "givenName": "Alex"},
  "emails": [
    {"value": "Alex.Wilber@contoso.com", "type": "work", "primary": true},
    {"value": "alex.wilber@example.org", "type": "home", "primary": false}
  ],
  "phoneNumbers": [{"value": "+1 858 555 0110", "type": "work", "primary": true}],
  "addresses": [{"type": "work", "streetAddress": "9256 Towne Center Dr., Suite 400",
                 "locality": "San Diego", "region": "CA", "postalCode": "92121",
                 "country": "US", "primary": true}],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "employeeNumber": "701984", "costCenter": "4130", "organization": "Contoso",
    "division": "Sales and Marketing", "department": "Marketing",
    "manager": {"value": "0a3c1d2e-5b6f-4a7b-8c9d-0e1f2a3b4c5d"}
  }
})";

// Request bodies as Entra sends them (capitalized op, boolean as a string).
constexpr std::string_view kDisable =
    R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
    R"("Operations":[{"op":"Replace","path":"active","value":"False"}]})";
constexpr std::string_view kDepartment =
    R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
    R"("Operations":[{"op":"Replace","path":)"
    R"("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",)"
    R"("value":"Finance"}]})";
constexpr std::string_view kWorkEmail =
    R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
    R"("Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value",)"
    R"("value":"Alex.Wilber@fabrikam.com"}]})";

[[noreturn]] void Die(std::string_view what, const Status& s) {
  std::cerr << "patch_bench: " << what << ": " << s.ToString() << "\n";
  std::abort();
}

Json SampleAttrs() {
  auto json = Json::Parse(kUserBody);
  if (!json.ok()) Die("parse user", json.status());
  auto in = DecodeInput(ResourceType::kUser, *json, DecodeOptions{});
  if (!in.ok()) Die("decode user", in.status());
  return std::move(in->attrs);
}

// Parse the request + ParsePatchRequest + ApplyPatch: the engine's whole per-request work.
void BM_ParseAndApply(benchmark::State& state, std::string_view body) {
  const Json attrs = SampleAttrs();
  {  // the set-up must succeed and change something, or we would time an error path
    auto ops = ParsePatchRequest(*Json::Parse(body));
    if (!ops.ok()) Die("ParsePatchRequest", ops.status());
    auto out = ApplyPatch(ResourceType::kUser, attrs, *ops, DecodeOptions{});
    if (!out.ok()) Die("ApplyPatch", out.status());
    if (!out->attrs_changed) Die("ApplyPatch", Status::Internal("nothing changed"));
  }
  for (auto _ : state) {
    auto json = Json::Parse(body);
    auto ops = ParsePatchRequest(*json);
    auto out = ApplyPatch(ResourceType::kUser, attrs, *ops, DecodeOptions{});
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}

// ApplyPatch alone, on already parsed operations.
void BM_ApplyOnly(benchmark::State& state, std::string_view body) {
  const Json attrs = SampleAttrs();
  auto ops = ParsePatchRequest(*Json::Parse(body));
  if (!ops.ok()) Die("ParsePatchRequest", ops.status());
  for (auto _ : state) {
    auto out = ApplyPatch(ResourceType::kUser, attrs, *ops, DecodeOptions{});
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_ParseAndApply, disable, kDisable);
BENCHMARK_CAPTURE(BM_ParseAndApply, department, kDepartment);
BENCHMARK_CAPTURE(BM_ParseAndApply, work_email, kWorkEmail);
BENCHMARK_CAPTURE(BM_ApplyOnly, disable, kDisable);
BENCHMARK_CAPTURE(BM_ApplyOnly, department, kDepartment);
BENCHMARK_CAPTURE(BM_ApplyOnly, work_email, kWorkEmail);

}  // namespace
}  // namespace scimd::core

BENCHMARK_MAIN();
