// libFuzzer target: the filter parser, binder and planner (core::CompileFilter for Users
// and Groups, as GET ?filter= and .search run them), the plan's explanation, and the
// evaluator against a fixed user. Any filter text must give a filter or an InvalidFilter,
// never a crash or an unbounded run.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/filter/filter.h"
#include "core/filter/filter_eval.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace scimd;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (core::ResourceType type : {core::ResourceType::kUser, core::ResourceType::kGroup}) {
    auto filter = core::CompileFilter(type, text);
    if (!filter.ok()) continue;
    (void)core::Explain(*filter);
    if (type != core::ResourceType::kUser) continue;
    core::ResourceView view;
    view.type = type;
    view.attrs = &fuzz::User();
    view.membership = [](const core::ResourceId&) { return false; };
    view.has_membership = [] { return false; };
    (void)core::Matches(*filter, view);
  }
  return 0;
}
