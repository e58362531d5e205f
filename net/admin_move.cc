#include "net/admin_move.h"

#include <charconv>

#include "core/base/json.h"
#include "net/admin_json.h"

namespace scimd::net {

using core::Json;
using core::Status;

namespace {

using Reply = AdminMoves::Reply;

Reply ErrorReply(const Status& s) {
  const int http = core::ToHttp(s.code()).http_status;
  return Reply(http, admin::ErrorJson(http, s.detail()));
}
Reply Error(int status, const std::string& message) {
  return Reply(status, admin::ErrorJson(status, message));
}
Reply Bytes(std::string body) {
  Reply r(200, std::move(body));
  r.content_type = "application/octet-stream";
  return r;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}
bool Unhex(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
    if (ec != std::errc() || p != hex.data() + i + 2) return false;
    out->push_back(static_cast<char>(v));
  }
  return true;
}

// Removes from `sessions` those idle for kMoveIdleMicros (and not in a request), and
// returns them.
template <typename Session>
std::vector<std::shared_ptr<Session>> TakeIdle(
    std::map<std::string, std::shared_ptr<Session>>& sessions, int64_t now) {
  std::vector<std::shared_ptr<Session>> idle;
  for (auto it = sessions.begin(); it != sessions.end();) {
    std::unique_lock<std::mutex> session_lock(it->second->mu, std::try_to_lock);
    if (session_lock.owns_lock() && now - it->second->touched_us > kMoveIdleMicros) {
      idle.push_back(it->second);
      it = sessions.erase(it);
    } else {
      ++it;
    }
  }
  return idle;
}

}  // namespace

AdminMoves::~AdminMoves() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [tenant, since] : retired_) {
    store_.UnfenceTenant(tenant);
    gate_.ReleaseWrites(tenant);
  }
  for (auto& [id, out] : outs_) {
    std::lock_guard<std::mutex> session_lock(out->mu);
    Abandon(*out);
  }
  for (auto& [id, in] : ins_) {
    std::lock_guard<std::mutex> session_lock(in->mu);
    Abandon(*in);
  }
}

bool AdminMoves::Moving(core::TenantId tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, out] : outs_) {
    if (out->tenant == tenant) return true;
  }
  return false;
}

bool AdminMoves::Fenced(core::TenantId tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, out] : outs_) {
    if (out->tenant != tenant) continue;
    std::lock_guard<std::mutex> session_lock(out->mu);
    if (out->fenced) return true;
  }
  return false;
}

core::Result<bool> AdminMoves::DeleteTenant(core::TenantId tenant) {
  gate_.HoldWrites(tenant);
  const core::Status fenced = store_.FenceTenant(tenant);
  if (!fenced.ok()) {
    gate_.ReleaseWrites(tenant);
    if (!fenced.Is(core::Status::Code::kNotImplemented)) return fenced;
    return store_.DeleteTenant(tenant);
  }
  auto deleted = store_.DeleteTenant(tenant);
  if (!deleted.ok()) {  // still there: writable again
    store_.UnfenceTenant(tenant);
    gate_.ReleaseWrites(tenant);
    return deleted;
  }
  std::lock_guard<std::mutex> lock(mu_);
  retired_.emplace_back(tenant, clock_.NowMicros());
  return deleted;
}

void AdminMoves::Abandon(Out& out) {
  if (out.fenced) {
    store_.UnfenceTenant(out.tenant);
    gate_.ReleaseWrites(out.tenant);
    out.fenced = false;
  }
  out.source.reset();  // the snapshot released, the log's files deleted again
}

void AdminMoves::Abandon(In& in) {
  if (!in.sink) return;
  in.sink.reset();
  (void)store_.DeleteTenant(in.tenant);
  gate_.ReleaseWrites(in.tenant);
}

void AdminMoves::Expire() {
  const int64_t now = clock_.NowMicros();
  std::vector<std::shared_ptr<Out>> outs;
  std::vector<std::shared_ptr<In>> ins;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = retired_.begin(); it != retired_.end();) {
      if (now - it->second < kRetiredFenceMicros) {
        ++it;
        continue;
      }
      // What reached the store around the fence since (the activity log's last entries of
      // the tenant, written by the upkeep thread; a token the SCIM test endpoint issued)
      // goes before the fence does. (After a move the source's copy is deleted alike.)
      (void)store_.DeleteTenant(it->first);
      store_.UnfenceTenant(it->first);
      gate_.ReleaseWrites(it->first);
      it = retired_.erase(it);
    }
    outs = TakeIdle(outs_, now);
    ins = TakeIdle(ins_, now);
  }
  for (auto& out : outs) {
    std::lock_guard<std::mutex> session_lock(out->mu);
    Abandon(*out);
  }
  for (auto& in : ins) {
    std::lock_guard<std::mutex> session_lock(in->mu);
    Abandon(*in);
  }
}

