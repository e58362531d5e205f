// What PowerLossTest and its writer program (power_loss/writer_main.cc) both do: create
// one user through the service, as a provisioning request would.
#pragma once

#include <string>
#include <utility>

#include "core/base/json.h"
#include "core/resource/decode.h"
#include "core/usecase/service.h"

namespace scimd::storage::testing {

inline core::Result<core::WriteResult> CreatePowerUser(core::Service& service,
                                                       const core::RequestContext& ctx,
                                                       const std::string& user_name) {
  using core::ResourceType;
  auto json =
      core::Json::Parse(R"({"userName":")" + user_name + R"(","active":true,"emails":[{"value":")" +
                        user_name + R"("}],"name":{"familyName":"Power"}})");
  if (!json.ok()) return json.status();
  auto input = core::DecodeInput(ResourceType::kUser, *json, ctx.settings.decode);
  if (!input.ok()) return input.status();
  return service.Create(ctx, ResourceType::kUser, std::move(input).value());
}

}  // namespace scimd::storage::testing
