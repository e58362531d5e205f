#include "tools/scimload/stats.h"

#include <utility>

namespace scimd::scimload {

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kProbe: return "GET probe";
    case Kind::kGetFilterUser: return "GET filter userName";
    case Kind::kPostUser: return "POST /Users";
    case Kind::kPostUserConflict: return "POST /Users conflict";
    case Kind::kGetVerifyUser: return "GET verify userName";
    case Kind::kPatchUser: return "PATCH /Users";
    case Kind::kPutUser: return "PUT /Users";
    case Kind::kGetFilterGroup: return "GET filter displayName";
    case Kind::kPostGroup: return "POST /Groups";
    case Kind::kPatchGroupMembers: return "PATCH /Groups members";
    case Kind::kGetListPage: return "GET list page";
    case Kind::kCount: break;
  }
  return "?";
}

void Stats::RecordAnswer(Kind kind, int status, bool injected, int64_t latency_micros) {
  KindStats& k = of(kind);
  k.latency.Record(latency_micros);
  ++k.count;
  ++(injected ? k.injected : k.statuses)[status];
}

void Stats::RecordConnectionFailure(Kind kind, std::string what) {
  ++of(kind).connection_failures;
  ++connection_failures_;
  if (failure_examples_.size() < kMaxExamples) {
    failure_examples_.push_back(std::string(KindName(kind)) + ": " + std::move(what));
  }
}

void Stats::WrongAnswer(Kind kind, std::string what) {
  ++wrong_answers_;
  if (wrong_examples_.size() < kMaxExamples) {
    wrong_examples_.push_back(std::string(KindName(kind)) + ": " + std::move(what));
  }
}

uint64_t Stats::total_answers() const {
  uint64_t n = 0;
  for (const auto& k : kinds_) n += k.count;
  return n;
}

}  // namespace scimd::scimload
