#include "tools/tenant_move.h"

#include <chrono>
#include <cstdio>
#include <map>

#include "core/base/json.h"
#include "net/admin_json.h"
#include "tools/admin_http.h"
#include "tools/cluster.h"

namespace scimd::tools {

namespace {

using core::Json;
using core::Result;
using core::Status;
using Clock = std::chrono::steady_clock;

struct Answer {
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case
};

// One server of the move: its admin API, each answer whole.
class Admin {
 public:
  Admin(std::string base, const MoveOptions& o)
      : http_(std::move(base), o.admin_token, o.ca_file) {}
  const std::string& base() const { return http_.url(); }

  // The call; an answer other than 2xx becomes the server's error.
  Result<Answer> Call(const std::string& method, const std::string& path,
                      const std::string& body = "", bool binary = false) {
    Answer a;
    AdminHttp::Exchange x;
    x.method = method.c_str();
    x.path = path;
    x.body = body;
    x.has_body = method != "GET" && method != "DELETE";
    x.content_type = binary ? "application/octet-stream" : "application/json";
    x.headers = &a.headers;
    x.sink = [&](long, std::string_view piece) {
      a.body.append(piece);
      return true;
    };
    SCIMD_ASSIGN_OR_RETURN(long status, http_.Perform(x));
    if (status < 200 || status > 299) {
      auto j = Json::Parse(a.body);
      Status s = net::admin::StatusFromError(static_cast<int>(status), j.ok() ? *j : Json());
      return Status(s.code(), base() + ": " + method + " " + path + ": " + s.detail());
    }
    return a;
  }

 private:
  AdminHttp http_;
};

std::string JsonString(const std::string& body, std::string_view key) {
  auto j = Json::Parse(body);
  const Json* v = j.ok() && j->is_object() ? j->Find(key) : nullptr;
  return v != nullptr && v->is_string() ? v->as_string() : "";
}

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

// One move, its two sessions and what a failure must undo.
class Mover {
 public:
  explicit Mover(const MoveOptions& o) : o_(o), source_(o.source, o), target_(o.target, o) {}

  Result<MoveReport> Run() {
    const auto started = Clock::now();
    Status s = Copy();
    if (s.ok()) s = CatchUp();
    if (s.ok()) s = Switch();
    if (!s.ok()) {
      Abandon();
      return s;
    }
    // The route names the target now; the source's copy goes.
    if (auto finished = source_.Call("POST", move_ + "/finish"); !finished.ok()) {
      Say("the source's copy could not be deleted (" + finished.status().detail() +
          "); it refuses writes until its move is abandoned: delete it with scimctl --server " +
          source_.base() + " tenant delete " + o_.tenant);
    }
    report_.total_seconds = Since(started);
    return report_;
  }

 private:
  void Say(const std::string& line) {
    if (o_.say) o_.say(line);
  }

  Status Copy() {
    Json body = Json::MakeObject();
    body.Set("name", Json::Str(o_.tenant));
    SCIMD_ASSIGN_OR_RETURN(Answer arrival, target_.Call("POST", "/arrivals", body.Serialize()));
    arrival_ = "/arrivals/" + JsonString(arrival.body, "id");
    SCIMD_ASSIGN_OR_RETURN(Answer move, source_.Call("POST", Tenant() + "/moves"));
    move_ = Tenant() + "/moves/" + JsonString(move.body, "id");
    since_ = JsonString(move.body, "sequence");
    Say("snapshot at sequence " + since_ + "; copying the range");
    const auto started = Clock::now();
    auto last_said = started;
    std::string cursor;
    for (;;) {
      SCIMD_ASSIGN_OR_RETURN(Answer page, source_.Call("GET", move_ + "/range?cursor=" + cursor));
      SCIMD_RETURN_IF_ERROR(target_.Call("PUT", arrival_ + "/range", page.body, true).status());
      report_.range_bytes += page.body.size();
      ++report_.range_pages;
      if (page.headers["x-scimd-done"] == "1") break;
      cursor = page.headers["x-scimd-cursor"];
      if (cursor.empty()) return Status::IoError("the source gave no cursor");
      if (Since(last_said) >= 5) {
        last_said = Clock::now();
        Say("range: " + std::to_string(report_.range_bytes >> 20) + " MiB in " +
            std::to_string(report_.range_pages) + " pages");
      }
    }
    SCIMD_RETURN_IF_ERROR(target_.Call("POST", arrival_ + "/range/finish").status());
    report_.copy_seconds = Since(started);
    Say("range: " + std::to_string(report_.range_bytes) + " bytes in " +
        std::to_string(report_.range_pages) + " pages, " + Fixed(report_.copy_seconds, 1) + " s");
    return Status::Ok();
  }

