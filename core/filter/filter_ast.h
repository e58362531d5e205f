// The filter AST: what the parser produces from RFC 7644 §3.4.2.2 text, with attribute
// names still as text (the binder resolves them). and/or nodes are n-ary, so the tree
// depth is the nesting of parentheses, `not` and valuePath brackets (<= kMaxFilterDepth).
// Plain values; safe to share read-only across threads.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace scimd::core {

enum class CompareOp : uint8_t { kEq, kNe, kCo, kSw, kEw, kGt, kGe, kLt, kLe };
std::string_view CompareOpName(CompareOp op);  // "eq", "ne", ...

// An attribute path as written: [urn ":"] attr ["." sub]. `pos` is 1-based.
struct AstPath {
  std::string urn;  // empty when not URN-qualified
  std::string attr;
  std::string sub;  // empty when absent
  size_t pos = 0;
  std::string ToString() const;
};

struct AstLiteral {
  enum class Kind : uint8_t { kString, kNumber, kTrue, kFalse, kNull };
  Kind kind = Kind::kNull;
  std::string text;   // kString: the unescaped value; kNumber: the source text
  bool bare = false;  // kString written without quotes (Microsoft's reference client)
  size_t pos = 0;
  std::string ToString() const;
};

struct AstNode {
  enum class Kind : uint8_t {
    kCompare,    // path op value
    kPresent,    // path pr
    kAnd,        // children (>= 2)
    kOr,         // children (>= 2)
    kNot,        // children[0]
    kValuePath,  // path[children[0]]: path has no sub; children use paths relative to it
  };
  Kind kind = Kind::kCompare;
  size_t pos = 0;  // 1-based position of the node's first character
  AstPath path;
  CompareOp op = CompareOp::kEq;
  AstLiteral value;
  std::vector<std::unique_ptr<AstNode>> children;

  // Fully parenthesized text, e.g. `((userName eq "a") and not(title pr))`.
  std::string ToString() const;
};

// The text form shared by AstNode and BoundNode (same kinds, same shape), used by
// their ToString() and by the golden files: "(path op value)", "(a and b)", "not x",
// "path[inner]".
template <typename Node>
std::string FilterNodeToString(const Node& n) {
  using Kind = typename Node::Kind;
  switch (n.kind) {
    case Kind::kCompare:
      return "(" + n.path.ToString() + " " + std::string(CompareOpName(n.op)) + " " +
             n.value.ToString() + ")";
    case Kind::kPresent: return "(" + n.path.ToString() + " pr)";
    case Kind::kAnd:
    case Kind::kOr: {
      std::string out = "(";
      for (size_t i = 0; i < n.children.size(); ++i) {
        if (i > 0) out += n.kind == Kind::kAnd ? " and " : " or ";
        out += n.children[i]->ToString();
      }
      return out + ")";
    }
    case Kind::kNot: return "not " + n.children[0]->ToString();
    case Kind::kValuePath: return n.path.ToString() + "[" + n.children[0]->ToString() + "]";
  }
  return "?";
}

}  // namespace scimd::core
