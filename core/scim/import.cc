// Importer: see import.h.
#include "core/scim/import.h"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/base/json.h"
#include "core/base/json_dom.h"
#include "core/base/strings.h"
#include "core/filter/filter_datetime.h"
#include "core/resource/index_entries.h"
#include "core/resource/required.h"
#include "core/resource/schema.h"
#include "core/resource/stored_value.h"
#include "core/tenancy/auth.h"

namespace scimd::core {

namespace {

// Rejected records and warnings kept for the report; the counts are exact.
constexpr size_t kKeptErrors = 1000;
constexpr size_t kKeptWarnings = 100;

bool Fatal(const Status& s) {
  return s.Is(Status::Code::kIoError) || s.Is(Status::Code::kCorruption) ||
         s.Is(Status::Code::kInternal) || s.Is(Status::Code::kBusy);
}

std::string IdKey(const ResourceId& id) { return std::string(id.AsBytes()); }

// type byte + text, written over *key.
void SetTypedKey(std::string* key, ResourceType type, std::string_view text) {
  key->assign(1, static_cast<char>(type));
  key->append(text);
}

std::string TypedKey(ResourceType type, std::string_view text) {
  std::string key;
  SetTypedKey(&key, type, text);
  return key;
}

// The type a record declares: its "schemas" (the core schema of User or Group), else
// meta.resourceType.
Result<ResourceType> TypeOf(const std::optional<JsonDomValue>& schemas,
                            const std::optional<JsonDomValue>& meta) {
  if (schemas && schemas->is_array()) {
    std::optional<ResourceType> found;
    (void)schemas->ForEachItem([&](const JsonDomValue& s) {  // the first one named
      if (found || !s.is_string()) return Status::Ok();
      if (EqualsCi(s.str(), kUserSchema)) found = ResourceType::kUser;
      if (EqualsCi(s.str(), kGroupSchema)) found = ResourceType::kGroup;
      return Status::Ok();
    });
    if (found) return *found;
  }
  if (meta && meta->is_object()) {
    if (auto rt = meta->FindCi("resourceType"); rt && rt->is_string()) {
      if (EqualsCi(rt->str(), "User")) return ResourceType::kUser;
      if (EqualsCi(rt->str(), "Group")) return ResourceType::kGroup;
    }
  }
  return Status::InvalidValue(
      "neither a User nor a Group: its \"schemas\" names neither core schema and it has no "
      "meta.resourceType");
}

// meta.created, meta.lastModified and meta.version of a record, where given (`meta`: the
// record's member of that name).
Status ReadMeta(const std::optional<JsonDomValue>& meta, int64_t now, StoredHeader& header) {
  header = StoredHeader{1, now, now, ""};
  if (!meta || meta->is_null()) return Status::Ok();
  if (!meta->is_object()) return Status::InvalidValue("meta must be an object");
  auto time = [&](std::string_view name, int64_t& out) -> Status {
    const std::optional<JsonDomValue> v = meta->FindCi(name);
    if (!v || v->is_null()) return Status::Ok();
    std::optional<int64_t> t = v->is_string() ? ParseDateTimeMicros(v->str()) : std::nullopt;
    if (!t) return Status::InvalidValue("meta." + std::string(name) + " is not a date-time");
    out = *t;
    return Status::Ok();
  };
  SCIMD_RETURN_IF_ERROR(time("created", header.created_us));
  header.modified_us = header.created_us;
  SCIMD_RETURN_IF_ERROR(time("lastModified", header.modified_us));
  if (auto v = meta->FindCi("version"); v && !v->is_null()) {
    // W/"7" (what scimd renders), "7", or 7.
    std::string_view text = v->is_string() ? v->str() : "";
    if (text.substr(0, 2) == "W/") text.remove_prefix(2);
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
      text = text.substr(1, text.size() - 2);
    }
    uint64_t version = 0;
    if (v->is_int() && v->as_int() > 0) {
      version = static_cast<uint64_t>(v->as_int());
    } else {
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
      if (ec != std::errc() || p != text.data() + text.size() || version == 0) version = 1;
    }
    header.version = version;
  }
  return Status::Ok();
}

// A resource's unique, value and presence entries, added to a load.
Status AddIndexEntries(BulkLoad& load, ResourceType type, const ResourceId& id,
                       const IndexEntries& entries) {
  for (const IndexTerm& term : entries.unique) {
    SCIMD_RETURN_IF_ERROR(load.AddUnique(type, term, id));
  }
  for (const IndexTerm& term : entries.values) {
    SCIMD_RETURN_IF_ERROR(load.AddIndex(type, term, id));
  }
  for (AttrId attr : entries.presence) SCIMD_RETURN_IF_ERROR(load.AddPresence(type, attr, id));
  return Status::Ok();
}

// The stored hash of a record's password, if it gave one.
Status HashInto(const std::optional<std::string>& password, StoredHeader& header) {
  if (password && !password->empty()) {
    SCIMD_ASSIGN_OR_RETURN(header.password_hash, HashPassword(*password));
  }
  return Status::Ok();
}

std::string Quote(std::string_view s) { return "\"" + std::string(s.substr(0, 200)) + "\""; }

}  // namespace

