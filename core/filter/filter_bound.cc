#include "core/filter/filter_bound.h"

#include <cstdio>

#include "core/base/json.h"
#include "core/filter/filter_datetime.h"

namespace scimd::core {

std::string BoundPath::ToString() const {
  if (relative) return sub;
  std::string out;
  if (!schema.empty()) out = schema + ":";
  out += attr;
  if (!sub.empty()) out += "." + sub;
  return out;
}

std::string BoundPath::IndexPath() const { return sub.empty() ? attr : attr + "." + sub; }

std::string BoundValue::ToString() const {
  std::string out;
  switch (kind) {
    case Kind::kString: AppendJsonString(out, string); break;
    case Kind::kBoolean: out = boolean ? "true" : "false"; break;
    case Kind::kInteger: out = std::to_string(integer); break;
    case Kind::kDecimal: {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.17g", decimal);
      out = buf;
      break;
    }
    case Kind::kDateTime: AppendJsonString(out, FormatDateTimeMicros(integer)); break;
  }
  return out;
}

std::string BoundNode::ToString() const { return FilterNodeToString(*this); }

}  // namespace scimd::core
