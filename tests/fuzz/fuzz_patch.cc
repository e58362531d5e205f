// libFuzzer target: the PATCH engine. The input is a PATCH request body: parsed as JSON,
// read as a PatchOp (core::ParsePatchRequest) and applied to a fixed user and to a group
// (core::ApplyPatch, which validates the result). Any body must give a result or a SCIM
// error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/base/json.h"
#include "core/usecase/patch.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace scimd;
  auto body = core::Json::Parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!body.ok()) return 0;
  auto ops = core::ParsePatchRequest(*body);
  if (!ops.ok()) return 0;
  (void)core::ApplyPatch(core::ResourceType::kUser, fuzz::User(), *ops, core::DecodeOptions{});
  static const core::Json group = *core::Json::Parse(R"({"displayName":"Admins"})");
  (void)core::ApplyPatch(core::ResourceType::kGroup, group, *ops, core::DecodeOptions{});
  return 0;
}