// Users taken are added to the load on a thread of their own, a batch at a time, in the
// order taken: encoding a user's keys and copying its entries into the load's sorters is a
// third of the accepting thread's work, and needs nothing of the checks. The load is used
// by this thread alone until Drain.
class Importer::Loader {
 public:
  struct User {
    ResourceId id;
    IndexEntries entries;
    std::string value;
  };

  explicit Loader(BulkLoad& load) : load_(load), thread_([this] { Run(); }) {}
  ~Loader() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  // Queues one user; the load's first error so far, if any.
  Status Add(User user) {
    filling_.push_back(std::move(user));
    if (filling_.size() < kBatch) return Status::Ok();
    return Submit(/*wait_all=*/false);
  }
  // Loads everything queued; the load's first error, if any.
  Status Drain() { return Submit(/*wait_all=*/true); }

 private:
  static constexpr size_t kBatch = 256;
  static constexpr size_t kQueued = 4;  // batches waiting: a bound on memory

  Status Submit(bool wait_all) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!filling_.empty()) {
      queue_.push_back(std::move(filling_));
      filling_ = {};
      filling_.reserve(kBatch);
      cv_.notify_all();
    }
    cv_.wait(lock, [&] {
      return !error_.ok() || (wait_all ? queue_.empty() && !busy_ : queue_.size() < kQueued);
    });
    return error_;
  }

  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;  // an import abandoned: what is queued is not loaded
      std::vector<User> batch = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      const bool failed = !error_.ok();
      lock.unlock();
      Status s;
      for (User& u : batch) {
        if (failed || !s.ok()) break;  // after an error nothing more is loaded
        s = Load(u);
      }
      batch.clear();
      lock.lock();
      busy_ = false;
      // Known only after later records were taken, so it stops the import whatever it is.
      if (!s.ok() && error_.ok()) error_ = Fatal(s) ? s : Status::Internal(s.detail());
      cv_.notify_all();
    }
  }

  Status Load(const User& u) {
    SCIMD_RETURN_IF_ERROR(AddIndexEntries(load_, ResourceType::kUser, u.id, u.entries));
    return load_.PutResource(ResourceType::kUser, u.id, u.value);
  }

  BulkLoad& load_;
  std::vector<User> filling_;  // the import's thread's
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<User>> queue_;
  bool busy_ = false;  // a batch is being loaded
  bool stop_ = false;
  Status error_;
  std::thread thread_;  // last: started once the rest is ready
};

struct Importer::PendingGroup {
  ResourceId id;
  uint64_t line = 0;
  StoredHeader header;
  Json attrs;
  std::vector<MemberRef> members;
  IndexEntries entries;
  bool rejected = false;
  std::vector<std::pair<ResourceId, ResourceType>> resolved;  // after SettleGroups
  std::vector<std::string> display;                           // parallel to resolved
};

