// CompileFilter / CompileValueFilter / Explain: the pipeline of core/filter/filter.h. RunFilter
// is in filter_exec.cc.
#include "core/filter/filter.h"

#include <vector>

#include "core/filter/filter_binder.h"
#include "core/filter/filter_parser.h"

namespace scimd::core {

Result<CompiledFilter> CompileFilter(ResourceType type, std::string_view text) {
  return CompileFilter(type, text, SchemaRegistry::Default().indexed());
}

namespace {

// The first value written without double quotes, or null (an explicit stack: the depth
// is bounded by the parser, but no recursion here).
const AstLiteral* FirstBareWord(const AstNode& root) {
  std::vector<const AstNode*> todo = {&root};
  while (!todo.empty()) {
    const AstNode* n = todo.back();
    todo.pop_back();
    if (n->kind == AstNode::Kind::kCompare && n->value.bare) return &n->value;
    for (auto it = n->children.rbegin(); it != n->children.rend(); ++it) todo.push_back(it->get());
  }
  return nullptr;
}

}  // namespace

Result<CompiledFilter> CompileFilter(ResourceType type, std::string_view text,
                                     const std::vector<IndexedAttr>& indexed,
                                     const CardinalityEstimator* estimator,
                                     const FilterOptions& options) {
  SCIMD_ASSIGN_OR_RETURN(std::unique_ptr<AstNode> ast, ParseFilter(text));
  if (!options.allow_bare_words) {
    if (const AstLiteral* bare = FirstBareWord(*ast)) {
      return FilterError(bare->pos,
                         "a string value is written in double quotes (RFC 7644 "
                         "§3.4.2.2), found " +
                             bare->text);
    }
  }
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
