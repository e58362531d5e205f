#include "tools/scimload/runner.h"

#include <csignal>
#include <ctime>
#include <iostream>
#include <utility>

namespace scimd::scimload {
namespace {

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

Runner::Runner(const RunOptions& options, Workload& workload, Stats& stats)
    : options_(options),
      workload_(workload),
      stats_(stats),
      slot_timer_(io_),
      retry_timer_(io_),
      deadline_timer_(io_),
      progress_timer_(io_),
      signals_(io_, SIGINT, SIGTERM) {}

Runner::~Runner() = default;

RunResult Runner::Run() {
  result_.started_at = UtcNow();
  asio::error_code ec;
  asio::ip::tcp::resolver resolver(io_);
  auto endpoints = resolver.resolve(options_.url.host, std::to_string(options_.url.port), ec);
  if (ec || endpoints.empty()) {
    result_.error = "cannot resolve " + options_.url.host + ": " + ec.message();
    return result_;
  }
  const asio::ip::tcp::endpoint endpoint = endpoints.begin()->endpoint();
  for (int i = 0; i < options_.connections; ++i) {
    connections_.push_back(std::make_unique<ClientConnection>(io_, endpoint, options_.timeout));
    in_flight_.emplace_back();
    idle_.push_back(static_cast<size_t>(options_.connections - 1 - i));
  }

  start_ = Clock::now();
  last_progress_ = start_;
  deadline_timer_.expires_at(start_ + options_.duration);
  deadline_timer_.async_wait([this](const asio::error_code& e) {
    if (!e && !stopped_) Stop(false);
  });
  signals_.async_wait([this](const asio::error_code& e, int) {
    if (e || stopped_) return;
    result_.interrupted = true;
    Stop(false);
  });
  if (options_.progress) {
    progress_timer_.expires_at(start_ + options_.progress_every);
    progress_timer_.async_wait([this](const asio::error_code& e) {
      if (!e && !stopped_) OnProgress();
    });
  }
  if (options_.rate > 0) {
    schedule_.emplace(start_, options_.rate);
    asio::post(io_, [this] { OnSlots(); });
  } else {
    asio::post(io_, [this] { Dispatch(); });
  }
  io_.run();

  result_.seconds = Seconds(end_ - start_);
  for (const auto& c : connections_) result_.connects += c->connects();
  return result_;
}

std::string Runner::RenderRequest(const Step& step) {
  Request request;
  workload_.Render(step, request);
  std::string out;
  out.reserve(256 + request.target.size() + request.body.size());
  out += request.method;
  out += ' ';
  out += options_.url.path;
  out += request.target;
  out += " HTTP/1.1\r\nHost: ";
  out += options_.url.HostHeader();
  out += "\r\nAuthorization: Bearer ";
  out += options_.token;
  out += "\r\nAccept: application/scim+json\r\n";
  if (!workload_.user_agent().empty()) {
    out += "User-Agent: ";
    out += workload_.user_agent();
    out += "\r\n";
  }
  if (!request.body.empty()) {
    out += "Content-Type: application/scim+json; charset=utf-8\r\nContent-Length: ";
    out += std::to_string(request.body.size());
    out += "\r\n";
  }
  out += "\r\n";
  out += request.body;
  return out;
}

void Runner::Dispatch() {
  if (stopped_) return;
  // Bounded: each round takes an idle connection.
  while (!idle_.empty()) {
    Pending pending;
    if (!waiting_.empty()) {
      pending = std::move(waiting_.front());
      waiting_.pop_front();
    } else if (!schedule_ && workload_.Next(pending.step)) {
      pending.intended = Clock::now();  // closed loop: latency from the send
    } else {
      break;
    }
    const size_t c = idle_.back();
    idle_.pop_back();
    SendOn(c, std::move(pending));
  }
  MaybeFinish();
}

void Runner::SendOn(size_t connection, Pending pending) {
  ++pending.attempts;
  std::string bytes = RenderRequest(pending.step);
  in_flight_[connection] = std::move(pending);
  connections_[connection]->Send(
      std::move(bytes), [this, connection](HttpAnswer& answer) { OnAnswer(connection, answer); });
}

void Runner::OnAnswer(size_t connection, HttpAnswer& answer) {
  if (stopped_) return;
  Pending pending = std::move(*in_flight_[connection]);
  in_flight_[connection].reset();
  idle_.push_back(connection);
  const Clock::time_point now = Clock::now();
  const Kind kind = pending.step.kind;
  const int64_t latency = LatencyMicros(pending.intended, now);

  if (!answer.answered) {
    if (answer.stale && !pending.resent_stale) {
      // The server closed an idle keep-alive connection as we wrote: not a failure.
      pending.resent_stale = true;
      --pending.attempts;
      waiting_.push_front(std::move(pending));
    } else if (answer.injected) {
      stats_.RecordAnswer(kind, kDroppedStatus, /*injected=*/true, latency);
      const auto delay = Backoff(pending.attempts);
      Retry(std::move(pending), now + delay);
    } else {
      stats_.RecordConnectionFailure(kind, answer.error);
      if (++failures_in_a_row_ >= kMaxFailuresInARow) {
        result_.unreachable = true;
        std::cerr << "scimload: " << failures_in_a_row_
                  << " connection failures in a row; giving up (last: " << answer.error << ")\n";
        return Stop(false);
      }
      const auto delay = Backoff(pending.attempts);
      Retry(std::move(pending), now + delay);
    }
    return Dispatch();
  }
  failures_in_a_row_ = 0;
  if (answer.injected || answer.status == 429) {
    stats_.RecordAnswer(kind, answer.status, answer.injected, latency);
    const auto delay = answer.retry_after_s >= 0
                           ? std::chrono::milliseconds(answer.retry_after_s * 1000)
                           : Backoff(pending.attempts);
    Retry(std::move(pending), now + delay);
    return Dispatch();
  }
  stats_.RecordAnswer(kind, answer.status, /*injected=*/false, latency);
  workload_.OnAnswer(pending.step, answer.status, answer.body);
  Dispatch();
}

std::chrono::milliseconds Runner::Backoff(int attempts) const {
  auto delay = kFirstBackoff;
  for (int i = 1; i < attempts && delay < kMaxBackoff; ++i) delay *= 2;
  return std::min(delay, kMaxBackoff);
}

void Runner::Retry(Pending pending, Clock::time_point due) {
  if (pending.attempts >= kMaxAttempts) {
    ++stats_.of(pending.step.kind).abandoned;
    workload_.OnAbandoned(pending.step);
    return;
  }
  ++stats_.of(pending.step.kind).retries;
  pending.intended = due;  // the operation is rescheduled: its latency counts from then
  pending.resent_stale = false;
  const bool earliest = later_.empty() || due < later_.top().due;
  later_.push(Later{due, std::move(pending)});
  if (earliest) ArmRetryTimer();
}

void Runner::ArmRetryTimer() {
  if (later_.empty()) return;
  retry_timer_.expires_at(later_.top().due);
  retry_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    const Clock::time_point now = Clock::now();
    while (!later_.empty() && later_.top().due <= now) {
      waiting_.push_back(later_.top().pending);
      later_.pop();
    }
    ArmRetryTimer();
    Dispatch();
  });
}

