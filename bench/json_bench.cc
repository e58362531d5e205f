// Micro-benchmarks of the per-request JSON work for one User: the POST path
// (Json::Parse + DecodeInput) and the GET path (EncodeStored, then SplitStored +
// RenderResource, as the service does on a read). The body is a typical Entra/Okta user.
// Reports bytes/s of the JSON text and items/s (users). Run with `make bench`.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "core/base/clock.h"
#include "core/base/ids.h"
#include "core/base/json.h"
#include "core/base/json_dom.h"
#include "core/resource/decode.h"
#include "core/resource/index_entries.h"
#include "core/resource/stored_value.h"
#include "core/scim/projection.h"
#include "core/scim/render.h"

namespace scimd::core {
namespace {

// The shape Entra ID and Okta send on user creation (see /work/shared/IDP-BEHAVIOUR.md):
// core + enterprise extension with a manager, two emails, a phone, an address.
constexpr std::string_view kUserBody = R"({
  "schemas": [
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
  ],
  "externalId": "5f2e8a10-7c41-4b9e-9d3a-2c6f1e0b7a44",
  "userName": "Alex.Wilber@contoso.onmicrosoft.com",
  "active": true,
  "displayName": "Alex Wilber",
  "title": "Marketing Assistant",
  "preferredLanguage": "en-US",
  "name": {
    "formatted": "Alex Wilber",
    "familyName": "Wilber",
    "givenName": "Alex"
  },
  "emails": [
    {"value": "Alex.Wilber@contoso.com", "type": "work", "primary": true},
    {"value": "alex.wilber@example.org", "type": "home", "primary": false}
  ],
  "phoneNumbers": [
    {"value": "+1 858 555 0110", "type": "work", "primary": true}
  ],
  "addresses": [
    {
      "type": "work",
      "streetAddress": "9256 Towne Center Dr., Suite 400",
      "locality": "San Diego",
      "region": "CA",
      "postalCode": "92121",
      "country": "US",
      "primary": true
    }
  ],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "employeeNumber": "701984",
    "costCenter": "4130",
    "organization": "Contoso",
    "division": "Sales and Marketing",
    "department": "Marketing",
    "manager": {"value": "0a3c1d2e-5b6f-4a7b-8c9d-0e1f2a3b4c5d"}
  }
})";

constexpr std::string_view kBaseUrl = "http://127.0.0.1:8080/scim/v2";

[[noreturn]] void Die(std::string_view what, const Status& s) {
  std::cerr << "json_bench: " << what << ": " << s.ToString() << "\n";
  std::abort();
}

// Decodes the sample body once; every benchmark checks its setup this way so that a
// schema change fails loudly instead of timing an error path.
InputResource DecodeSample() {
  auto json = Json::Parse(kUserBody);
  if (!json.ok()) Die("parse", json.status());
  auto in = DecodeInput(ResourceType::kUser, *json, DecodeOptions{});
  if (!in.ok()) Die("decode", in.status());
  return std::move(in).value();
}

StoredHeader SampleHeader() {
  const int64_t now = NowMicros();
  return StoredHeader{.version = 3, .created_us = now, .modified_us = now};
}

// POST body -> validated canonical attributes.
void BM_ParseAndDecodeUser(benchmark::State& state) {
  DecodeSample();
  for (auto _ : state) {
    auto json = Json::Parse(kUserBody);
    // As a POST does: the parsed body is given up to the decoder.
    auto in = DecodeInput(ResourceType::kUser, std::move(*json), DecodeOptions{});
    benchmark::DoNotOptimize(in);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kUserBody.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseAndDecodeUser);

// The import's path: the body read in place (ParseDom), decoded, encoded as stored.
void BM_ParseDomDecodeEncodeUser(benchmark::State& state) {
  DecodeSample();
  const StoredHeader header = SampleHeader();
  for (auto _ : state) {
    auto dom = ParseDom(kUserBody);
    if (!dom.ok()) Die("parse", dom.status());
    auto in = DecodeInput(ResourceType::kUser, *dom, DecodeOptions{});
    if (!in.ok()) Die("decode", in.status());
    std::string value = EncodeStored(header, in->attrs);
    benchmark::DoNotOptimize(value);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kUserBody.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseDomDecodeEncodeUser);

// The import's path since DecodeToStored: the stored text and index entries written
// straight from the document (no tree).
void BM_ParseDomDecodeToStoredUser(benchmark::State& state) {
  DecodeSample();
  const StoredHeader header = SampleHeader();
  const IndexPaths paths(ResourceType::kUser, SchemaRegistry::Default().indexed());
  for (auto _ : state) {
    auto dom = ParseDom(kUserBody);
    if (!dom.ok()) Die("parse", dom.status());
    StoredInput in;
    const Status s = DecodeToStored(ResourceType::kUser, *dom, DecodeOptions{}, paths, in);
    if (!s.ok()) Die("decode", s);
    PutStoredHeader(header, in.value);
    benchmark::DoNotOptimize(in);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kUserBody.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseDomDecodeToStoredUser);

// ParseDom alone: the part of the import's path that is simdjson and its checks.
void BM_ParseDomUser(benchmark::State& state) {
  for (auto _ : state) {
    auto dom = ParseDom(kUserBody);
    if (!dom.ok()) Die("parse", dom.status());
    benchmark::DoNotOptimize(dom);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kUserBody.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseDomUser);

// Only the JSON parser, to separate it from schema validation.
void BM_ParseUser(benchmark::State& state) {
  for (auto _ : state) {
    auto json = Json::Parse(kUserBody);
    benchmark::DoNotOptimize(json);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kUserBody.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseUser);

// Canonical attributes -> stored value (the write path after decoding).
void BM_EncodeStoredUser(benchmark::State& state) {
  const InputResource in = DecodeSample();
  const StoredHeader header = SampleHeader();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string value = EncodeStored(header, in.attrs);
    bytes += value.size();
    benchmark::DoNotOptimize(value);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_EncodeStoredUser);

// Stored value -> SCIM JSON response body (the GET path), full projection.
void BM_RenderUser(benchmark::State& state) {
  const InputResource in = DecodeSample();
  const std::string value = EncodeStored(SampleHeader(), in.attrs);
  const ResourceId id = ResourceId::Generate();
  const Projection projection{};
  std::string out;
  size_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    auto split = SplitStored(value);
    RenderResource(ResourceType::kUser, id, split->first, split->second, kBaseUrl, projection, out);
    FinishResource(out);
    bytes += out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_RenderUser);

// Both serialization steps together: what a POST does after decoding (store + respond).
void BM_EncodeAndRenderUser(benchmark::State& state) {
  const InputResource in = DecodeSample();
  const StoredHeader header = SampleHeader();
  const ResourceId id = ResourceId::Generate();
  const Projection projection{};
  std::string out;
  size_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    const std::string value = EncodeStored(header, in.attrs);
    auto split = SplitStored(value);
    RenderResource(ResourceType::kUser, id, split->first, split->second, kBaseUrl, projection, out);
    FinishResource(out);
    bytes += out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_EncodeAndRenderUser);

// The generic serializer on the parsed document (PATCH and discovery output use it).
void BM_SerializeJson(benchmark::State& state) {
  auto json = Json::Parse(kUserBody);
  if (!json.ok()) Die("parse", json.status());
  std::string out;
  size_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    json->Serialize(out);
    bytes += out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SerializeJson);

}  // namespace
}  // namespace scimd::core

BENCHMARK_MAIN();
