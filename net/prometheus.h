// PrometheusText: builds a scrape answer in Prometheus' text exposition format (0.0.4):
// each metric family once with its HELP and TYPE lines, then its samples. Label values are
// escaped (backslash, double quote, newline); names are ours and must be valid already.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace scimd::net {

inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

class PrometheusText {
 public:
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  // Starts a family; `type` is counter, gauge or histogram.
  void Family(std::string_view name, std::string_view type, std::string_view help);
  // One sample of the current family (`name` may carry a suffix: _bucket, _sum, _count).
  void Sample(std::string_view name, Labels labels, double value);
  void Sample(std::string_view name, Labels labels, uint64_t value);
  // A sample with one more label after `labels` (a histogram bucket's "le").
  void Sample(std::string_view name, Labels labels,
              std::pair<std::string_view, std::string_view> extra, uint64_t value);

  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Head(std::string_view name, Labels labels,
            const std::pair<std::string_view, std::string_view>* extra);
  std::string out_;
};

}  // namespace scimd::net
