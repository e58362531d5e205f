// Runner: drives a Workload over C keep-alive connections on one thread and one
// io_context. Open loop (rate > 0): slots at the intended times of an OpenLoopSchedule
// each take the next ready step; a step waits for a free connection if need be and its
// latency counts from its slot. Closed loop (rate 0): a free connection takes the next
// ready step at once, and latency counts from the send. Injected faults (answers with
// X-Scimd-Injected-Fault) and 429s are recorded apart and the step is sent again after
// Retry-After (or a back-off), at most kMaxAttempts times; connection failures are
// counted and retried the same way. The run ends when the workload is done, at
// --duration, on SIGINT or SIGTERM, or when the server cannot be reached.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "tools/scimload/http_client.h"
#include "tools/scimload/schedule.h"
#include "tools/scimload/stats.h"
#include "tools/scimload/workload.h"

namespace scimd::scimload {

// How many times one step is sent at most (the first send and its retries).
constexpr int kMaxAttempts = 6;
// Back-off between retries without Retry-After: 100 ms doubling, at most 5 s (Entra ID
// retries with back-off; the exact curve is not published).
constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{5000};
// Connection failures in a row, with no answer between them, after which the server is
// taken as unreachable and the run stops.
constexpr int kMaxFailuresInARow = 50;

struct RunOptions {
  BaseUrl url;
  std::string token;
  int connections = 4;
  double rate = 0;  // requests per second; 0: closed loop
  std::chrono::milliseconds duration{600'000};
  std::chrono::milliseconds timeout{60'000};  // one request, connect to answer
  std::chrono::milliseconds progress_every{5'000};
  bool progress = true;  // print progress on stderr
};

struct RunResult {
  double seconds = 0;
  bool complete = false;     // the workload finished (not cut off by --duration)
  bool unreachable = false;  // stopped after kMaxFailuresInARow connection failures
  bool interrupted = false;  // stopped by SIGINT or SIGTERM
  std::string error;         // why the run could not start, if it did not
  uint64_t idle_slots = 0;   // open loop: slots at which no step was ready
  uint64_t connects = 0;     // TCP connections opened
  std::string started_at;    // UTC, ISO 8601
};

class Runner {
 public:
  Runner(const RunOptions& options, Workload& workload, Stats& stats);
  ~Runner();
  // Runs to the end; blocks.
  RunResult Run();

 private:
  struct Pending {
    Step step;
    Clock::time_point intended;
    int attempts = 0;           // sends so far
    bool resent_stale = false;  // already resent once after a stale keep-alive connection
  };
  struct Later {  // a retry, due at `due`
    Clock::time_point due;
    Pending pending;
    bool operator>(const Later& other) const { return due > other.due; }
  };

  void Dispatch();
  void SendOn(size_t connection, Pending pending);
  void OnAnswer(size_t connection, HttpAnswer& answer);
  void Retry(Pending pending, Clock::time_point due);
  std::chrono::milliseconds Backoff(int attempts) const;
  void OnSlots();
  void ArmSlotTimer();
  void ArmRetryTimer();
  void OnProgress();
  void MaybeFinish();
  void Stop(bool complete);
  std::string RenderRequest(const Step& step);

  const RunOptions& options_;
  Workload& workload_;
  Stats& stats_;
  asio::io_context io_;
  std::vector<std::unique_ptr<ClientConnection>> connections_;
  std::vector<std::optional<Pending>> in_flight_;  // per connection
  std::vector<size_t> idle_;                       // connections free to send
  std::deque<Pending> waiting_;                    // steps with a slot, waiting for a connection
  std::priority_queue<Later, std::vector<Later>, std::greater<>> later_;
  std::optional<OpenLoopSchedule> schedule_;
  uint64_t next_slot_ = 0;
  asio::steady_timer slot_timer_;
  asio::steady_timer retry_timer_;
  asio::steady_timer deadline_timer_;
  asio::steady_timer progress_timer_;
  asio::signal_set signals_;  // SIGINT, SIGTERM: stop and report what was measured
  Clock::time_point start_;
  Clock::time_point end_;
  bool stopped_ = false;
  int failures_in_a_row_ = 0;
  uint64_t last_progress_answers_ = 0;
  Clock::time_point last_progress_;
  RunResult result_;
};

}  // namespace scimd::scimload
