#include "core/filter/filter_eval.h"

#include <string>

#include "core/base/strings.h"
#include "core/filter/filter_datetime.h"
#include "core/resource/index_entries.h"
#include "core/resource/stored_value.h"

namespace scimd::core {

namespace {

// The same folding as NormalizeForIndex for ASCII text, applied byte by byte so that no
// comparison allocates; CompareString folds non-ASCII text whole first (FoldCase).
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
  bool fold = !n.path.case_exact;
  std::string folded;  // a non-ASCII value, folded as the index folds it
  if (fold && !IsAscii(s)) {
    folded = FoldCase(s);
    s = folded;
    fold = false;
  }
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

// The evaluator reads a Json tree or, for a stored resource, simdjson's document in place
// (JsonDomValue); these overloads are all it needs of either.
std::string_view StrOf(const Json& v) { return v.as_string(); }
std::string_view StrOf(const JsonDomValue& v) { return v.str(); }
const Json* MemberCi(const Json& object, std::string_view key) { return object.FindCi(key); }
std::optional<JsonDomValue> MemberCi(const JsonDomValue& object, std::string_view key) {
  return object.FindCi(key);
}
template <typename F>
bool AnyItem(const Json& array, const F& f) {
  for (const Json& item : array.as_array()) {
    if (f(item)) return true;
  }
  return false;
}
template <typename F>
bool AnyItem(const JsonDomValue& array, const F& f) {
  return array.AnyItem(f);
}
template <typename F>
bool AnyMemberValue(const Json& object, const F& f) {
  for (const auto& member : object.as_object()) {
    if (f(member.second)) return true;
  }
  return false;
}
template <typename F>
bool AnyMemberValue(const JsonDomValue& object, const F& f) {
  return object.AnyMemberValue(f);
}

// One leaf value against the literal of `n` with `op` (never ne: the caller makes that !eq).
template <typename V>
bool CompareLeaf(const V& v, const BoundNode& n, CompareOp op) {
  switch (n.value.kind) {
    case BoundValue::Kind::kString: return v.is_string() && CompareString(StrOf(v), n, op);
    case BoundValue::Kind::kBoolean:
      if (v.is_bool()) return Ordered(Cmp(v.as_bool(), n.value.boolean), op);
      return v.is_string() && EqualsCi(StrOf(v), n.value.boolean ? "true" : "false") &&
             op == CompareOp::kEq;
    case BoundValue::Kind::kInteger:
      if (v.is_int()) return Ordered(Cmp(v.as_int(), n.value.integer), op);
      return v.is_number() && Ordered(Cmp(v.as_double(), n.value.decimal), op);
    case BoundValue::Kind::kDecimal:
      return v.is_number() && Ordered(Cmp(v.as_double(), n.value.decimal), op);
    case BoundValue::Kind::kDateTime: {
      if (!v.is_string()) return false;
      const std::optional<int64_t> micros = ParseDateTimeMicros(StrOf(v));
      return micros.has_value() && Ordered(Cmp(*micros, n.value.integer), op);
    }
  }
  return false;
}

// RFC 7644 §3.4.2.2 pr: a value that is not null and not empty ("", [], {}).
template <typename V>
bool IsPresent(const V& v) {
  if (v.is_null()) return false;
  if (v.is_string()) return !StrOf(v).empty();
  if (v.is_array()) return AnyItem(v, [](const V& item) { return IsPresent(item); });
  if (v.is_object()) return AnyMemberValue(v, [](const V& value) { return IsPresent(value); });
  return true;
}

// V: Json, or JsonDomValue for a resource read in place.
template <typename V>
class Evaluator {
 public:
  Evaluator(const ResourceView* view, const V* attrs, const V* element)
      : view_(view), attrs_(attrs), element_(element) {}

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
        return AnyLeaf(n.path, [](const auto& v) { return IsPresent(v); });
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
    const auto leaf = [&](const auto& v) { return CompareLeaf(v, n, op); };
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
    const auto v = Top(n.path);
    if (!v) return false;
    if (v->is_object()) return Evaluator(view_, attrs_, &*v).Eval(*n.children[0]);
    if (!v->is_array()) return false;
    return AnyItem(*v, [&](const V& item) {
      return item.is_object() && Evaluator(view_, attrs_, &item).Eval(*n.children[0]);
    });
  }

  // The top-level value of a non-relative attribute path, or none (a null pointer for
  // Json, an empty optional in place).
  auto Top(const BoundPath& p) const -> decltype(MemberCi(std::declval<const V&>(), "")) {
    if (attrs_ == nullptr || !attrs_->is_object()) return {};
    if (p.schema.empty()) return MemberCi(*attrs_, p.attr);
    const auto extension = MemberCi(*attrs_, p.schema);
    if (!extension || !extension->is_object()) return {};
    return MemberCi(*extension, p.attr);
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
      const auto v = MemberCi(*element_, p.sub);
      return v && EachValue(*v, f);
    }
    const auto top = Top(p);
    if (!top) return false;
    if (p.sub.empty()) return EachValue(*top, f);
    if (top->is_object()) {
      const auto v = MemberCi(*top, p.sub);
      return v && EachValue(*v, f);
    }
    if (!top->is_array()) return false;
    return AnyItem(*top, [&](const V& item) {
      if (!item.is_object()) return false;
      const auto v = MemberCi(item, p.sub);
      return v && EachValue(*v, f);
    });
  }

  // A value, or each item of an array value.
  template <typename F>
  static bool EachValue(const V& v, const F& f) {
    if (!v.is_array()) return !v.is_null() && f(v);
    return AnyItem(v, [&](const V& item) { return !item.is_null() && f(item); });
  }

  const ResourceView* view_;
  const V* attrs_;    // the resource's attributes; null for MatchesElement
  const V* element_;  // the element a relative path reads
};

}  // namespace

bool Matches(const BoundFilter& filter, const ResourceView& view) {
  if (!filter.root || filter.element_attr) return false;
  if (view.dom != nullptr) {
    return Evaluator<JsonDomValue>(&view, view.dom, nullptr).Eval(*filter.root);
  }
  return Evaluator<Json>(&view, view.attrs, nullptr).Eval(*filter.root);
}

bool MatchesElement(const BoundFilter& filter, const Json& element) {
  if (!filter.root || !filter.element_attr) return false;
  return Evaluator<Json>(nullptr, nullptr, &element).Eval(*filter.root);
}

}  // namespace scimd::core