std::shared_ptr<AdminMoves::Out> AdminMoves::FindOut(const core::TenantRecord& tenant,
                                                     std::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = outs_.find(std::string(id));
  if (it == outs_.end() || it->second->tenant != tenant.id) return nullptr;
  return it->second;
}

std::shared_ptr<AdminMoves::In> AdminMoves::FindIn(std::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = ins_.find(std::string(id));
  return it == ins_.end() ? nullptr : it->second;
}

Reply AdminMoves::Moves(const core::TenantRecord& tenant, const std::vector<std::string_view>& rest,
                        std::string_view method, std::string_view cursor_hex,
                        std::string_view since_text) {
  Expire();
  if (rest.empty()) {
    if (method != "POST") return Error(405, "POST starts a move");
    if (Moving(tenant.id)) return Error(409, "a move of this tenant is open already");
    auto source = store_.BeginMoveOut(tenant.id);
    if (!source.ok()) return ErrorReply(source.status());
    auto out = std::make_shared<Out>();
    out->tenant = tenant.id;
    out->source = std::move(source).value();
    out->touched_us = clock_.NowMicros();
    Json j = Json::MakeObject();
    j.Set("sequence", Json::Str(std::to_string(out->source->sequence())));
    {
      std::lock_guard<std::mutex> lock(mu_);
      const std::string id = "m" + std::to_string(++next_);
      outs_[id] = out;
      j.Set("id", Json::Str(id));
    }
    return Reply(201, j.Serialize());
  }
  std::shared_ptr<Out> out = FindOut(tenant, rest[0]);
  if (!out) return Error(404, "no move " + std::string(rest[0]) + " of this tenant");
  std::lock_guard<std::mutex> session_lock(out->mu);
  out->touched_us = clock_.NowMicros();
  if (!out->source) return Error(404, "the move was closed");
  const std::string_view what = rest.size() > 1 ? rest[1] : "";
  if (rest.size() == 1) {
    if (method != "DELETE") return Error(405, "DELETE abandons a move");
    Abandon(*out);
    std::lock_guard<std::mutex> lock(mu_);
    outs_.erase(std::string(rest[0]));
    return Reply(204, "");
  }
  if (rest.size() != 2) return Error(404, "no such move endpoint");
  if (what == "range" && method == "GET") {
    std::string cursor, page;
    if (!Unhex(cursor_hex, &cursor)) return Error(400, "the cursor is not what a page gave");
    bool done = false;
    if (Status s = out->source->ReadRange(&cursor, kMovePageBytes, &page, &done); !s.ok()) {
      return ErrorReply(s);
    }
    Reply r = Bytes(std::move(page));
    r.headers.emplace_back("X-Scimd-Cursor", Hex(cursor));
    r.headers.emplace_back("X-Scimd-Done", done ? "1" : "0");
    return r;
  }
  if (what == "changes" && method == "GET") {
    uint64_t since = 0;
    auto [p, ec] = std::from_chars(since_text.data(), since_text.data() + since_text.size(), since);
    if (ec != std::errc() || p != since_text.data() + since_text.size()) {
      return Error(400, "since is a sequence number");
    }
    if (since < out->source->sequence()) return Error(400, "since is before the move's snapshot");
    std::string page;
    bool more = false;
    if (Status s = out->source->ReadChanges(&since, kMovePageBytes, &page, &more); !s.ok()) {
      return ErrorReply(s);
    }
    Reply r = Bytes(std::move(page));
    r.headers.emplace_back("X-Scimd-Sequence", std::to_string(since));
    r.headers.emplace_back("X-Scimd-More", more ? "1" : "0");
    return r;
  }
  if (what == "fence" && method == "POST") {
    if (!out->fenced) {
      // New writes answered 503 at once; the store then waits out the commits under way.
      gate_.HoldWrites(tenant.id);
      if (Status s = store_.FenceTenant(tenant.id); !s.ok()) {
        gate_.ReleaseWrites(tenant.id);
        return ErrorReply(s);
      }
      out->fenced = true;
    }
    return Reply(200, "{}");
  }
  if (what == "records" && method == "GET") {
    auto records = out->source->ReadTenantRecords();
    if (!records.ok()) return ErrorReply(records.status());
    return Bytes(std::move(records).value());
  }
  if (what == "finish" && method == "POST") {
    if (!out->fenced) return Error(409, "a move finishes after its fence");
    // Still fenced: no write lands between the move's last change and the delete.
    auto deleted = store_.DeleteTenant(tenant.id);
    if (!deleted.ok()) return ErrorReply(deleted.status());
    gate_.InvalidateSettings();
    (void)gate_.RefreshDirectory();
    // The fence stays a while: a request admitted with the tenant's token just before the
    // delete must not write into it afterwards (it would be answered 201 and lost).
    out->source.reset();
    out->fenced = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      outs_.erase(std::string(rest[0]));
      retired_.emplace_back(tenant.id, clock_.NowMicros());
    }
    Json j = Json::MakeObject();
    j.Set("deleted", Json::Str(tenant.name));
    return Reply(200, j.Serialize());
  }
  return Error(404, "no such move endpoint");
}