Result<std::unique_ptr<Importer>> Importer::Start(Store& store, TenantId tenant,
                                                  const TenantSettings& settings,
                                                  ImportOptions options) {
  SCIMD_ASSIGN_OR_RETURN(uint64_t users, store.CountResources(tenant, ResourceType::kUser));
  SCIMD_ASSIGN_OR_RETURN(uint64_t groups, store.CountResources(tenant, ResourceType::kGroup));
  SCIMD_ASSIGN_OR_RETURN(std::unique_ptr<BulkLoad> load, store.BeginBulkLoad(tenant));
  return std::unique_ptr<Importer>(
      new Importer(store, tenant, settings, options, std::move(load), users == 0 && groups == 0));
}

Importer::Importer(Store& store, TenantId tenant, const TenantSettings& settings,
                   ImportOptions options, std::unique_ptr<BulkLoad> load, bool tenant_empty)
    : store_(store),
      tenant_(tenant),
      settings_(settings),
      options_(options),
      load_(std::move(load)),
      loader_(std::make_unique<Loader>(*load_)),
      tenant_empty_(tenant_empty),
      user_index_(ResourceType::kUser, settings_.Maintained()) {}

ActivityEntry ImportActivityEntry(const Result<ImportSummary>& result, std::string_view source,
                                  int64_t started_us, int64_t ended_us) {
  ActivityEntry e;
  e.time_us = ended_us;
  e.method = "IMPORT";
  e.path = "/import";
  e.duration_us = ended_us - started_us;
  if (!result.ok()) {
    const StatusHttp http = ToHttp(result.status().code());
    e.status = http.http_status;
    e.scim_type = std::string(http.scim_type);
    e.detail = "import of " + std::string(source) +
               " failed, nothing was loaded: " + result.status().detail();
    return e;
  }
  const ImportSummary& s = *result;
  e.status = 200;
  e.detail = "imported " + std::to_string(s.users) + " users and " + std::to_string(s.groups) +
             " groups (" + std::to_string(s.members) + " members) from " + std::string(source) +
             "; " + std::to_string(s.rejected) + " records rejected";
  if (s.users > 0) e.changed.push_back("Users");
  if (s.groups > 0) e.changed.push_back("Groups");
  for (size_t i = 0; i < s.warning_samples.size() && i < 10; ++i) {
    e.warnings.push_back(s.warning_samples[i]);
  }
  return e;
}

Importer::~Importer() = default;

Status Importer::Reject(uint64_t line, std::string reason) {
  ++summary_.rejected;
  if (summary_.errors.size() < kKeptErrors) summary_.errors.push_back({line, reason});
  if (summary_.rejected > options_.max_errors) {
    return Status::InvalidValue("line " + std::to_string(line) + ": " + reason);
  }
  return Status::Ok();
}

Status Importer::Warn(std::string warning) {
  ++summary_.warnings;
  if (summary_.warning_samples.size() < kKeptWarnings) {
    summary_.warning_samples.push_back(std::move(warning));
  }
  return Status::Ok();
}

Status Importer::Add(std::string_view json, uint64_t line, std::optional<ResourceType> type,
                     std::string_view bulk_id) {
  return Accept(Prepare(json, line, type, bulk_id));
}

Status Importer::Accept(PreparedRecord record) {
  if (finished_) return Status::Internal("import already finished");
  ++summary_.records;
  if (!record.error.ok()) {
    return Fatal(record.error) ? record.error : Reject(record.line, record.error.detail());
  }
  Status s = Take(record);
  if (s.ok() || Fatal(s)) return s;
  return Reject(record.line, s.detail());
}

PreparedRecord Importer::Prepare(std::string_view json, uint64_t line,
                                 std::optional<ResourceType> forced, std::string_view bulk_id,
                                 bool detect_containers) const {
  PreparedRecord r;
  r.line = line;
  r.bulk_id = std::string(bulk_id);
  r.error = PrepareInto(json, forced, detect_containers, r);
  return r;
}

