// scimctl: admin CLI for tenants, tokens and index maintenance (reindex, explain). Until the
// admin API exists it opens the data directory itself, so it works on the store of a stopped
// server (and says so clearly when a running scimd holds the store's lock).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>

#include "core/filter/filter.h"
#include "core/resource/schema.h"
#include "core/tenancy/auth.h"
#include "core/tenancy/tenant_index.h"
#include "core/tenancy/tenant_settings.h"
#include "core/usecase/reindex.h"
#include "storage/rocks_store.h"

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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"scimctl: manage scimd tenants and tokens (on a stopped server's data directory)"};
  app.require_subcommand(1);
  std::string data_dir = "./data";
  app.add_option("--data", data_dir, "scimd data directory")->capture_default_str();

  auto* tenant = app.add_subcommand("tenant", "manage tenants");
  tenant->require_subcommand(1);
  std::string name, key_value;
  auto* tenant_create = tenant->add_subcommand("create", "create a tenant");
  tenant_create->add_option("name", name, "tenant name, e.g. acme or acme.qa")->required();
  auto* tenant_list = tenant->add_subcommand("list", "list tenants");
  auto* tenant_show = tenant->add_subcommand("show", "show a tenant and its settings");
  tenant_show->add_option("name", name)->required();
  auto* tenant_set = tenant->add_subcommand("set", "change a tenant setting (name=value)");
  tenant_set->add_option("name", name)->required();
  tenant_set->add_option("setting", key_value, "e.g. patch-response=no-content")->required();

  auto* token = app.add_subcommand("token", "manage bearer tokens");
  token->require_subcommand(1);
  auto* token_issue = token->add_subcommand(
      "issue", "issue a token (printed once, alone on the last line of stdout)");
  token_issue->add_option("tenant", name)->required();
  auto* token_list = token->add_subcommand("list", "list a tenant's tokens (never the secrets)");
  token_list->add_option("tenant", name)->required();

  auto* reindex = app.add_subcommand(
      "reindex", "rebuild a tenant's index, unique and presence entries from its resources");
  reindex->add_option("tenant", name)->required();

  std::string resource, filter_text, attr_path;
  auto* index = app.add_subcommand(
      "index", "a tenant's indexed attributes beyond the built-in ones (for its filters)");
  index->require_subcommand(1);
  auto* index_add = index->add_subcommand(
      "add", "index an attribute: writes its entries for every resource, then lists it");
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

  CLI11_PARSE(app, argc, argv);

  if (Status s = scimd::core::InitCrypto(); !s.ok()) return Fail(s);
  scimd::storage::RocksStore::Options options;
  options.create_if_missing = tenant_create->parsed();
  auto store_or = scimd::storage::RocksStore::Open(data_dir, options);
  if (!store_or.ok()) {
    const Status& s = store_or.status();
    if (s.detail().find("lock") != std::string::npos) {
      std::cerr << "scimctl: the data directory " << data_dir
                << " is in use by a running scimd. Stop the server first: until the admin "
                   "API exists, scimctl works on a stopped server's data directory.\n";
      return 3;
    }
    return Fail(s);
  }
  auto& store = **store_or;

  auto find_tenant = [&](const std::string& n) -> scimd::core::Result<scimd::core::TenantRecord> {
    auto t = store.FindTenant(n);
    if (!t.ok()) return t.status();
    if (!*t) return Status::NotFound("no tenant named \"" + n + "\" (see: scimctl tenant list)");
    return **t;
  };

  if (tenant_create->parsed()) {
    auto t = store.CreateTenant(name);
    if (!t.ok()) return Fail(t.status());
    std::cout << "created tenant " << t->name << " (id " << t->id << ")\n";
    return 0;
  }
  if (tenant_list->parsed()) {
    auto all = store.ListTenants();
    if (!all.ok()) return Fail(all.status());
    for (const auto& t : *all) {
      std::cout << t.id << "\t" << t.name << "\t" << FormatUnix(t.created_unix) << "\n";
    }
    return 0;
  }
  if (tenant_show->parsed()) {
    auto t = find_tenant(name);
    if (!t.ok()) return Fail(t.status());
    std::cout << "name: " << t->name << "\nid: " << t->id
              << "\ncreated: " << FormatUnix(t->created_unix) << "\n";
    for (const auto& [k, v] : t->settings) std::cout << k << "=" << v << "\n";
    return 0;
  }
  if (tenant_set->parsed()) {
    const size_t eq = key_value.find('=');
    if (eq == std::string::npos) {
      std::cerr << "scimctl: a setting is written name=value, e.g. patch-response=no-content\n";
      return 2;
    }
    const std::string key = key_value.substr(0, eq);
    const std::string value = key_value.substr(eq + 1);
    if (Status s = scimd::core::ValidateSetting(key, value); !s.ok()) return Fail(s);
    auto t = find_tenant(name);
    if (!t.ok()) return Fail(t.status());
    t->settings[key] = value;
    if (Status s = store.PutTenantSettings(t->id, t->settings); !s.ok()) return Fail(s);
    std::cout << "tenant " << name << ": " << key << "=" << value << "\n";
    return 0;
  }
  if (token_issue->parsed()) {
    auto t = find_tenant(name);
    if (!t.ok()) return Fail(t.status());
    scimd::core::IssuedToken issued = scimd::core::MakeToken(t->id);
    if (Status s = store.PutToken(issued.record); !s.ok()) return Fail(s);
    std::cout << "issued token " << issued.record.token_id << " for tenant " << name
              << "; it is shown only once, store it now:\n"
              << issued.token << std::endl;
    return 0;
  }
  if (token_list->parsed()) {
    auto t = find_tenant(name);
    if (!t.ok()) return Fail(t.status());
    auto tokens = store.ListTokens(t->id);
    if (!tokens.ok()) return Fail(tokens.status());
    for (const auto& tok : *tokens) {
      std::cout << tok.token_id << "\tcreated " << FormatUnix(tok.created_unix) << "\n";
    }
    return 0;
  }
  if (reindex->parsed()) {
    auto t = find_tenant(name);
    if (!t.ok()) return Fail(t.status());
    scimd::core::ReindexStats stats;
    if (Status s = scimd::core::Reindex(store, t->id, &stats); !s.ok()) return Fail(s);
    std::cout << "tenant " << name << ": reindexed " << stats.resources << " resources ("
              << stats.entries_written << " entries written, " << stats.stale_removed
              << " stale entries removed)\n";
    return 0;
  }
  auto find_type = [&]() -> std::optional<scimd::core::ResourceType> {
    auto type = scimd::core::SchemaRegistry::Default().FindEndpoint(resource);
    if (!type) std::cerr << "scimctl: unknown resource \"" << resource << "\" (Users or Groups)\n";
    return type;
  };
  if (index_add->parsed() || index_drop->parsed()) {
    auto type = find_type();
    if (!type) return 2;
    auto t = find_tenant(name);
    if (!t.ok()) return Fail(t.status());
    scimd::core::ReindexStats stats;
    if (index_add->parsed()) {
      auto added = scimd::core::AddTenantIndex(store, t->id, *type, attr_path, &stats);
      if (!added.ok()) return Fail(added.status());
      std::cout << "tenant " << name << ": indexed " << scimd::core::ResourceTypeName(*type) << " "
                << added->path << " (attribute " << added->id << "): " << stats.entries_written
                << " entries for " << stats.resources << " resources\n";
    } else {
      Status s = scimd::core::DropTenantIndex(store, t->id, *type, attr_path, &stats);
      if (!s.ok()) return Fail(s);
      std::cout << "tenant " << name << ": dropped the index of "
                << scimd::core::ResourceTypeName(*type) << " " << attr_path << " ("
                << stats.stale_removed << " entries removed)\n";
    }
    return 0;
  }
  if (index_list->parsed()) {
    auto t = find_tenant(name);
    if (!t.ok()) return Fail(t.status());
    auto indexed = scimd::core::TenantIndexed(store, t->id);
    if (!indexed.ok()) return Fail(indexed.status());
    for (const auto& ia : **indexed) {
      std::cout << scimd::core::ResourceTypeName(ia.type) << "\t" << ia.path << "\t" << ia.id
                << "\t" << (ia.id < scimd::core::kFirstTenantAttrId ? "built-in" : "tenant")
                << (ia.unique ? ", unique" : "") << (ia.case_exact ? ", caseExact" : "") << "\n";
    }
    return 0;
  }
  if (explain->parsed()) {
    auto type = find_type();
    if (!type) return 2;
    auto t = find_tenant(name);
    if (!t.ok()) return Fail(t.status());
    auto indexed = scimd::core::TenantIndexed(store, t->id);
    if (!indexed.ok()) return Fail(indexed.status());
    const scimd::core::CardinalityEstimator estimator =
        scimd::core::MakeCardinalityEstimator(store, t->id, *type);
    auto filter = scimd::core::CompileFilter(*type, filter_text, **indexed, &estimator);
    if (!filter.ok()) return Fail(filter.status());
    std::cout << "plan: " << scimd::core::Explain(*filter) << "\n";
    uint64_t matches = 0;
    scimd::core::FilterStats stats;
    Status s = scimd::core::RunFilter(
        store, t->id, *filter,
        [&](const scimd::core::ResourceId&, std::string_view) {
          ++matches;
          return true;
        },
        &stats);
    if (!s.ok()) return Fail(s);
    std::cout << "candidates: " << stats.candidates << "\nrows examined: " << stats.rows_examined
              << "\nmatches: " << matches << "\n";
    return 0;
  }
  return 0;
}