Reply AdminMoves::Arrivals(const std::vector<std::string_view>& rest, std::string_view method,
                           std::string_view body) {
  Expire();
  if (rest.empty()) {
    if (method != "POST") return Error(405, "POST starts an arrival");
    auto parsed = Json::Parse(body);
    if (!parsed.ok()) return ErrorReply(parsed.status());
    const Json* name = parsed->is_object() ? parsed->FindCi("name") : nullptr;
    if (name == nullptr || !name->is_string() || name->as_string().empty()) {
      return Error(400, "an arrival needs the tenant's \"name\"");
    }
    auto tenant = store_.CreateTenant(name->as_string());
    if (!tenant.ok()) return ErrorReply(tenant.status());
    gate_.HoldWrites(tenant->id);  // it has no token yet; held all the same
    auto sink = store_.BeginMoveIn(tenant->id);
    if (!sink.ok()) {
      (void)store_.DeleteTenant(tenant->id);
      gate_.ReleaseWrites(tenant->id);
      return ErrorReply(sink.status());
    }
    auto in = std::make_shared<In>();
    in->tenant = tenant->id;
    in->sink = std::move(sink).value();
    in->touched_us = clock_.NowMicros();
    Json j = Json::MakeObject();
    {
      std::lock_guard<std::mutex> lock(mu_);
      const std::string id = "a" + std::to_string(++next_);
      ins_[id] = in;
      j.Set("id", Json::Str(id));
    }
    j.Set("tenant", Json::Str(tenant->name));
    return Reply(201, j.Serialize());
  }
  std::shared_ptr<In> in = FindIn(rest[0]);
  if (!in) return Error(404, "no arrival " + std::string(rest[0]));
  std::lock_guard<std::mutex> session_lock(in->mu);
  in->touched_us = clock_.NowMicros();
  if (!in->sink) return Error(404, "the arrival was closed");
  auto close = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    ins_.erase(std::string(rest[0]));
  };
  if (rest.size() == 1) {
    if (method != "DELETE") return Error(405, "DELETE abandons an arrival");
    Abandon(*in);
    close();
    return Reply(204, "");
  }
  const std::string_view what = rest[1];
  Status s;
  if (what == "range" && rest.size() == 2 && method == "PUT") {
    s = in->sink->AddRange(body);
  } else if (what == "range" && rest.size() == 3 && rest[2] == "finish" && method == "POST") {
    s = in->sink->FinishRange();
  } else if (what == "changes" && rest.size() == 2 && method == "PUT") {
    s = in->sink->ApplyChanges(body);
  } else if (what == "records" && rest.size() == 2 && method == "PUT") {
    s = in->sink->ApplyTenantRecords(body);
    if (s.ok()) {
      // Served from now on: its tokens exist here.
      in->sink.reset();
      gate_.ReleaseWrites(in->tenant);
      gate_.InvalidateSettings();
      (void)gate_.RefreshDirectory();
      close();
    }
  } else {
    return Error(404, "no such arrival endpoint");
  }
  if (!s.ok()) return ErrorReply(s);
  return Reply(200, "{}");
}

}  // namespace scimd::net
