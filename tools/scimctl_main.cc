// scimctl: admin CLI for tenants, tokens, indexes and the activity log. Works on a
// stopped server's data directory (--data, the default ./data) or on a running server
// through its admin API (--server URL, the admin token from SCIMD_ADMIN_TOKEN), with the
// same subcommands and the same output (tools/admin_backend.h). A new token is alone on
// the last line of stdout, so scripts can capture it.
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/base/clock.h"
#include "core/resource/schema.h"
#include "core/tenancy/activity.h"
#include "core/tenancy/auth.h"
#include "core/tenancy/tokens.h"
#include "tools/admin_backend.h"
#include "tools/cluster.h"
#include "tools/file_clock.h"
#include "tools/replica_status.h"
#include "tools/scimctl_transfer.h"
#include "tools/tenant_move.h"

namespace {

using scimd::core::Status;

int Fail(const Status& s) {
  std::cerr << "scimctl: " << s.detail() << "\n";
  return s.Is(Status::Code::kIoError) ? 3 : 1;
}

std::string FormatUnix(int64_t t) {
  const time_t secs = static_cast<time_t>(t);
  struct tm tm_utc;
  gmtime_r(&secs, &tm_utc);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm_utc);
  return buf;
}

// "expires 2027-01-05T10:00:00Z", "never expires" or "expired 2026-...".
std::string ExpiryText(const scimd::core::TokenRecord& t, int64_t now) {
  if (t.expires_unix == 0) return "never expires";
  return std::string(scimd::core::IsExpired(t, now) ? "expired " : "expires ") +
         FormatUnix(t.expires_unix);
}

// One line per token, tab-separated under a header; a column flags tokens that have
// expired or expire within kExpiryWarningSeconds (7 days).
void PrintTokens(const std::vector<scimd::core::TokenRecord>& tokens, int64_t now) {
  std::cout << "ID\tSCOPE\tCREATED\tLAST USED\tEXPIRES\tSTATE\tDESCRIPTION\n";
  for (const auto& t : tokens) {
    std::cout << t.token_id << "\t" << scimd::core::ScopeName(t.scope) << "\t"
              << FormatUnix(t.created_unix) << "\t"
              << (t.last_used_unix == 0 ? std::string("never") : FormatUnix(t.last_used_unix))
              << "\t" << (t.expires_unix == 0 ? std::string("never") : FormatUnix(t.expires_unix))
              << "\t" << scimd::core::TokenState(t, now) << "\t" << t.description << "\n";
  }
}

// "#12 2027-01-15T08:00:00.123Z POST /Users 201 1.2 ms token 6cc9... from 10.0.0.1 id ...
// changed active,userName" and, for a failure, its scimType and detail.
void PrintActivity(const scimd::core::ActivityEntry& e) {
  char duration[32];
  std::snprintf(duration, sizeof duration, "%.1f ms", static_cast<double>(e.duration_us) / 1000);
  std::cout << "#" << e.sequence << " " << scimd::core::FormatDateTime(e.time_us) << " "
            << (e.via_bulk ? "bulk " : "") << e.method << " " << (e.path.empty() ? "-" : e.path)
            << " " << e.status << " " << duration;
  if (!e.token_id.empty()) std::cout << " token " << e.token_id;
  if (!e.client.empty()) std::cout << " from " << e.client;
  if (!e.resource_id.empty() && e.path.find(e.resource_id) == std::string::npos) {
    std::cout << " id " << e.resource_id;
  }
  if (!e.changed.empty()) {
    std::cout << " changed ";
    for (size_t i = 0; i < e.changed.size(); ++i) std::cout << (i ? "," : "") << e.changed[i];
  }
  if (e.failed()) {
    std::cout << " " << (e.scim_type.empty() ? "error" : e.scim_type) << ": " << e.detail;
  }
  for (const auto& w : e.warnings) std::cout << " warning: " << w;
  std::cout << "\n";
}

