// CompileFilter / CompileValueFilter / Explain: the pipeline of core/filter/filter.h. RunFilter
// is in filter_exec.cc.
#include "core/filter/filter.h"

#include "core/filter/filter_binder.h"
#include "core/filter/filter_parser.h"

namespace scimd::core {

Result<CompiledFilter> CompileFilter(ResourceType type, std::string_view text) {
  return CompileFilter(type, text, SchemaRegistry::Default().indexed());
}

Result<CompiledFilter> CompileFilter(ResourceType type, std::string_view text,
                                     const std::vector<IndexedAttr>& indexed,
                                     const CardinalityEstimator* estimator) {
  SCIMD_ASSIGN_OR_RETURN(std::unique_ptr<AstNode> ast, ParseFilter(text));
  SCIMD_ASSIGN_OR_RETURN(BoundFilter bound, BindFilter(type, *ast));
  auto state = std::make_shared<CompiledFilter::State>();
  state->bound = std::move(bound);
  state->plan = PlanFilter(state->bound, indexed, estimator);
  return CompiledFilter(std::move(state));
}

Result<BoundFilter> CompileValueFilter(ResourceType type, std::string_view attr,
                                       std::string_view text) {
  SCIMD_ASSIGN_OR_RETURN(AstPath path, ParseAttrPath(attr));
  SCIMD_ASSIGN_OR_RETURN(std::unique_ptr<AstNode> ast, ParseFilter(text));
  return BindValueFilter(type, path, *ast);
}

std::string Explain(const CompiledFilter& filter) { return filter.plan().Explain(); }

}  // namespace scimd::core