  // Every change after since_ applied on the target; their bytes.
  Result<uint64_t> Drain() {
    uint64_t bytes = 0;
    for (;;) {
      SCIMD_ASSIGN_OR_RETURN(Answer page, source_.Call("GET", move_ + "/changes?since=" + since_));
      if (!page.body.empty()) {
        SCIMD_RETURN_IF_ERROR(target_.Call("PUT", arrival_ + "/changes", page.body, true).status());
      }
      bytes += page.body.size();
      since_ = page.headers["x-scimd-sequence"];
      if (since_.empty()) return Status::IoError("the source gave no sequence");
      if (page.headers["x-scimd-more"] != "1") return bytes;
    }
  }

  Status CatchUp() {
    const auto started = Clock::now();
    for (report_.rounds = 1; report_.rounds <= o_.max_rounds; ++report_.rounds) {
      SCIMD_ASSIGN_OR_RETURN(uint64_t bytes, Drain());
      report_.change_bytes += bytes;
      Say("catch-up round " + std::to_string(report_.rounds) + ": " + std::to_string(bytes) +
          " bytes of changes");
      if (bytes < o_.small_round_bytes) break;
    }
    report_.catch_up_seconds = Since(started);
    return Status::Ok();
  }

  Status Switch() {
    const auto paused = Clock::now();
    SCIMD_RETURN_IF_ERROR(source_.Call("POST", move_ + "/fence").status());
    SCIMD_ASSIGN_OR_RETURN(report_.final_bytes, Drain());
    SCIMD_ASSIGN_OR_RETURN(Answer records, source_.Call("GET", move_ + "/records"));
    SCIMD_RETURN_IF_ERROR(target_.Call("PUT", arrival_ + "/records", records.body, true).status());
    serving_ = true;  // the target took the tokens: abandoning deletes its tenant
    if (!o_.etcd_url.empty()) {
      Etcd etcd(o_.etcd_url);
      SCIMD_RETURN_IF_ERROR(etcd.Put(kTenantsPrefix + o_.tenant, o_.node));
      if (!o_.haproxy_socket.empty()) {
        SCIMD_RETURN_IF_ERROR(ReconcileOnce(etcd, o_.haproxy_socket, o_.map_file).status());
      }
    }
    report_.pause_ms = Since(paused) * 1000;
    Say("switched: writes paused " + Fixed(report_.pause_ms, 1) + " ms (" +
        std::to_string(report_.final_bytes) + " bytes of last changes)");
    return Status::Ok();
  }

  // Undoes what was done: the target's tenant deleted, the source serving on.
  void Abandon() {
    if (serving_) {
      (void)target_.Call("DELETE", Tenant());
    } else if (!arrival_.empty()) {
      (void)target_.Call("DELETE", arrival_);
    }
    if (!move_.empty()) (void)source_.Call("DELETE", move_);
  }

  std::string Tenant() const { return "/tenants/" + o_.tenant; }

  const MoveOptions& o_;
  Admin source_, target_;
  std::string arrival_, move_, since_;
  bool serving_ = false;
  MoveReport report_;
};

}  // namespace

Result<MoveReport> MoveTenant(const MoveOptions& options) {
  if (options.tenant.empty()) return Status::InvalidValue("which tenant?");
  if (options.target.empty()) return Status::InvalidValue("no target server");
  if (!options.etcd_url.empty() && options.node.empty()) {
    return Status::InvalidValue("the route needs the target's node name");
  }
  return Mover(options).Run();
}

}  // namespace scimd::tools
