#include "core/filter/filter_ast.h"

#include "core/base/json.h"

namespace scimd::core {

std::string_view CompareOpName(CompareOp op) {
  switch (op) {
    case CompareOp::kEq: return "eq";
    case CompareOp::kNe: return "ne";
    case CompareOp::kCo: return "co";
    case CompareOp::kSw: return "sw";
    case CompareOp::kEw: return "ew";
    case CompareOp::kGt: return "gt";
    case CompareOp::kGe: return "ge";
    case CompareOp::kLt: return "lt";
    case CompareOp::kLe: return "le";
  }
  return "?";
}

std::string AstPath::ToString() const {
  std::string out;
  if (!urn.empty()) out = urn + ":";
  out += attr;
  if (!sub.empty()) out += "." + sub;
  return out;
}

std::string AstLiteral::ToString() const {
  switch (kind) {
    case Kind::kString: {
      std::string out;
      AppendJsonString(out, text);
      return out;
    }
    case Kind::kNumber: return text;
    case Kind::kTrue: return "true";
    case Kind::kFalse: return "false";
    case Kind::kNull: return "null";
  }
  return "?";
}

std::string AstNode::ToString() const { return FilterNodeToString(*this); }

}  // namespace scimd::core