namespace {

// Whether text that is not a record may be a container all the same (a look for the keys,
// anywhere: the document reader decides).
bool MayBeContainer(std::string_view text) {
  auto has = [&](std::string_view needle) {
    return memmem(text.data(), text.size(), needle.data(), needle.size()) != nullptr;
  };
  return has("\"Resources\"") || has("\"Operations\"");
}

}  // namespace

Status Importer::PrepareInto(std::string_view json, std::optional<ResourceType> forced,
                             bool detect_containers, PreparedRecord& r) const {
  auto parsed = ParseDom(json);  // read in place: no tree of the record is built
  if (!parsed.ok()) {
    r.container = detect_containers && MayBeContainer(json);
    return Status::InvalidSyntax("not JSON: " + parsed.status().detail());
  }
  const JsonDomValue& body = *parsed;
  if (!body.is_object()) return Status::InvalidSyntax("a record is a JSON object");
  // The top-level members read here, found in one pass over the record's members.
  static constexpr std::string_view kTop[] = {"Resources", "Operations", "schemas", "id", "meta"};
  std::optional<JsonDomValue> top[std::size(kTop)];
  body.FindEachCi(kTop, top);
  const auto& [resources, operations, schemas, id_value, meta] = top;
  if (detect_containers && (resources || operations)) {
    r.container = true;
    return Status::Ok();
  }
  if (forced) {
    r.type = *forced;
  } else {
    SCIMD_ASSIGN_OR_RETURN(r.type, TypeOf(schemas, meta));
  }
  r.given_id = id_value && !id_value->is_null();
  if (r.given_id) {
    auto p = id_value->is_string() ? ResourceId::Parse(id_value->str())
                                   : Result<ResourceId>(Status::InvalidValue(""));
    if (!p.ok()) {
      return Status::InvalidValue(
          "id " + (id_value->is_string() ? Quote(id_value->str()) : std::string("")) +
          " is not a UUID: scimd ids are UUIDs (leave \"id\" out to have one assigned)");
    }
    r.id = *p;
  }  // else assigned in Take, in the file's order: ids of one import then increase, so the
     // store's files of resources need no merge
  SCIMD_RETURN_IF_ERROR(ReadMeta(meta, options_.clock->NowMicros(), r.header));

  // Decoded as a POST is; members are resolved at Finish, by id or by externalId, so
  // values that are not ids are kept (unparsed) rather than refused here.
  DecodeOptions decode = settings_.decode;
  decode.ignore_unknown_members = true;
  decode.indexed = &settings_.Maintained();
  if (r.type == ResourceType::kUser && !settings_.required) {
    // Most of an import: a user is written and not read back, so its stored text and index
    // entries are written straight from the document, without a tree of it (the tenant's
    // required attributes are checked on the tree, below).
    StoredInput in;
    SCIMD_RETURN_IF_ERROR(DecodeToStored(r.type, body, decode, user_index_, in));
    r.entries = std::move(in.index_entries);
    r.external_id = std::move(in.external_id);
    SCIMD_RETURN_IF_ERROR(HashInto(in.password, r.header));
    r.value = std::move(in.value);
    PutStoredHeader(r.header, r.value);
    return Status::Ok();
  }
  SCIMD_ASSIGN_OR_RETURN(InputResource in, DecodeInput(r.type, body, decode));
  if (r.type == ResourceType::kUser && settings_.required) {
    SCIMD_RETURN_IF_ERROR(CheckRequired(*settings_.required, in.attrs));
  }
  if (r.type == ResourceType::kGroup && in.password) {
    return Status::InvalidValue("a Group has no password");
  }
  r.entries = TakeIndexEntries(r.type, in, settings_.Maintained());
  if (const Json* ext = in.attrs.Find("externalId"); ext != nullptr && ext->is_string()) {
    r.external_id = ext->as_string();
  }
  SCIMD_RETURN_IF_ERROR(HashInto(in.password, r.header));
  if (r.type == ResourceType::kGroup) {
    r.attrs = std::move(in.attrs);  // stored once its members are known
    r.members = std::move(in.members);
  } else {
    r.value = EncodeStored(r.header, in.attrs);
  }
  return Status::Ok();
}