// `tenant move`: the target from --to-server or from etcd, then tools/tenant_move.h.
int RunMove(scimd::tools::MoveOptions move, const std::string& server, const std::string& ca_file) {
  const char* admin_token = std::getenv("SCIMD_ADMIN_TOKEN");
  if (server.empty() || admin_token == nullptr || *admin_token == '\0') {
    std::cerr << "scimctl: tenant move needs --server (the source's admin API) and the admin "
                 "token in SCIMD_ADMIN_TOKEN\n";
    return 2;
  }
  move.source = server;
  move.admin_token = admin_token;
  move.ca_file = ca_file;
  if (move.target.empty()) {
    if (move.etcd_url.empty()) {
      std::cerr << "scimctl: tenant move needs --to-server, or --etcd where the node registered "
                   "its admin URL\n";
      return 2;
    }
    scimd::tools::Etcd etcd(move.etcd_url);
    auto admins = etcd.List(std::string(scimd::tools::kAdminPrefix) + move.node);
    if (!admins.ok()) return Fail(admins.status());
    auto it = admins->find(std::string(scimd::tools::kAdminPrefix) + move.node);
    if (it == admins->end()) {
      std::cerr << "scimctl: node " << move.node
                << " has no admin URL in etcd (is it up, joined with --admin?)\n";
      return 1;
    }
    move.target = it->second;
  }
  if (!move.haproxy_socket.empty() && move.map_file.empty()) {
    std::cerr << "scimctl: --haproxy-socket goes with --map\n";
    return 2;
  }
  move.say = [](const std::string& line) { std::cout << "move: " << line << std::endl; };
  auto r = scimd::tools::MoveTenant(move);
  if (!r.ok()) return Fail(r.status());
  std::printf(
      "moved %s to %s: %llu bytes in %.1f s, %d catch-up rounds (%llu bytes) in %.1f s; "
      "writes paused %.0f ms; %.1f s in all\n",
      move.tenant.c_str(), move.node.c_str(), static_cast<unsigned long long>(r->range_bytes),
      r->copy_seconds, r->rounds, static_cast<unsigned long long>(r->change_bytes),
      r->catch_up_seconds, r->pause_ms, r->total_seconds);
  return 0;
}

std::atomic<bool> g_stop{false};
void OnStopSignal(int) { g_stop.store(true); }

