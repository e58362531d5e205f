#include "net/prometheus.h"

#include <cmath>
#include <cstdio>

namespace scimd::net {
namespace {

void AppendEscaped(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

}  // namespace

void PrometheusText::Family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  for (char c : help) {  // HELP escapes only backslash and newline
    if (c == '\\') {
      out_ += "\\\\";
    } else if (c == '\n') {
      out_ += "\\n";
    } else {
      out_ += c;
    }
  }
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PrometheusText::Head(std::string_view name, Labels labels,
                          const std::pair<std::string_view, std::string_view>* extra) {
  out_ += name;
  if (labels.size() == 0 && extra == nullptr) {
    out_ += ' ';
    return;
  }
  out_ += '{';
  bool first = true;
  auto label = [&](std::string_view key, std::string_view value) {
    if (!first) out_ += ',';
    first = false;
    out_ += key;
    out_ += "=\"";
    AppendEscaped(out_, value);
    out_ += '"';
  };
  for (const auto& [key, value] : labels) label(key, value);
  if (extra != nullptr) label(extra->first, extra->second);
  out_ += "} ";
}

void PrometheusText::Sample(std::string_view name, Labels labels, double value) {
  Head(name, labels, nullptr);
  if (std::isnan(value)) {
    out_ += "NaN";
  } else if (std::isinf(value)) {
    out_ += value > 0 ? "+Inf" : "-Inf";
  } else {
    char text[32];
    std::snprintf(text, sizeof(text), "%.9g", value);
    out_ += text;
  }
  out_ += '\n';
}

void PrometheusText::Sample(std::string_view name, Labels labels, uint64_t value) {
  Head(name, labels, nullptr);
  out_ += std::to_string(value);
  out_ += '\n';
}

void PrometheusText::Sample(std::string_view name, Labels labels,
                            std::pair<std::string_view, std::string_view> extra, uint64_t value) {
  Head(name, labels, &extra);
  out_ += std::to_string(value);
  out_ += '\n';
}

}  // namespace scimd::net