Status Importer::Take(PreparedRecord& r) {
  if (!r.given_id) r.id = ResourceId::Generate();
  const ResourceType type = r.type;
  const ResourceId& id = r.id;
  // Unique values: against the file so far, then the tenant.
  size_t unique_count = 0;  // keys built in unique_keys_, reused (no allocation per record)
  for (const IndexTerm& term : r.entries.unique) {
    if (unique_keys_.size() == unique_count) unique_keys_.emplace_back();
    std::string& key = unique_keys_[unique_count++];
    key.assign(1, static_cast<char>(type));
    key.push_back(static_cast<char>(term.attr >> 8));
    key.push_back(static_cast<char>(term.attr & 0xff));
    key.append(term.value.string);
    if (std::optional<uint64_t> other = unique_.Find(key)) {
      return Status::Uniqueness(Quote(term.value.string) +
                                " is already used by the record on line " + std::to_string(*other));
    }
    if (!tenant_empty_) {
      SCIMD_ASSIGN_OR_RETURN(auto holder, store_.LookupUnique(tenant_, type, term));
      if (holder) {
        return Status::Uniqueness(Quote(term.value.string) + " is already used by " +
                                  holder->ToString() + " in the tenant");
      }
    }
  }
  if (r.given_id) {
    if (std::optional<Ref> other = ids_.Find(IdKey(id))) {
      return Status::Uniqueness("id " + id.ToString() + " appears twice in the file");
    }
    if (!tenant_empty_) {
      for (ResourceType t : {ResourceType::kUser, ResourceType::kGroup}) {
        auto stored = store_.GetResource(tenant_, t, id);
        if (stored.ok()) return Status::Uniqueness("id " + id.ToString() + " exists in the tenant");
        if (!stored.status().Is(Status::Code::kNotFound)) return stored.status();
      }
    }
  }
  if (!r.bulk_id.empty() && bulk_ids_.Find(r.bulk_id)) {
    return Status::Uniqueness("bulkId " + Quote(r.bulk_id) + " appears twice in the file");
  }

  // Taken: remember it for uniqueness and member references.
  Ref ref{id, static_cast<uint8_t>(type),
          type == ResourceType::kGroup ? static_cast<uint32_t>(groups_.size() + 1) : 0};
  for (size_t i = 0; i < unique_count; ++i) unique_.Insert(unique_keys_[i], r.line);
  // Assigned ids are never reused by a later record, so only given ones need a check; but
  // every group is found by id when it is a member, and users named by id must exist. A
  // user whose id was assigned here cannot be named by id in the file (nobody knew it):
  // not kept (at 10M users, ~0.6 GiB less).
  if (r.given_id || type == ResourceType::kGroup) ids_.Insert(IdKey(id), ref);
  if (!r.bulk_id.empty()) bulk_ids_.Insert(r.bulk_id, ref);
  if (r.external_id) {
    std::string& key = external_key_;  // reused: no allocation per record
    SetTypedKey(&key, type, *r.external_id);
    external_.Defer(key, ref);  // read only at Finish: taken into the table then
  }

  if (type == ResourceType::kGroup) {
    auto g = std::make_unique<PendingGroup>();
    g->id = id;
    g->line = r.line;
    g->header = std::move(r.header);
    g->attrs = std::move(r.attrs);
    g->members = std::move(r.members);
    g->entries = std::move(r.entries);
    groups_.push_back(std::move(g));
    return Status::Ok();
  }
  SCIMD_RETURN_IF_ERROR(loader_->Add({id, std::move(r.entries), std::move(r.value)}));
  ++summary_.users;
  return Status::Ok();
}