int RunCluster(CLI::App* join, CLI::App* place, CLI::App* reconcile, CLI::App* status,
               const std::string& etcd_url, const std::string& node, const std::string& address,
               const std::string& admin_url, const std::string& ready_url, int64_t ttl,
               const std::string& tenant, const std::string& socket, const std::string& map_file,
               double interval, bool once) {
  scimd::tools::Etcd etcd(etcd_url);
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  if (join->parsed()) {
    std::cout << "cluster: " << node << " (" << address << ") registers while " << ready_url
              << " is ready" << std::endl;
    Status s = scimd::tools::JoinCluster(etcd, node, address, admin_url, ready_url,
                                         std::chrono::seconds(ttl), g_stop);
    return s.ok() ? 0 : Fail(s);
  }
  if (place->parsed()) {
    if (Status s = etcd.Put(scimd::tools::kTenantsPrefix + tenant, node); !s.ok()) return Fail(s);
    std::cout << "tenant " << tenant << " placed on " << node << "\n";
    return 0;
  }
  if (reconcile->parsed()) {
    while (!g_stop.load()) {
      auto changed = scimd::tools::ReconcileOnce(etcd, socket, map_file);
      if (!changed.ok()) {
        std::cerr << "scimctl: reconcile: " << changed.status().detail() << std::endl;
        if (once) return 1;
      } else if (*changed > 0) {
        std::cout << "cluster: " << *changed << " map entries changed" << std::endl;
      }
      if (once) return 0;
      std::this_thread::sleep_for(std::chrono::duration<double>(interval));
    }
    return 0;
  }
  if (status->parsed()) {
    auto nodes = etcd.List(scimd::tools::kNodesPrefix);
    auto tenants = etcd.List(scimd::tools::kTenantsPrefix);
    if (!nodes.ok()) return Fail(nodes.status());
    if (!tenants.ok()) return Fail(tenants.status());
    for (const auto& [key, value] : *nodes) {
      std::cout << "node\t" << key.substr(std::strlen(scimd::tools::kNodesPrefix)) << "\t" << value
                << "\tup\n";
    }
    for (const auto& [key, value] : *tenants) {
      const bool up = nodes->count(scimd::tools::kNodesPrefix + value) > 0;
      std::cout << "tenant\t" << key.substr(std::strlen(scimd::tools::kTenantsPrefix)) << "\t"
                << value << (up ? "\tserved" : "\tnode down") << "\n";
    }
    return 0;
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "scimctl: manage scimd tenants, tokens, indexes and activity (on a stopped server's data "
      "directory with --data, or through a running server's admin API with --server)"};
  app.require_subcommand(1);
  std::string data_dir = "./data", server;
  app.add_option("--data", data_dir, "scimd data directory (the server stopped)")
      ->capture_default_str();
  app.add_option("--server", server,
                 "a running scimd's admin API, e.g. http://127.0.0.1:8081 (the admin token "
                 "from SCIMD_ADMIN_TOKEN)");
  std::string ca_file;
  app.add_option("--cacert", ca_file,
                 "with an https:// --server: PEM file of the certificates its chain must lead "
                 "to (a self-signed certificate itself); default the system's")
      ->check(CLI::ExistingFile);

  auto* tenant = app.add_subcommand("tenant", "manage tenants");
  scimd::tools::TransferCommands transfer;
  tenant->require_subcommand(1);
  std::string name, to_name, older_than = "0s";
  std::vector<std::string> key_values;
  auto* tenant_create = tenant->add_subcommand("create", "create a tenant");
  tenant_create->add_option("name", name, "tenant name, e.g. acme or acme.qa")->required();
  auto* tenant_list = tenant->add_subcommand("list", "list tenants");
  auto* tenant_show =
      tenant->add_subcommand("show", "show a tenant, its settings and what it holds");
  tenant_show->add_option("name", name)->required();
  auto* tenant_set =
      tenant->add_subcommand("set", "change tenant settings (name=value ...; name= removes one)");
  tenant_set->add_option("name", name)->required();
  tenant_set
      ->add_option("setting", key_values,
                   "e.g. profile=entra, required=userName,emails,externalId, "
                   "host=acme.example, delete-policy=soft")
      ->required();
  auto* tenant_copy = tenant->add_subcommand(
      "copy-config",
      "give tenant TO the configuration of FROM (settings and indexes; never "
      "data, tokens or host names)");
  tenant_copy->add_option("from", name)->required();
  tenant_copy->add_option("to", to_name)->required();
  auto* tenant_purge = tenant->add_subcommand(
      "purge",
      "delete for good the users that are inactive (active=false, e.g. kept by "
      "delete-policy=soft) and unchanged for --older-than");
  tenant_purge->add_option("name", name)->required();
  tenant_purge->add_option("--older-than", older_than, "e.g. 30d; 0s purges every inactive user")
      ->capture_default_str();
  auto* tenant_delete = tenant->add_subcommand(
      "delete", "delete a tenant with all its users, groups, tokens and activity");
  tenant_delete->add_option("name", name)->required();

  scimd::tools::MoveOptions move;
  auto* tenant_move = tenant->add_subcommand(
      "move",
      "move a tenant to another scimd while it serves (--server: the source's admin API): "
      "its data, then its changes, then a short pause of its writes while the route switches");
  tenant_move->add_option("name", move.tenant)->required();
  tenant_move->add_option("--to", move.node, "the target's node name (etcd placement)")->required();
  tenant_move->add_option("--to-server", move.target,
                          "the target's admin API URL; default: what `cluster join --admin` "
                          "registered for the node in etcd");
  tenant_move->add_option("--etcd", move.etcd_url,
                          "etcd's client URL: the placement is switched to the node there");
  tenant_move->add_option("--haproxy-socket", move.haproxy_socket,
                          "HAProxy's admin socket: its map reconciled at the switch");
  tenant_move->add_option("--map", move.map_file, "the map file HAProxy routes tenants by");

  auto* token = app.add_subcommand("token", "manage bearer tokens");
  token->require_subcommand(1);
  std::string scope = "scim", description, expires, grace = "30d", token_id;
  auto* token_issue = token->add_subcommand(
      "issue", "issue a token (printed once, alone on the last line of stdout)");
  token_issue->add_option("tenant", name)->required();
  token_issue->add_option("--scope", scope, "scim (read and write) or scim:read (read only)")
      ->capture_default_str();
  token_issue->add_option("--description", description, "a label, e.g. \"Entra production\"");
  token_issue->add_option("--expires", expires,
                          "lifetime, e.g. 30d, 12h or never (default: the tenant's "
                          "token-expiry setting, else never)");
  auto* token_list = token->add_subcommand(
      "list", "list a tenant's tokens: id, scope, created, last used, expiry (never a secret)");
  token_list->add_option("tenant", name)->required();
  auto* token_revoke = token->add_subcommand("revoke", "delete a token: it answers 401 at once");
  token_revoke->add_option("tenant", name)->required();
  token_revoke->add_option("token_id", token_id, "the token's id (see token list)")->required();
  auto* token_rotate = token->add_subcommand(
      "rotate", "issue a new token like an old one, and keep the old one valid for a grace period");
  token_rotate->add_option("tenant", name)->required();
  token_rotate->add_option("token_id", token_id,
                           "the token to rotate; may be left out when the tenant has one valid "
                           "token");
  token_rotate->add_option("--grace", grace, "how long the old token keeps working")
      ->capture_default_str();

  std::string since, resource_id;
  bool failed_only = false, as_json = false;
  size_t limit = 100;
  uint64_t before = 0;
  auto* activity = app.add_subcommand(
      "activity", "a tenant's activity log, newest first: every write and every failed request");
  activity->add_option("tenant", name)->required();
  activity->add_option("--since", since, "only what happened within this, e.g. 2h or 7d");
  activity->add_option("--resource", resource_id, "only this resource's entries (its id)");
  activity->add_flag("--failed", failed_only, "only failed requests");
  activity->add_flag("--json", as_json, "one JSON object per line");
  activity->add_option("--limit", limit, "entries to show (at most 1000)")->capture_default_str();
  activity->add_option("--before", before,
                       "the next page: entries numbered below this (the last #N shown)");
  auto* stats = app.add_subcommand(
      "stats",
      "a tenant's requests, errors, rate-limit rejections and injected faults since the "
      "server started (--server only)");
  stats->add_option("tenant", name)->required();

  auto* engine = app.add_subcommand(
      "store",
      "the storage engine's backlog: compaction bytes pending, level-0 files, memtables, "
      "running compactions and flushes, and whether writes are slowed or stopped");

  auto* reindex = app.add_subcommand(
      "reindex", "rebuild a tenant's index, unique and presence entries from its resources");
  reindex->add_option("tenant", name)->required();

  bool repair = false;
  auto* check = app.add_subcommand(
      "check",
      "verify a tenant's index, unique, presence and membership entries and its counters "
      "against its resources (exit 0 only when consistent); --repair fixes what it finds");
  check->add_option("tenant", name)->required();
  check->add_flag("--repair", repair, "fix the problems found, then check again");

  std::string resource, filter_text, attr_path;
  auto* index = app.add_subcommand(
      "index", "a tenant's indexed attributes beyond the built-in ones (for its filters)");
  index->require_subcommand(1);
  auto* index_add = index->add_subcommand(
      "add",
      "index an attribute: with --data, writes its entries for every resource, then lists it; "
      "with --server, the server builds it in the background and uses it once complete");
  auto* index_drop =
      index->add_subcommand("drop", "stop indexing an attribute and delete its entries");
  for (auto* cmd : {index_add, index_drop}) {
    cmd->add_option("tenant", name)->required();
    cmd->add_option("resource", resource, "Users or Groups")->required();
    cmd->add_option("attribute", attr_path,
                    "e.g. title, name.formatted, "
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department")
        ->required();
  }
  auto* index_list = index->add_subcommand("list", "list a tenant's indexed attributes");
  index_list->add_option("tenant", name)->required();

  auto* explain = app.add_subcommand(
      "explain", "show how a filter is planned and run it: candidates, rows examined, matches");
  explain->add_option("tenant", name)->required();
  explain->add_option("resource", resource, "Users or Groups")->required();
  explain->add_option("filter", filter_text, "a SCIM filter, e.g. 'userName eq \"bjensen\"'")
      ->required();

  std::string backup_dir;
  auto* backup = app.add_subcommand(
      "backup",
      "copy the whole store (every tenant, one consistent moment) into DIR, which must not "
      "exist or be empty: from a running server (--server) while it serves, or from a "
      "stopped --data directory; files are listed with SHA-256 sums in DIR/SCIMD-BACKUP.json");
  backup->add_option("dir", backup_dir, "where the backup goes")->required();
  auto* restore = app.add_subcommand(
      "restore",
      "check every file of a backup against its sums and restore it into a new data directory "
      "(--data, which must not exist or be empty), then open it to make sure it serves");
  restore->add_option("dir", backup_dir, "a directory made by `scimctl backup`")->required();
  restore->fallthrough();  // `restore DIR --data NEW_DIR`: --data is scimctl's own option
  backup->fallthrough();

  // Placement across nodes (tools/cluster.h, docs/SCALING.md): etcd and HAProxy only.
  std::string etcd_url = "http://127.0.0.1:2379", node_name, node_address, node_admin, ready_url;
  std::string haproxy_socket, map_file;
  int64_t ttl_seconds = 10;
  double interval_seconds = 1.0;
  bool once = false;
  auto* cluster = app.add_subcommand(
      "cluster", "tenants placed on scimd nodes: etcd holds the placement, HAProxy routes by it");
  cluster->add_option("--etcd", etcd_url, "etcd's client URL")->capture_default_str();
  cluster->require_subcommand(1);
  auto* cluster_join = cluster->add_subcommand(
      "join", "keep NODE registered in etcd while its /readyz answers 200 (runs until stopped)");
  cluster_join->add_option("node", node_name)->required();
  cluster_join->add_option("--address", node_address, "host:port of the node's SCIM listener")
      ->required();
  cluster_join->add_option("--ready", ready_url, "the node's /readyz URL (admin listener)")
      ->required();
  cluster_join->add_option("--admin", node_admin,
                           "the node's admin API URL, registered for `tenant move --to NODE`");
  cluster_join->add_option("--ttl", ttl_seconds, "seconds a silent node stays registered")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{2}, int64_t{3600}));
  auto* cluster_place = cluster->add_subcommand("place", "say which node serves TENANT");
  cluster_place->add_option("tenant", name)->required();
  cluster_place->add_option("node", node_name)->required();
  auto* cluster_reconcile = cluster->add_subcommand(
      "reconcile", "keep HAProxy's tenant map equal to etcd's placement (runs until stopped)");
  cluster_reconcile->add_option("--haproxy-socket", haproxy_socket, "HAProxy's admin socket")
      ->required();
  cluster_reconcile->add_option("--map", map_file, "the map file HAProxy routes tenants by")
      ->required();
  cluster_reconcile->add_option("--interval", interval_seconds, "seconds between passes")
      ->capture_default_str();
  cluster_reconcile->add_flag("--once", once, "one pass, then exit");
  auto* cluster_status = cluster->add_subcommand(
      "status",
      "with --etcd: the nodes up and each tenant's node; with --server: the replica group of "
      "that node, each node's role, term, position and lag");
  bool cluster_json = false;
  cluster_status->add_flag("--json", cluster_json, "(with --server) one JSON object");

  scimd::tools::AddTransferCommands(app, transfer);
  CLI11_PARSE(app, argc, argv);
  if (cluster_status->parsed() && !server.empty()) {
    const char* admin_token = std::getenv("SCIMD_ADMIN_TOKEN");
    if (admin_token == nullptr || *admin_token == '\0') {
      std::cerr << "scimctl: --server needs the admin token in SCIMD_ADMIN_TOKEN\n";
      return 2;
    }
    return scimd::tools::PrintReplicaStatus(server, admin_token, ca_file, cluster_json, std::cout,
                                            std::cerr);
  }
  if (cluster->parsed())
    return RunCluster(cluster_join, cluster_place, cluster_reconcile, cluster_status, etcd_url,
                      node_name, node_address, node_admin, ready_url, ttl_seconds, name,
                      haproxy_socket, map_file, interval_seconds, once);
  if (restore->parsed()) {
    // A restore makes a data directory; it reaches no server and opens no existing store.
    if (!server.empty() || app.get_option("--data")->count() == 0) {
      std::cerr << "scimctl: restore DIR --data NEW_DIR: restores into a new data directory; "
                   "start scimd on it afterwards\n";
      return 2;
    }
    auto r = scimd::tools::RestoreBackup(backup_dir, data_dir);
    if (!r.ok()) return Fail(r.status());
    std::cout << "restored " << r->files << " files (" << r->bytes << " bytes, " << r->tenants
              << " tenants) into " << data_dir << "; start scimd with --data " << data_dir << "\n";
    return 0;
  }

  if (tenant_move->parsed()) return RunMove(move, server, ca_file);

  if (Status s = scimd::core::InitCrypto(); !s.ok()) return Fail(s);
  std::unique_ptr<scimd::tools::FileClock> file_clock;
  const scimd::core::Clock& clock = scimd::tools::ProcessClock(file_clock);
  const int64_t now = clock.NowMicros() / 1'000'000;

  std::unique_ptr<scimd::tools::AdminBackend> backend;
  if (!server.empty()) {
    const char* admin_token = std::getenv("SCIMD_ADMIN_TOKEN");
    if (admin_token == nullptr || *admin_token == '\0') {
      std::cerr << "scimctl: --server needs the admin token in SCIMD_ADMIN_TOKEN\n";
      return 2;
    }
    backend = scimd::tools::OpenRemote(server, admin_token, ca_file);
  } else {
    auto local = scimd::tools::OpenLocal(data_dir, tenant_create->parsed(), clock);
    if (!local.ok()) return Fail(local.status());
    backend = std::move(local).value();
  }
  scimd::tools::AdminBackend& b = *backend;

  auto find_type = [&]() -> std::optional<scimd::core::ResourceType> {
    auto type = scimd::core::SchemaRegistry::Default().FindEndpoint(resource);
    if (!type) std::cerr << "scimctl: unknown resource \"" << resource << "\" (Users or Groups)\n";
    return type;
  };

  if (backup->parsed()) {
    const auto started = std::chrono::steady_clock::now();
    auto m = b.Backup(backup_dir, nullptr);
    if (!m.ok()) return Fail(m.status());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf(
        "backup: %zu files, %llu bytes in %s (%.1f s); restore with: scimctl restore %s "
        "--data NEW_DIR\n",
        m->files.size(), static_cast<unsigned long long>(m->TotalBytes()), backup_dir.c_str(),
        seconds, backup_dir.c_str());
    return 0;
  }
  if (transfer.import->parsed()) return scimd::tools::RunImportCommand(b, transfer);
  if (transfer.export_->parsed()) return scimd::tools::RunExportCommand(b, transfer);
  if (tenant_create->parsed()) {
    auto t = b.TenantCreate(name);
    if (!t.ok()) return Fail(t.status());
    std::cout << "created tenant " << t->name << " (id " << t->id << ")\n";
    return 0;
  }
  if (tenant_list->parsed()) {
    auto all = b.TenantList();
    if (!all.ok()) return Fail(all.status());
    for (const auto& t : *all) {
      std::cout << t.id << "\t" << t.name << "\t" << FormatUnix(t.created_unix) << "\n";
    }
    return 0;
  }
  if (tenant_show->parsed()) {
    auto info = b.TenantShow(name);
    if (!info.ok()) return Fail(info.status());
    const auto& t = info->record;
    std::cout << "name: " << t.name << "\nid: " << t.id
              << "\ncreated: " << FormatUnix(t.created_unix) << "\nusers: " << info->users
              << "\ngroups: " << info->groups << "\ntokens: " << info->tokens
              << "\nactivity entries: " << info->activity << "\n";
    for (const auto& [k, v] : t.settings) std::cout << k << "=" << v << "\n";
    return 0;
  }
  if (tenant_set->parsed()) {
    scimd::core::SettingChanges changes;
    for (const std::string& key_value : key_values) {
      const size_t eq = key_value.find('=');
      if (eq == std::string::npos) {
        std::cerr << "scimctl: a setting is written name=value, e.g. patch-response=no-content\n";
        return 2;
      }
      changes.emplace_back(key_value.substr(0, eq), key_value.substr(eq + 1));
    }
    // All of them or, when one is refused, none.
    if (Status s = b.TenantSet(name, changes); !s.ok()) return Fail(s);
    for (const auto& [key, value] : changes) {
      if (value.empty()) {
        std::cout << "tenant " << name << ": " << key << " unset\n";
      } else {
        std::cout << "tenant " << name << ": " << key << "=" << value << "\n";
      }
    }
    return 0;
  }
  if (tenant_copy->parsed()) {
    auto changes = b.TenantCopyConfig(name, to_name);
    if (!changes.ok()) return Fail(changes.status());
    std::cout << "tenant " << to_name << " now has the configuration of " << name << " ("
              << changes->size() << " changes)\n";
    for (const auto& c : *changes) std::cout << "  " << c << "\n";
    return 0;
  }
  if (tenant_purge->parsed()) {
    auto purged = b.TenantPurge(name, older_than);
    if (!purged.ok()) return Fail(purged.status());
    std::cout << "tenant " << name << ": purged " << purged->purged << " inactive users ("
              << purged->examined << " found)\n";
    return 0;
  }
  if (tenant_delete->parsed()) {
    if (Status s = b.TenantDelete(name); !s.ok()) return Fail(s);
    std::cout << "deleted tenant " << name << " and all its data\n";
    return 0;
  }
  if (token_issue->parsed()) {
    auto issued = b.TokenIssue(name, scope, description, expires);
    if (!issued.ok()) return Fail(issued.status());
    std::cout << "issued token " << issued->record.token_id << " for tenant " << name << " (scope "
              << scimd::core::ScopeName(issued->record.scope) << ", "
              << ExpiryText(issued->record, now) << "); it is shown only once, store it now:\n"
              << issued->token << std::endl;
    return 0;
  }
  if (token_list->parsed()) {
    auto tokens = b.TokenList(name);
    if (!tokens.ok()) return Fail(tokens.status());
    PrintTokens(*tokens, now);
    return 0;
  }
  if (token_revoke->parsed()) {
    if (Status s = b.TokenRevoke(name, token_id); !s.ok()) return Fail(s);
    std::cout << "revoked token " << token_id << " of tenant " << name << "\n";
    return 0;
  }
  if (token_rotate->parsed()) {
    auto r = b.TokenRotate(name, token_id, grace);
    if (!r.ok()) return Fail(r.status());
    std::cout << "rotated token " << r->old.token_id << " of tenant " << name
              << ": it keeps working until " << FormatUnix(r->old.expires_unix) << ".\nnew token "
              << r->fresh.record.token_id << " (scope "
              << scimd::core::ScopeName(r->fresh.record.scope) << ", "
              << ExpiryText(r->fresh.record, now) << "); it is shown only once, store it now:\n"
              << r->fresh.token << std::endl;
    return 0;
  }
  if (activity->parsed()) {
    scimd::tools::ActivityRequest r{since, resource_id, failed_only, limit, before};
    auto entries = b.Activity(name, r);
    if (!entries.ok()) return Fail(entries.status());
    for (const auto& e : *entries) {
      if (as_json) {
        std::cout << scimd::core::ActivityEntryJson(e) << "\n";
      } else {
        PrintActivity(e);
      }
    }
    return 0;
  }
  if (stats->parsed()) {
    auto s = b.Stats(name);
    if (!s.ok()) return Fail(s.status());
    std::cout << "requests: " << s->requests << "\nerrors: " << s->errors
              << "\nrate-limited: " << s->rate_limited << "\ninjected: 429=" << s->injected_429
              << " 500=" << s->injected_500 << " 503=" << s->injected_503
              << " drop=" << s->injected_drop << "\ndelayed: " << s->delayed << "\n";
    return 0;
  }
  if (engine->parsed()) {
    auto s = b.EngineStats();
    if (!s.ok()) return Fail(s.status());
    std::cout << "pending compaction bytes: " << s->pending_compaction_bytes
              << "\nlevel-0 files: " << s->level0_files << "\nmemtable bytes: " << s->memtable_bytes
              << "\nrunning compactions: " << s->running_compactions
              << "\nrunning flushes: " << s->running_flushes
              << "\nwrites stopped: " << (s->writes_stopped ? "yes" : "no")
              << "\ndelayed write rate: " << s->delayed_write_rate << "\n";
    return 0;
  }
  if (check->parsed()) {
    auto r = b.Check(name, repair,
                     [](std::string_view line) { std::cout << "problem: " << line << "\n"; });
    if (!r.ok()) return Fail(r.status());
    std::cout << "tenant " << name << ": " << r->users << " users, " << r->groups << " groups, "
              << r->entries << " index entries, " << r->edges << " membership edges; "
              << r->problems << " problems";
    if (repair) std::cout << ", " << r->repaired << " repaired";
    if (r->unrepairable > 0) std::cout << " (" << r->unrepairable << " need a person)";
    std::cout << "\n";
    const uint64_t left = repair ? r->problems - r->repaired : r->problems;
    return left == 0 ? 0 : 4;
  }
  if (reindex->parsed()) {
    auto s = b.Reindex(name);
    if (!s.ok()) return Fail(s.status());
    std::cout << "tenant " << name << ": reindexed " << s->resources << " resources ("
              << s->entries_written << " entries written, " << s->stale_removed
              << " stale entries removed)\n";
    return 0;
  }
  if (index_add->parsed() || index_drop->parsed()) {
    auto type = find_type();
    if (!type) return 2;
    const std::string type_name(scimd::core::ResourceTypeName(*type));
    if (index_add->parsed()) {
      auto added = b.IndexAdd(name, *type, attr_path);
      if (!added.ok()) return Fail(added.status());
      if (added->state == "building") {
        std::cout << "tenant " << name << ": building the index of " << type_name << " "
                  << added->attr.path << " (attribute " << added->attr.id
                  << ") in the background; `index list` says when it is ready\n";
      } else {
        std::cout << "tenant " << name << ": indexed " << type_name << " " << added->attr.path
                  << " (attribute " << added->attr.id << "): " << added->stats.entries_written
                  << " entries for " << added->stats.resources << " resources\n";
      }
    } else {
      auto removed = b.IndexDrop(name, *type, attr_path);
      if (!removed.ok()) return Fail(removed.status());
      std::cout << "tenant " << name << ": dropped the index of " << type_name << " " << attr_path
                << " (" << *removed << " entries removed)\n";
    }
    return 0;
  }
  if (index_list->parsed()) {
    auto indexes = b.IndexList(name);
    if (!indexes.ok()) return Fail(indexes.status());
    for (const auto& i : *indexes) {
      const auto& ia = i.attr;
      std::cout << scimd::core::ResourceTypeName(ia.type) << "\t" << ia.path << "\t" << ia.id
                << "\t" << (i.state == "built-in" ? "built-in" : "tenant")
                << (i.state == "building" ? ", building" : "") << (ia.unique ? ", unique" : "")
                << (ia.case_exact ? ", caseExact" : "") << "\n";
    }
    return 0;
  }
  if (explain->parsed()) {
    auto type = find_type();
    if (!type) return 2;
    auto r = b.Explain(name, *type, filter_text);
    if (!r.ok()) return Fail(r.status());
    std::cout << "plan: " << r->plan << "\ncandidates: " << r->candidates
              << "\nrows examined: " << r->rows_examined << "\nmatches: " << r->matches << "\n";
    return 0;
  }
  return 0;
}