void Runner::OnSlots() {
  if (stopped_) return;
  const uint64_t due = schedule_->DueBy(Clock::now());
  // Bounded by the slots due now; each is O(1).
  for (; next_slot_ < due; ++next_slot_) {
    Pending pending;
    if (workload_.Next(pending.step)) {
      pending.intended = schedule_->IntendedTime(next_slot_);
      waiting_.push_back(std::move(pending));
    } else {
      ++result_.idle_slots;  // nothing ready (a profile's phase waits for its answers)
    }
  }
  Dispatch();
  if (!stopped_) ArmSlotTimer();
}

void Runner::ArmSlotTimer() {
  slot_timer_.expires_at(schedule_->IntendedTime(next_slot_));
  slot_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec && !stopped_) OnSlots();
  });
}

void Runner::OnProgress() {
  const Clock::time_point now = Clock::now();
  const uint64_t answers = stats_.total_answers();
  const double window = Seconds(now - last_progress_);
  const double rate = window > 0 ? (answers - last_progress_answers_) / window : 0;
  size_t busy = 0;
  for (const auto& p : in_flight_) busy += p.has_value();
  std::fprintf(stderr,
               "scimload: %7.1f s  %10llu answers  %9.1f req/s  %zu in flight  %zu waiting  "
               "%s\n",
               Seconds(now - start_), static_cast<unsigned long long>(answers), rate, busy,
               waiting_.size() + later_.size(), workload_.Progress().c_str());
  last_progress_ = now;
  last_progress_answers_ = answers;
  progress_timer_.expires_at(now + options_.progress_every);
  progress_timer_.async_wait([this](const asio::error_code& e) {
    if (!e && !stopped_) OnProgress();
  });
}

void Runner::MaybeFinish() {
  if (stopped_ || !waiting_.empty() || !later_.empty()) return;
  if (idle_.size() != connections_.size()) return;  // answers awaited
  if (workload_.Done()) Stop(true);
}

void Runner::Stop(bool complete) {
  if (stopped_) return;
  stopped_ = true;
  end_ = Clock::now();
  result_.complete = complete;
  for (const auto& p : in_flight_) {
    if (p) ++stats_.of(p->step.kind).unfinished;
  }
  for (const auto& p : waiting_) ++stats_.of(p.step.kind).unfinished;
  for (; !later_.empty(); later_.pop()) ++stats_.of(later_.top().pending.step.kind).unfinished;
  waiting_.clear();
  for (auto& c : connections_) c->Abort();
  asio::error_code ec;
  slot_timer_.cancel();
  retry_timer_.cancel();
  deadline_timer_.cancel();
  progress_timer_.cancel();
  asio::error_code ignored;
  signals_.cancel(ignored);
}

}  // namespace scimd::scimload