Result<std::optional<ResourceId>> Importer::FindStoredByExternalId(ResourceType type,
                                                                   std::string_view external_id) {
  const IndexedAttr* attr = SchemaRegistry::Default().FindIndexed(type, "externalId");
  if (attr == nullptr || tenant_empty_) return std::optional<ResourceId>();
  std::vector<ResourceId> found;
  SCIMD_RETURN_IF_ERROR(store_.ScanIndexEq(
      tenant_, type,
      IndexTerm{attr->id, IndexValue::String(NormalizeForIndex(external_id, attr->case_exact))},
      [&](const ResourceId& id) {
        found.push_back(id);
        return found.size() < 2;
      }));
  if (found.size() > 1) {
    return Status::InvalidValue("externalId " + Quote(external_id) +
                                " names several resources of the tenant");
  }
  if (found.empty()) return std::optional<ResourceId>();
  return std::optional<ResourceId>(found.front());
}

Result<Importer::Ref> Importer::ResolveMember(const MemberRef& m) {
  auto fits = [&](ResourceType t) { return !m.type || *m.type == t; };
  if (m.unparsed.empty()) {
    if (std::optional<Ref> r = ids_.Find(IdKey(m.id)); r && fits(ResourceType(r->type))) return *r;
    if (!tenant_empty_) {
      for (ResourceType t : {ResourceType::kUser, ResourceType::kGroup}) {
        if (!fits(t)) continue;
        auto stored = store_.GetResource(tenant_, t, m.id);
        if (stored.ok()) return Ref{m.id, static_cast<uint8_t>(t), 0};
        if (!stored.status().Is(Status::Code::kNotFound)) return stored.status();
      }
    }
    return Status::InvalidValue("member " + Quote(m.id.ToString()) + " does not exist");
  }
  const std::string_view value = m.unparsed;
  if (value.substr(0, 7) == "bulkId:") {
    if (std::optional<Ref> r = bulk_ids_.Find(value.substr(7)); r && fits(ResourceType(r->type))) {
      return *r;
    }
    return Status::InvalidValue("member " + Quote(value) + " names no operation of the file");
  }
  // By externalId: the file first, then the tenant.
  for (ResourceType t : {ResourceType::kUser, ResourceType::kGroup}) {
    if (!fits(t)) continue;
    if (std::optional<Ref> r = external_.Find(TypedKey(t, value))) {
      if (r->type == 0) {
        return Status::InvalidValue("member " + Quote(value) +
                                    ": several resources of the file have this externalId");
      }
      return *r;
    }
    SCIMD_ASSIGN_OR_RETURN(std::optional<ResourceId> stored, FindStoredByExternalId(t, value));
    if (stored) return Ref{*stored, static_cast<uint8_t>(t), 0};
  }
  return Status::InvalidValue("member " + Quote(value) +
                              " is neither an id nor an externalId of a User or Group");
}

