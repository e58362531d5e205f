#include "core/filter/filter_eval.h"

#include <string>

#include "core/base/strings.h"
#include "core/filter/filter_datetime.h"
#include "core/resource/index_entries.h"
#include "core/resource/stored_value.h"

namespace scimd::core {

namespace {

// The same folding as NormalizeForIndex (ASCII letters only), applied byte by byte so
// that no comparison allocates.
inline unsigned char Fold(unsigned char c, bool fold) {
  return fold ? static_cast<unsigned char>(LowerAscii(static_cast<char>(c))) : c;
}

// Three-way comparison of `a` (folded on the fly) with `b` (already normalized), in the
// unsigned byte order of the index (memcmp).
int CompareStrings(std::string_view a, std::string_view b, bool fold) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = Fold(static_cast<unsigned char>(a[i]), fold);
    const unsigned char y = static_cast<unsigned char>(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

bool EqualAt(std::string_view a, size_t at, std::string_view b, bool fold) {
  for (size_t i = 0; i < b.size(); ++i) {
    if (Fold(static_cast<unsigned char>(a[at + i]), fold) != static_cast<unsigned char>(b[i])) {
      return false;
    }
  }
  return true;
}

bool Ordered(int cmp, CompareOp op) {
  switch (op) {
    case CompareOp::kEq: return cmp == 0;
    case CompareOp::kNe: return cmp != 0;
    case CompareOp::kGt: return cmp > 0;
    case CompareOp::kGe: return cmp >= 0;
    case CompareOp::kLt: return cmp < 0;
    case CompareOp::kLe: return cmp <= 0;
    default: return false;
  }
}

template <typename T>
int Cmp(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

bool CompareString(std::string_view s, const BoundNode& n, CompareOp op) {
  const std::string_view lit = n.value.folded;
  const bool fold = !n.path.case_exact;
  switch (op) {
    case CompareOp::kCo: {
      if (lit.size() > s.size()) return false;
      for (size_t at = 0; at + lit.size() <= s.size(); ++at) {
        if (EqualAt(s, at, lit, fold)) return true;
      }
      return false;
    }
    case CompareOp::kSw: return lit.size() <= s.size() && EqualAt(s, 0, lit, fold);
    case CompareOp::kEw:
      return lit.size() <= s.size() && EqualAt(s, s.size() - lit.size(), lit, fold);
    default: return Ordered(CompareStrings(s, lit, fold), op);
  }
}

// One leaf value against the literal of `n` with `op` (never ne: the caller makes that !eq).
bool CompareLeaf(const Json& v, const BoundNode& n, CompareOp op) {
  switch (n.value.kind) {
    case BoundValue::Kind::kString: return v.is_string() && CompareString(v.as_string(), n, op);
    case BoundValue::Kind::kBoolean:
      if (v.is_bool()) return Ordered(Cmp(v.as_bool(), n.value.boolean), op);
      return v.is_string() && EqualsCi(v.as_string(), n.value.boolean ? "true" : "false") &&
             op == CompareOp::kEq;
    case BoundValue::Kind::kInteger:
      if (v.is_int()) return Ordered(Cmp(v.as_int(), n.value.integer), op);
      return v.is_number() && Ordered(Cmp(v.as_double(), n.value.decimal), op);
    case BoundValue::Kind::kDecimal:
      return v.is_number() && Ordered(Cmp(v.as_double(), n.value.decimal), op);
    case BoundValue::Kind::kDateTime: {
      if (!v.is_string()) return false;
      const std::optional<int64_t> micros = ParseDateTimeMicros(v.as_string());
      return micros.has_value() && Ordered(Cmp(*micros, n.value.integer), op);
    }
  }
  return false;
}

// RFC 7644 §3.4.2.2 pr: a value that is not null and not empty ("", [], {}).
bool IsPresent(const Json& v) {
  switch (v.type()) {
    case Json::Type::kNull: return false;
    case Json::Type::kString: return !v.as_string().empty();
    case Json::Type::kArray:
      for (const auto& item : v.as_array()) {
        if (IsPresent(item)) return true;
      }
      return false;
    case Json::Type::kObject:
      for (const auto& [key, value] : v.as_object()) {
        if (IsPresent(value)) return true;
      }
      return false;
    default: return true;
  }
}

class Evaluator {
 public:
  Evaluator(const ResourceView* view, const Json* element) : view_(view), element_(element) {}

  // Recursion depth = bound tree depth <= kMaxFilterDepth (the parser's bound).
  bool Eval(const BoundNode& n) const {
    switch (n.kind) {
      case BoundNode::Kind::kAnd:
        for (const auto& c : n.children) {
          if (!Eval(*c)) return false;
        }
        return true;
      case BoundNode::Kind::kOr:
        for (const auto& c : n.children) {
          if (Eval(*c)) return true;
        }
        return false;
      case BoundNode::Kind::kNot: return !Eval(*n.children[0]);
      case BoundNode::Kind::kValuePath: return ValuePath(n);
      case BoundNode::Kind::kPresent:
        if (IsMembership(n.path)) return view_->has_membership && view_->has_membership();
        return AnyLeaf(n.path, [](const Json& v) { return IsPresent(v); });
      case BoundNode::Kind::kCompare:
        if (IsMembership(n.path)) {
          return n.value.id && view_->membership && view_->membership(*n.value.id);
        }
        if (n.op == CompareOp::kNe) return !Compare(n, CompareOp::kEq);
        return Compare(n, n.op);
    }
    return false;
  }

 private:
  static bool IsMembership(const BoundPath& p) {
    return p.field == FieldKind::kMembers || p.field == FieldKind::kGroups;
  }

  bool Compare(const BoundNode& n, CompareOp op) const {
    const auto leaf = [&](const Json& v) { return CompareLeaf(v, n, op); };
    switch (n.path.field) {
      case FieldKind::kMetaCreated:
      case FieldKind::kMetaLastModified: {
        const int64_t micros = n.path.field == FieldKind::kMetaCreated ? view_->header.created_us
                                                                       : view_->header.modified_us;
        return Ordered(Cmp(micros, n.value.integer), op);
      }
      default: return AnyLeaf(n.path, leaf);
    }
  }

  bool ValuePath(const BoundNode& n) const {
    const Json* v = Top(n.path);
    if (v == nullptr) return false;
    if (v->is_object()) return Evaluator(view_, v).Eval(*n.children[0]);
    if (!v->is_array()) return false;
    for (const auto& item : v->as_array()) {
      if (item.is_object() && Evaluator(view_, &item).Eval(*n.children[0])) return true;
    }
    return false;
  }

  // The top-level value of a non-relative attribute path, or null.
  const Json* Top(const BoundPath& p) const {
    const Json* base = view_->attrs;
    if (base == nullptr || !base->is_object()) return nullptr;
    if (!p.schema.empty()) {
      base = base->FindCi(p.schema);
      if (base == nullptr || !base->is_object()) return nullptr;
    }
    return base->FindCi(p.attr);
  }

  // Calls f on every value the path has until f returns true; returns whether it did.
  template <typename F>
  bool AnyLeaf(const BoundPath& p, const F& f) const {
    switch (p.field) {
      case FieldKind::kAttr: break;
      case FieldKind::kId: return f(Json::Str(view_->id.ToString()));
      case FieldKind::kMetaResourceType:
        return f(Json::Str(std::string(ResourceTypeName(view_->type))));
      case FieldKind::kMetaVersion: return f(Json::Str(WeakEtag(view_->header.version)));
      case FieldKind::kMetaLocation:
        return f(Json::Str(std::string(view_->base_url) +
                           (view_->type == ResourceType::kUser ? "/Users/" : "/Groups/") +
                           view_->id.ToString()));
      case FieldKind::kMetaCreated:
      case FieldKind::kMetaLastModified: return true;  // always present
      case FieldKind::kMembers:
      case FieldKind::kGroups: return false;  // answered by the oracle
    }
    if (p.relative) {
      if (element_ == nullptr || !element_->is_object()) return false;
      const Json* v = element_->FindCi(p.sub);
      return v != nullptr && EachValue(*v, f);
    }
    const Json* top = Top(p);
    if (top == nullptr) return false;
    if (p.sub.empty()) return EachValue(*top, f);
    if (top->is_object()) {
      const Json* v = top->FindCi(p.sub);
      return v != nullptr && EachValue(*v, f);
    }
    if (!top->is_array()) return false;
    for (const auto& item : top->as_array()) {
      if (!item.is_object()) continue;
      const Json* v = item.FindCi(p.sub);
      if (v != nullptr && EachValue(*v, f)) return true;
    }
    return false;
  }

  // A value, or each item of an array value.
  template <typename F>
  static bool EachValue(const Json& v, const F& f) {
    if (!v.is_array()) return !v.is_null() && f(v);
    for (const auto& item : v.as_array()) {
      if (!item.is_null() && f(item)) return true;
    }
    return false;
  }

  const ResourceView* view_;
  const Json* element_;
};

}  // namespace

bool Matches(const BoundFilter& filter, const ResourceView& view) {
  if (!filter.root || filter.element_attr) return false;
  return Evaluator(&view, nullptr).Eval(*filter.root);
}

bool MatchesElement(const BoundFilter& filter, const Json& element) {
  if (!filter.root || !filter.element_attr) return false;
  return Evaluator(nullptr, &element).Eval(*filter.root);
}

}  // namespace scimd::core
