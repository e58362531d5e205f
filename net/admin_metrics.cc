// GET /metrics of the admin listener (issue #21; metric names in docs/OPERATIONS.md).
#include <cstdio>
#include <map>
#include <string>

#include "net/admin_api.h"
#include "net/http_server.h"

namespace scimd::net {

void WriteListenerMetrics(
    PrometheusText& out,
    std::initializer_list<std::pair<std::string_view, const HttpServer*>> listeners) {
  struct Figure {
    const char* name;
    const char* type;
    const char* help;
    uint64_t HttpServer::Stats::*field;
  };
  static const Figure kFigures[] = {
      {"scimd_connections_open", "gauge", "connections open now",
       &HttpServer::Stats::connections_open},
      {"scimd_connections_accepted_total", "counter", "connections accepted",
       &HttpServer::Stats::connections_accepted},
      {"scimd_connections_rejected_total", "counter",
       "connections closed at accept: over --max-connections, or from an address over its "
       "refused-input limit",
       &HttpServer::Stats::connections_rejected},
      {"scimd_http_responses_total", "counter",
       "responses queued, the server's own errors (400, 413, 431, 503) included",
       &HttpServer::Stats::requests_served},
      {"scimd_http_requests_deferred_total", "counter", "requests run on a blocking thread",
       &HttpServer::Stats::requests_deferred},
      {"scimd_http_refused_input_total", "counter",
       "429s for an address that sent too much malformed or oversized input",
       &HttpServer::Stats::requests_refused},
  };
  std::vector<std::pair<std::string_view, HttpServer::Stats>> stats;
  for (const auto& [name, server] : listeners) {
    if (server != nullptr) stats.emplace_back(name, server->GetStats());
  }
  for (const Figure& f : kFigures) {
    out.Family(f.name, f.type, f.help);
    for (const auto& [name, s] : stats) out.Sample(f.name, {{"listener", name}}, s.*(f.field));
  }
}

std::string AdminApi::Metrics() {
  PrometheusText out;
  // Tenant ids to names, for the labels; one that is gone (deleted) keeps its id.
  std::map<core::TenantId, std::string> names;
  auto tenants = store_.ListTenants();
  if (tenants.ok()) {
    for (const auto& t : *tenants) names[t.id] = t.name;
  }
  auto name_of = [&](core::TenantId id) -> std::string {
    if (id == 0) return "";
    auto it = names.find(id);
    return it != names.end() ? it->second : "#" + std::to_string(id);
  };

  const RequestMetrics& metrics = scim_.metrics();
  out.Family("scimd_requests_total", "counter",
             "SCIM requests answered, by tenant (empty: none identified), method, resource and "
             "status");
  for (const auto& c : metrics.Counters()) {
    const std::string tenant = name_of(c.tenant);
    const std::string status = std::to_string(c.status);
    out.Sample(
        "scimd_requests_total",
        {{"tenant", tenant}, {"method", c.method}, {"resource", c.resource}, {"status", status}},
        c.value);
  }
  out.Family("scimd_request_duration_seconds", "histogram",
             "time from routing a SCIM request to its answer, by method and resource");
  for (const auto& h : metrics.Histograms()) {
    for (size_t b = 0; b < h.cumulative.size(); ++b) {
      char le[24];
      std::snprintf(le, sizeof(le), "%g",
                    static_cast<double>(RequestMetrics::kBucketMicros[b]) / 1e6);
      out.Sample("scimd_request_duration_seconds_bucket",
                 {{"method", h.method}, {"resource", h.resource}}, {"le", le}, h.cumulative[b]);
    }
    out.Sample("scimd_request_duration_seconds_bucket",
               {{"method", h.method}, {"resource", h.resource}}, {"le", "+Inf"}, h.count);
    out.Sample("scimd_request_duration_seconds_sum",
               {{"method", h.method}, {"resource", h.resource}},
               static_cast<double>(h.sum_us) / 1e6);
    out.Sample("scimd_request_duration_seconds_count",
               {{"method", h.method}, {"resource", h.resource}}, h.count);
  }

  // Per tenant: rate limiting, injected faults, and the size of its data.
  std::map<core::TenantId, core::TenantStats> stats;
  for (const auto& [id, name] : names) stats[id] = scim_.counters().Get(id);
  out.Family("scimd_rate_limited_total", "counter",
             "requests refused with 429 by the tenant's rate limit");
  for (const auto& [id, name] : names) {
    out.Sample("scimd_rate_limited_total", {{"tenant", name}}, stats[id].rate_limited);
  }
  out.Family("scimd_faults_injected_total", "counter",
             "answers replaced on purpose by the tenant's fault injection, by kind");
  for (const auto& [id, name] : names) {
    const core::TenantStats& s = stats[id];
    const std::pair<const char*, uint64_t> kinds[] = {{"429", s.injected_429},
                                                      {"500", s.injected_500},
                                                      {"503", s.injected_503},
                                                      {"drop", s.injected_drop},
                                                      {"latency", s.delayed}};
    for (const auto& [kind, value] : kinds) {
      if (value > 0)
        out.Sample("scimd_faults_injected_total", {{"tenant", name}, {"kind", kind}}, value);
    }
  }
  out.Family("scimd_tenant_resources", "gauge", "resources a tenant holds, by type");
  for (const auto& [id, name] : names) {
    for (auto type : {core::ResourceType::kUser, core::ResourceType::kGroup}) {
      auto n = store_.CountResources(id, type);
      if (!n.ok()) continue;
      out.Sample("scimd_tenant_resources",
                 {{"tenant", name}, {"type", type == core::ResourceType::kUser ? "User" : "Group"}},
                 *n);
    }
  }

  // The storage engine.
  if (auto e = store_.EngineStats(); e.ok()) {
    auto gauge = [&](const char* name, const char* help, uint64_t value) {
      out.Family(name, "gauge", help);
      out.Sample(name, {}, value);
    };
    auto counter = [&](const char* name, const char* help, double value) {
      out.Family(name, "counter", help);
      out.Sample(name, {}, value);
    };
    gauge("scimd_store_pending_compaction_bytes",
          "bytes the storage engine's compactions still have to rewrite (estimate)",
          e->pending_compaction_bytes);
    gauge("scimd_store_memtable_bytes", "memtables, active and waiting to flush",
          e->memtable_bytes);
    gauge("scimd_store_level0_files", "files in level 0, all column families", e->level0_files);
    gauge("scimd_store_running_compactions", "compactions running now", e->running_compactions);
    gauge("scimd_store_running_flushes", "flushes running now", e->running_flushes);
    gauge("scimd_store_writes_stopped", "1 while the engine refuses writes until it catches up",
          e->writes_stopped ? 1 : 0);
    gauge("scimd_store_delayed_write_rate_bytes",
          "bytes per second writes are slowed to; 0: not slowed", e->delayed_write_rate);
    gauge("scimd_store_block_cache_bytes", "bytes in the block cache", e->block_cache_bytes);
    counter("scimd_store_block_cache_hits_total", "block reads served by the block cache",
            static_cast<double>(e->block_cache_hits));
    counter("scimd_store_block_cache_misses_total", "block reads that went to the files",
            static_cast<double>(e->block_cache_misses));
    counter("scimd_store_stall_seconds_total", "time writes were held back by the engine",
            static_cast<double>(e->stall_micros) / 1e6);
  }

  // Imports the admin API knows (running ones, and finished ones until they expire).
  const auto imports = transfers_.Imports();
  using Import = AdminTransfers::Progress;
  static const struct {
    const char* name;
    const char* help;
    uint64_t Import::*field;
  } kImportFigures[] = {
      {"scimd_import_records", "records an import has read so far", &Import::records},
      {"scimd_import_rejected_records", "records an import rejected", &Import::rejected},
      {"scimd_import_bytes_read", "bytes of its upload an import has read", &Import::read},
      {"scimd_import_bytes_uploaded", "bytes of an import's file received", &Import::uploaded},
  };
  for (const auto& f : kImportFigures) {
    out.Family(f.name, "gauge", f.help);
    for (const auto& i : imports) {
      out.Sample(f.name, {{"tenant", name_of(i.tenant)}, {"import", i.id}, {"state", i.state}},
                 i.*(f.field));
    }
  }

  if (options_.server_metrics) options_.server_metrics(out);
  return out.Take();
}

}  // namespace scimd::net
