// Workload: what a profile asks of the runner. A workload is a set of logical operations
// (a user's lookup then create, a group's create then member PATCHes), each a chain of
// requests where the answer to one decides the next. The runner asks for the next ready
// step when it has a slot (open loop) or a free connection (closed loop), renders it into
// a request only when it sends it, retries injected faults and 429s itself, and hands the
// final answer back. All calls come from the runner's one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tools/scimload/json_text.h"
#include "tools/scimload/stats.h"

namespace scimd::scimload {

// One request of a logical operation, before it is rendered: small, so that a long queue
// of steps waiting for a connection costs little memory.
struct Step {
  Kind kind = Kind::kProbe;
  uint32_t op = 0;   // the workload's operation (a user's or a group's number)
  uint32_t arg = 0;  // the workload's step detail (a member batch, a page)
};

struct Request {
  std::string method;
  std::string target;  // below the base URL, e.g. /Users?filter=...
  std::string body;    // empty: no body
};

class Workload {
 public:
  virtual ~Workload() = default;

  // The next step that may be sent now; false when none is (all wait for answers, or the
  // workload is done).
  virtual bool Next(Step& step) = 0;
  // The request for `step`, built now (it may use ids learned since the step was made).
  virtual void Render(const Step& step, Request& request) = 0;
  // The final answer to `step` (never an injected fault or a 429: the runner retries
  // those). Checks it, records wrong answers, and may make further steps ready.
  virtual void OnAnswer(const Step& step, int status, std::string_view body) = 0;
  // The runner gave up on `step` after kMaxAttempts (connection failures, injected faults
  // or 429s); its operation ends there.
  virtual void OnAbandoned(const Step& step) = 0;
  // Nothing left to send and no answer awaited.
  virtual bool Done() const = 0;

  // A few words on how far the workload is, for the progress line.
  virtual std::string Progress() const = 0;
  // The profile's own report: JSON members of the report object, and text lines.
  virtual void AppendJson(JsonWriter& json) const = 0;
  virtual void AppendText(std::string& out) const = 0;
  // The User-Agent the provider sends ("" sends none, as Entra ID sometimes does).
  virtual std::string_view user_agent() const = 0;
};

}  // namespace scimd::scimload
