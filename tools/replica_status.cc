// scimctl's view of a replica group (replica_status.h).
#include "tools/replica_status.h"

#include <map>
#include <ostream>
#include <vector>

#include "core/base/json.h"
#include "tools/admin_http.h"

namespace scimd::tools {
namespace {

using core::Json;

// GET /admin/v1/cluster of the admin listener at `url`; a null Json when it cannot be had.
Json Ask(const std::string& url, const std::string& token, const std::string& ca_file) {
  AdminHttp http(url, token, ca_file);
  AdminHttp::Exchange x;
  x.path = "/cluster";
  std::string body;
  long status = 0;
  x.sink = [&](long s, std::string_view piece) {
    status = s;
    body.append(piece);
    return body.size() < (1 << 20);
  };
  auto done = http.Perform(x);
  if (!done.ok() || *done != 200) return Json();
  auto j = Json::Parse(body);
  return j.ok() && j->is_object() ? std::move(j).value() : Json();
}

int64_t IntOf(const Json& j, const char* name, int64_t otherwise = -1) {
  const Json* v = j.is_object() ? j.Find(name) : nullptr;
  return v != nullptr && v->is_int() ? v->as_int() : otherwise;
}
std::string StrOf(const Json& j, const char* name) {
  const Json* v = j.is_object() ? j.Find(name) : nullptr;
  return v != nullptr && v->is_string() ? v->as_string() : "";
}

}  // namespace

int PrintReplicaStatus(const std::string& url, const std::string& token, const std::string& ca_file,
                       bool json, std::ostream& out, std::ostream& err) {
  const Json first = Ask(url, token, ca_file);
  const Json* nodes = first.is_object() ? first.Find("nodes") : nullptr;
  if (nodes == nullptr || !nodes->is_array()) {
    err << "scimctl: " << url << " did not describe a replica group (GET /admin/v1/cluster)\n";
    return 1;
  }
  const std::string scheme = url.rfind("https://", 0) == 0 ? "https://" : "http://";
  // Each node about itself; the leader also about its followers.
  std::map<int64_t, Json> self;
  Json leader_view;
  for (const Json& n : nodes->as_array()) {
    Json j = Ask(scheme + StrOf(n, "admin"), token, ca_file);
    if (StrOf(j, "role") == "leader") leader_view = j;
    self[IntOf(n, "id")] = std::move(j);
  }
  Json report = Json::MakeObject();
  report.Set("group", Json::Str(StrOf(first, "group")));
  Json rows = Json::MakeArray();
  for (const Json& n : nodes->as_array()) {
    const int64_t id = IntOf(n, "id");
    const Json& s = self[id];
    Json row = Json::MakeObject();
    row.Set("id", Json::Int(id));
    row.Set("reachable", Json::Bool(s.is_object()));
    row.Set("role", Json::Str(s.is_object() ? StrOf(s, "role") : "down"));
    row.Set("term", Json::Int(IntOf(s, "term", 0)));
    row.Set("position", Json::Int(IntOf(s, "position", 0)));
    int64_t lag = IntOf(s, "lag", 0);
    int64_t lag_bytes = 0;
    bool connected = StrOf(s, "role") == "leader";
    if (const Json* seen = leader_view.is_object() ? leader_view.Find("nodes") : nullptr) {
      for (const Json& f : seen->as_array()) {
        if (IntOf(f, "id") != id || f.Find("lag") == nullptr) continue;
        lag = IntOf(f, "lag", lag);
        lag_bytes = IntOf(f, "lag_bytes", 0);
        const Json* c = f.Find("connected");
        connected = c != nullptr && c->is_bool() && c->as_bool();
      }
    }
    row.Set("lag", Json::Int(lag));
    row.Set("lag_bytes", Json::Int(lag_bytes));
    row.Set("connected", Json::Bool(connected));
    row.Set("listen", Json::Str(StrOf(n, "listen")));
    rows.Push(std::move(row));
  }
  report.Set("nodes", rows);
  if (json) {
    out << report.Serialize() << "\n";
  } else {
    out << "group " << StrOf(first, "group") << "\n"
        << "node\trole\tterm\tposition\tlag\tlag_bytes\tconnected\tlisten\n";
    for (const Json& r : rows.as_array()) {
      out << IntOf(r, "id") << "\t" << StrOf(r, "role") << "\t" << IntOf(r, "term") << "\t"
          << IntOf(r, "position") << "\t" << IntOf(r, "lag") << "\t" << IntOf(r, "lag_bytes")
          << "\t" << (r.Find("connected")->as_bool() ? "yes" : "no") << "\t" << StrOf(r, "listen")
          << "\n";
    }
  }
  return leader_view.is_object() ? 0 : 1;
}

}  // namespace scimd::tools