Status Importer::SettleGroups() {
  const bool reject_unknown = !settings_.decode.ignore_unknown_members;
  // First, each group's members as resources (or why not).
  for (auto& gp : groups_) {
    PendingGroup& g = *gp;
    std::set<ResourceId> seen;
    for (const MemberRef& m : g.members) {
      auto r = ResolveMember(m);
      if (!r.ok()) {
        if (Fatal(r.status())) return r.status();
        if (reject_unknown) {
          g.rejected = true;
          SCIMD_RETURN_IF_ERROR(Reject(g.line, r.status().detail()));
          break;
        }
        SCIMD_RETURN_IF_ERROR(
            Warn("line " + std::to_string(g.line) + ": " + r.status().detail() + "; skipped"));
        continue;
      }
      if (r->id == g.id) {
        g.rejected = true;
        SCIMD_RETURN_IF_ERROR(Reject(g.line, "a group cannot be its own member"));
        break;
      }
      if (!seen.insert(r->id).second) continue;  // named twice: one edge
      g.resolved.emplace_back(r->id, ResourceType(r->type));
      g.display.push_back(m.display);
    }
  }
  // Then, until nothing changes: edges to rejected groups, and cycles among the file's
  // groups (the tenant's groups cannot contain a group that does not exist yet).
  for (bool changed = true; changed;) {
    changed = false;
    for (auto& gp : groups_) {
      PendingGroup& g = *gp;
      if (g.rejected) continue;
      for (size_t i = 0; i < g.resolved.size(); ++i) {
        std::optional<Ref> r = ids_.Find(IdKey(g.resolved[i].first));
        if (!r || r->group == 0 || !groups_[r->group - 1]->rejected) continue;
        const std::string why = "member group " + r->id.ToString() + " was rejected";
        if (reject_unknown) {
          g.rejected = true;
          changed = true;
          SCIMD_RETURN_IF_ERROR(Reject(g.line, why));
          break;
        }
        SCIMD_RETURN_IF_ERROR(Warn("line " + std::to_string(g.line) + ": " + why + "; skipped"));
        g.resolved.erase(g.resolved.begin() + static_cast<std::ptrdiff_t>(i));
        g.display.erase(g.display.begin() + static_cast<std::ptrdiff_t>(i));
        --i;
        changed = true;
      }
    }
    // Cycles: a depth-first walk over file groups; the group that closes one is rejected.
    std::vector<int> state(groups_.size(), 0);     // 0 new, 1 on the path, 2 done
    std::vector<std::pair<size_t, size_t>> stack;  // group index, next member
    for (size_t start = 0; start < groups_.size() && !changed; ++start) {
      if (state[start] != 0 || groups_[start]->rejected) continue;
      stack.push_back({start, 0});
      state[start] = 1;
      while (!stack.empty() && !changed) {
        auto& [gi, next] = stack.back();
        PendingGroup& g = *groups_[gi];
        if (next == g.resolved.size()) {
          state[gi] = 2;
          stack.pop_back();
          continue;
        }
        const auto& [mid, mtype] = g.resolved[next++];
        if (mtype != ResourceType::kGroup) continue;
        std::optional<Ref> r = ids_.Find(IdKey(mid));
        if (!r || r->group == 0) continue;
        const size_t mi = r->group - 1;
        if (groups_[mi]->rejected || state[mi] == 2) continue;
        if (state[mi] == 1) {
          // g -> m closes a cycle: reject the later of the two records.
          PendingGroup& later = groups_[mi]->line > g.line ? *groups_[mi] : g;
          later.rejected = true;
          changed = true;
          SCIMD_RETURN_IF_ERROR(Reject(later.line, "its members make a cycle of groups"));
          break;
        }
        state[mi] = 1;
        stack.push_back({mi, 0});
      }
      stack.clear();
    }
  }
  return Status::Ok();
}

Status Importer::LoadGroup(PendingGroup& g) {
  const ResourceType type = ResourceType::kGroup;
  SCIMD_RETURN_IF_ERROR(AddIndexEntries(*load_, type, g.id, g.entries));
  for (size_t i = 0; i < g.resolved.size(); ++i) {
    SCIMD_RETURN_IF_ERROR(
        load_->AddMember(g.id, g.resolved[i].first, g.resolved[i].second, g.display[i]));
  }
  summary_.members += g.resolved.size();
  ++summary_.groups;
  return load_->PutResource(type, g.id, EncodeStored(g.header, g.attrs));
}

Result<ImportSummary> Importer::Finish() {
  if (finished_) return Status::Internal("import already finished");
  finished_ = true;
  SCIMD_RETURN_IF_ERROR(loader_->Drain());
  loader_.reset();         // load_ is this thread's from here
  if (!groups_.empty()) {  // members named by externalId: one resource, or several (ambiguous)
    external_.Settle([](const Ref&, const Ref&) { return Ref{}; });
  }
  SCIMD_RETURN_IF_ERROR(SettleGroups());
  for (auto& g : groups_) {
    if (g->rejected) continue;
    SCIMD_RETURN_IF_ERROR(LoadGroup(*g));
    g.reset();  // its memory goes as soon as it is loaded
  }
  SCIMD_RETURN_IF_ERROR(
      load_->AdjustResourceCount(ResourceType::kUser, static_cast<int64_t>(summary_.users)));
  SCIMD_RETURN_IF_ERROR(
      load_->AdjustResourceCount(ResourceType::kGroup, static_cast<int64_t>(summary_.groups)));
  summary_.bytes_loaded = load_->bytes();
  SCIMD_RETURN_IF_ERROR(load_->Commit());
  load_.reset();
  return summary_;
}

}  // namespace scimd::core
