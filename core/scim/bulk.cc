#include "core/scim/bulk.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <queue>
#include <unordered_set>
#include <utility>

#include "core/base/strings.h"
#include "core/resource/schema.h"
#include "core/scim/scim_error.h"
#include "core/scim/scim_render.h"

namespace scimd::core {

namespace {

// Client text quoted in an error detail is cut here: details stay readable and small even
// when a client sends a megabyte-long path or bulkId.
constexpr size_t kMaxQuotedBytes = 128;

std::string Quote(std::string_view s) {
  std::string out;
  if (s.size() <= kMaxQuotedBytes) {
    AppendJsonString(out, s);
  } else {
    AppendJsonString(out, std::string(s.substr(0, kMaxQuotedBytes)) + "...");
  }
  return out;
}

std::string OpLabel(size_t index) { return "Operations[" + std::to_string(index) + "]"; }

bool IsBulkIdRef(std::string_view s) { return s.substr(0, kBulkIdPrefix.size()) == kBulkIdPrefix; }

std::string_view RefName(std::string_view s) { return s.substr(kBulkIdPrefix.size()); }

struct OpPath {
  ResourceType type;
  std::string id;  // empty for an endpoint path
};

// "/Users", "Users", "/Groups/{id}" (resource names case-insensitive, leading and trailing
// slash optional).
Result<OpPath> ParseOpPath(std::string_view path) {
  auto bad = [&]() {
    return Status::InvalidValue("path " + Quote(path) +
                                " must be /Users, /Groups, /Users/{id} or /Groups/{id}");
  };
  std::string_view p = path;
  if (!p.empty() && p.front() == '/') p.remove_prefix(1);
  if (!p.empty() && p.back() == '/') p.remove_suffix(1);
  const size_t slash = p.find('/');
  const std::string_view endpoint = p.substr(0, slash);
  const auto type = SchemaRegistry::Default().FindEndpoint(endpoint);
  if (endpoint.empty() || !type) return bad();
  OpPath out{*type, ""};
  if (slash != std::string_view::npos) {
    const std::string_view id = p.substr(slash + 1);
    if (id.empty() || id.find('/') != std::string_view::npos) return bad();
    out.id = std::string(id);
  }
  return out;
}

// Fills `op` from its JSON object. Problems of this one operation go to op.error.
void ParseOperation(Json& json, BulkOperation& op) {
  const std::string label = OpLabel(op.index);
  auto fail = [&](Status s) {
    if (op.error.ok()) op.error = std::move(s);
  };
  if (const Json* v = json.FindCi("bulkId"); v != nullptr && !v->is_null()) {
    if (!v->is_string() || v->as_string().empty()) {
      fail(Status::InvalidValue(label + ".bulkId must be a non-empty string"));
    } else {
      op.bulk_id = v->as_string();
    }
  }
  if (const Json* v = json.FindCi("version"); v != nullptr && !v->is_null()) {
    if (!v->is_string()) {
      fail(Status::InvalidValue(label + ".version must be a string (an ETag)"));
    } else {
      op.version = v->as_string();
    }
  }
  const Json* method = json.FindCi("method");
  if (method == nullptr || !method->is_string()) {
    fail(Status::InvalidValue(label + ".method is required: POST, PUT, PATCH or DELETE"));
    return;
  }
  op.method_text = method->as_string();
  const std::string upper = ToUpperAscii(method->as_string());
  if (upper == "POST") {
    op.method = BulkMethod::kPost;
  } else if (upper == "PUT") {
    op.method = BulkMethod::kPut;
  } else if (upper == "PATCH") {
    op.method = BulkMethod::kPatch;
  } else if (upper == "DELETE") {
    op.method = BulkMethod::kDelete;
  } else {
    fail(Status::InvalidValue(label + ".method " + Quote(op.method_text) +
                              " is not one of POST, PUT, PATCH, DELETE"));
    return;
  }
  op.method_text = upper;

  const Json* path = json.FindCi("path");
  if (path == nullptr || !path->is_string()) {
    fail(Status::InvalidValue(label + ".path is required"));
    return;
  }
  auto parsed = ParseOpPath(path->as_string());
  if (!parsed.ok()) {
    fail(Status::InvalidValue(label + "." + parsed.status().detail()));
    return;
  }
  op.type = parsed->type;
  op.id = std::move(parsed->id);
  const bool is_post = op.method == BulkMethod::kPost;
  if (is_post && !op.id.empty()) {
    fail(Status::InvalidValue(label +
                              ": POST takes a resource type endpoint path such as "
                              "/Users, not " +
                              Quote(path->as_string())));
  } else if (!is_post && op.id.empty()) {
    fail(Status::InvalidValue(label + ": " + op.method_text +
                              " needs the path of one resource, such as /Users/{id}"));
  }
  if (is_post && op.bulk_id.empty()) {
    fail(Status::InvalidValue(label + ".bulkId is required for POST (RFC 7644 §3.7)"));
  }
  if (op.method != BulkMethod::kDelete) {
    Json* data = json.FindCi("data");
    if (data == nullptr || !data->is_object()) {
      fail(Status::InvalidSyntax(label + ".data must be a JSON object for " + op.method_text));
    } else {
      op.data = std::move(*data);
    }
  }
  if (IsBulkIdRef(op.id)) op.refs.emplace_back(RefName(op.id));
  CollectBulkIdRefs(op.data, op.refs);
}

// Marks the operations that lie on a cycle of bulkId references (strongly connected
// components with more than one member, or a self-reference). Tarjan's algorithm with an
// explicit stack: no recursion on client-controlled depth.
std::vector<std::vector<size_t>> Cycles(const std::vector<std::vector<size_t>>& deps) {
  const size_t n = deps.size();
  constexpr size_t kUnvisited = static_cast<size_t>(-1);
  std::vector<size_t> index(n, kUnvisited), low(n, 0);
  std::vector<bool> on_stack(n, false);
  std::vector<size_t> stack;
  std::vector<std::pair<size_t, size_t>> calls;  // (node, next edge)
  std::vector<std::vector<size_t>> cycles;
  size_t counter = 0;
  for (size_t root = 0; root < n; ++root) {
    if (index[root] != kUnvisited) continue;
    auto visit = [&](size_t v) {
      index[v] = low[v] = counter++;
      stack.push_back(v);
      on_stack[v] = true;
      calls.emplace_back(v, 0);
    };
    visit(root);
    while (!calls.empty()) {
      const size_t v = calls.back().first;
      const size_t edge = calls.back().second;
      if (edge < deps[v].size()) {
        ++calls.back().second;
        const size_t w = deps[v][edge];
        if (index[w] == kUnvisited) {
          visit(w);
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      calls.pop_back();
      if (!calls.empty()) {
        const size_t parent = calls.back().first;
        low[parent] = std::min(low[parent], low[v]);
      }
      if (low[v] != index[v]) continue;
      std::vector<size_t> component;
      size_t w;
      do {
        w = stack.back();
        stack.pop_back();
        on_stack[w] = false;
        component.push_back(w);
      } while (w != v);
      const bool self_loop = std::find(deps[v].begin(), deps[v].end(), v) != deps[v].end();
      if (component.size() > 1 || self_loop) {
        std::sort(component.begin(), component.end());
        cycles.push_back(std::move(component));
      }
    }
  }
  return cycles;
}

BulkOpResult Failure(int status, std::string_view scim_type, std::string_view detail) {
  BulkOpResult r;
  r.status = status;
  r.error_body = ScimErrorBody(status, scim_type, detail);
  r.scim_type = std::string(scim_type);
  r.detail = std::string(detail);
  return r;
}

BulkOpResult Failure(const Status& s) {
  const StatusHttp http = ToHttp(s.code());
  return Failure(http.http_status, http.scim_type, s.detail());
}

}  // namespace

void CollectBulkIdRefs(const Json& value, std::vector<std::string>& out) {
  std::unordered_set<std::string_view> seen;
  for (const auto& r : out) seen.insert(r);
  std::vector<std::string> found;
  // Explicit stack: the document's depth is bounded by Json::Parse, but no recursion here.
  std::vector<const Json*> todo = {&value};
  while (!todo.empty()) {
    const Json* v = todo.back();
    todo.pop_back();
    if (v->is_string()) {
      if (IsBulkIdRef(v->as_string()) && seen.insert(RefName(v->as_string())).second) {
        found.emplace_back(RefName(v->as_string()));
      }
    } else if (v->is_array()) {
      for (auto it = v->as_array().rbegin(); it != v->as_array().rend(); ++it) {
        todo.push_back(&*it);
      }
    } else if (v->is_object()) {
      for (auto it = v->as_object().rbegin(); it != v->as_object().rend(); ++it) {
        todo.push_back(&it->second);
      }
    }
  }
  for (auto& f : found) out.push_back(std::move(f));
}

void SubstituteBulkIds(Json& value, const std::unordered_map<std::string, std::string>& created) {
  std::vector<Json*> todo = {&value};
  while (!todo.empty()) {
    Json* v = todo.back();
    todo.pop_back();
    if (v->is_string()) {
      if (!IsBulkIdRef(v->as_string())) continue;
      auto it = created.find(std::string(RefName(v->as_string())));
      if (it != created.end()) v->as_string() = it->second;
    } else if (v->is_array()) {
      for (auto& e : v->as_array()) todo.push_back(&e);
    } else if (v->is_object()) {
      for (auto& [k, e] : v->as_object()) todo.push_back(&e);
    }
  }
}

Result<BulkRequest> ParseBulkRequest(std::string_view body, const BulkLimits& limits) {
  // RFC 7644 §3.7.4: 413 naming the limit that was exceeded.
  if (body.size() > limits.max_payload_bytes) {
    return Status::PayloadTooLarge("The size of the bulk request (" + std::to_string(body.size()) +
                                   " bytes) exceeds maxPayloadSize (" +
                                   std::to_string(limits.max_payload_bytes) + ")");
  }
  SCIMD_ASSIGN_OR_RETURN(Json json, Json::Parse(body));
  if (!json.is_object()) return Status::InvalidSyntax("a BulkRequest must be a JSON object");

  const Json* schemas = json.FindCi("schemas");
  bool has_schema = false;
  if (schemas != nullptr && schemas->is_array()) {
    for (const auto& s : schemas->as_array()) {
      has_schema = has_schema || (s.is_string() && EqualsCi(s.as_string(), kBulkRequestSchema));
    }
  }
  if (!has_schema) {
    return Status::InvalidValue("\"schemas\" must contain \"" + std::string(kBulkRequestSchema) +
                                "\"");
  }

  BulkRequest request;
  if (const Json* f = json.FindCi("failOnErrors"); f != nullptr && !f->is_null()) {
    if (!f->is_int() || f->as_int() < 1) {
      return Status::InvalidValue("failOnErrors must be an integer of at least 1");
    }
    request.fail_on_errors = static_cast<size_t>(f->as_int());
  }

  Json* ops = json.FindCi("Operations");
  if (ops == nullptr || !ops->is_array()) {
    return Status::InvalidSyntax("\"Operations\" must be an array of operations");
  }
  Json::Array& array = ops->as_array();
  if (array.size() > limits.max_operations) {
    return Status::PayloadTooLarge("The bulk request has " + std::to_string(array.size()) +
                                   " operations, more than maxOperations (" +
                                   std::to_string(limits.max_operations) + ")");
  }
  request.operations.resize(array.size());
  std::unordered_map<std::string_view, size_t> bulk_ids;
  for (size_t i = 0; i < array.size(); ++i) {
    if (!array[i].is_object()) {
      return Status::InvalidSyntax(OpLabel(i) + " must be a JSON object");
    }
    BulkOperation& op = request.operations[i];
    op.index = i;
    ParseOperation(array[i], op);
    if (op.bulk_id.empty()) continue;
    auto [it, inserted] = bulk_ids.emplace(op.bulk_id, i);
    if (!inserted) {
      return Status::InvalidValue("bulkId " + Quote(op.bulk_id) + " is used by both " +
                                  OpLabel(it->second) + " and " + OpLabel(i) +
                                  "; bulkIds must be unique within a request (RFC 7644 §3.7)");
    }
  }
  return request;
}

BulkPlan PlanBulk(const BulkRequest& request) {
  const auto& ops = request.operations;
  const size_t n = ops.size();
  BulkPlan plan;
  plan.deps.resize(n);
  plan.failed.resize(n);
  std::unordered_map<std::string_view, size_t> posts;
  for (const auto& op : ops) {
    if (op.method == BulkMethod::kPost && !op.bulk_id.empty()) posts.emplace(op.bulk_id, op.index);
  }
  for (const auto& op : ops) {
    if (!op.error.ok()) {
      plan.failed[op.index] = Failure(op.error);
      continue;
    }
    for (const auto& ref : op.refs) {
      auto it = posts.find(ref);
      if (it != posts.end()) {
        plan.deps[op.index].push_back(it->second);
      } else if (!plan.failed[op.index]) {
        // A reference no POST of this request defines can never resolve: the request is
        // wrong, not the server's state, hence 400 rather than 409.
        plan.failed[op.index] = Failure(Status::InvalidValue(
            "bulkId " + Quote(ref) + " is not defined by any POST operation in this request"));
      }
    }
  }
  // RFC 7644 §3.7.1: circular references the service provider cannot resolve fail with 409.
  // Resolving them would take creating resources without their references and patching the
  // references in afterwards; we report them instead.
  for (const auto& cycle : Cycles(plan.deps)) {
    std::string names;
    for (size_t k = 0; k < cycle.size() && k < kBulkMaxIdsInDetail; ++k) {
      if (k > 0) names += ", ";
      names += Quote(ops[cycle[k]].bulk_id);
    }
    if (cycle.size() > kBulkMaxIdsInDetail) names += ", ...";
    for (size_t i : cycle) {
      if (plan.failed[i]) continue;
      plan.failed[i] = Failure(409, "",
                               "circular bulkId reference among " + names +
                                   ": the operations reference each other and cannot be "
                                   "ordered (RFC 7644 §3.7.1)");
    }
  }
  return plan;
}

std::vector<size_t> ExecuteBulk(BulkRequest& request, const BulkExecutor& execute,
                                std::vector<std::optional<BulkOpResult>>& results,
                                const BulkBatchable& batchable,
                                const BulkBatchExecutor& execute_batch) {
  auto& ops = request.operations;
  const size_t n = ops.size();
  BulkPlan plan = PlanBulk(request);
  results.assign(n, std::nullopt);

  std::vector<std::vector<size_t>> dependents(n);
  std::vector<size_t> pending(n, 0);
  for (size_t i = 0; i < n; ++i) {
    pending[i] = plan.deps[i].size();
    for (size_t d : plan.deps[i]) dependents[d].push_back(i);
  }
  // Smallest ready index first: request order wherever the references allow it. Operations
  // that fail without running are ready at once (that also frees what waits on a cycle).
  std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>> ready;
  std::vector<bool> queued(n, false);
  for (size_t i = 0; i < n; ++i) {
    if (plan.failed[i] || pending[i] == 0) {
      ready.push(i);
      queued[i] = true;
    }
  }

  std::unordered_map<std::string, std::string> created;  // bulkId -> new resource id
  std::vector<size_t> ran;
  size_t errors = 0;
  const size_t max_errors = request.fail_on_errors.value_or(SIZE_MAX);
  auto release = [&](size_t i) {
    for (size_t j : dependents[i]) {
      if (--pending[j] == 0 && !queued[j]) {
        ready.push(j);
        queued[j] = true;
      }
    }
  };
  // A batched operation counts as done for the order (its dependents become ready), but
  // anything that is not batched first runs the batch: a dependent then finds its POSTs'
  // results, and failures are counted in the order the operations would have run.
  std::vector<size_t> batch;
  auto run_batch = [&]() {  // true: failOnErrors was reached
    if (batch.empty()) return false;
    std::vector<const BulkOperation*> batch_ops;
    batch_ops.reserve(batch.size());
    for (size_t i : batch) batch_ops.push_back(&ops[i]);
    std::vector<BulkOpResult> out = execute_batch(batch_ops, max_errors - errors);
    for (size_t k = 0; k < out.size() && k < batch.size(); ++k) {
      const size_t i = batch[k];
      if (ops[i].method == BulkMethod::kPost && out[k].status < 400 && !out[k].created_id.empty()) {
        created.emplace(ops[i].bulk_id, out[k].created_id);
      }
      if (out[k].status >= 400) ++errors;
      results[i] = std::move(out[k]);
      ran.push_back(i);
    }
    batch.clear();
    return errors >= max_errors;
  };
  bool stopped = false;
  while (!ready.empty()) {
    const size_t i = ready.top();
    ready.pop();
    BulkOperation& op = ops[i];
    if (batchable && execute_batch && !plan.failed[i] && plan.deps[i].empty() && batchable(op)) {
      batch.push_back(i);
      release(i);
      continue;
    }
    if (run_batch()) {
      stopped = true;
      break;
    }
    std::optional<BulkOpResult> result = std::move(plan.failed[i]);
    if (!result) {
      for (size_t d : plan.deps[i]) {
        const BulkOpResult& dep = *results[d];
        if (dep.status >= 400 || dep.created_id.empty()) {
          result = Failure(409, "",
                           "bulkId " + Quote(ops[d].bulk_id) +
                               " cannot be resolved: the POST that defines it (" + OpLabel(d) +
                               ") failed with status " + std::to_string(dep.status));
          break;
        }
      }
    }
    if (!result) {
      if (IsBulkIdRef(op.id)) op.id = created.at(std::string(RefName(op.id)));
      SubstituteBulkIds(op.data, created);
      result = execute(op);
    }
    if (op.method == BulkMethod::kPost && result->status < 400 && !result->created_id.empty()) {
      created.emplace(op.bulk_id, result->created_id);
    }
    const bool failed = result->status >= 400;
    results[i] = std::move(result);
    ran.push_back(i);
    if (failed && ++errors >= max_errors) {
      stopped = true;
      break;
    }
    release(i);
  }
  if (!stopped) run_batch();
  std::sort(ran.begin(), ran.end());
  return ran;
}

namespace {

std::string EndpointUrl(std::string_view base_url, ResourceType type) {
  return std::string(base_url) + SchemaRegistry::Default().resource_type(type).endpoint + "/";
}

// A POST's entry; `location` is the endpoint's URL with a trailing slash.
BulkOpResult PostResult(const Result<WriteResult>& written, std::string_view location) {
  if (!written.ok()) return Failure(written.status());
  BulkOpResult result;
  result.status = 201;
  result.created_id = written->resource.id.ToString();
  result.resource_id = result.created_id;
  result.changed_attributes = written->changed_attributes;
  result.warnings = written->warnings;
  result.location = std::string(location) + result.created_id;
  result.version = written->resource.Etag();
  return result;
}

// What Service::CreateMany can take: a POST of a User, or of a Group without members (a
// group's members need a lock on each member and a cycle check that reads committed edges:
// such a POST runs alone, through Service::Create).
bool Batchable(const BulkOperation& op) {
  if (op.method != BulkMethod::kPost || !op.refs.empty()) return false;
  if (op.type == ResourceType::kUser) return true;
  const Json* members = op.data.FindCi("members");
  return members == nullptr || members->is_null() ||
         (members->is_array() && members->as_array().empty());
}

// Runs a batch of Batchable operations: each run of one resource type is one CreateMany
// (one transaction), so a batch of Users is one commit.
std::vector<BulkOpResult> RunPosts(Service& service, const RequestContext& ctx,
                                   const std::vector<const BulkOperation*>& ops,
                                   size_t max_failures, std::string_view base_url) {
  std::vector<BulkOpResult> out;
  out.reserve(ops.size());
  size_t failures = 0;
  for (size_t start = 0; start < ops.size() && failures < max_failures;) {
    const ResourceType type = ops[start]->type;
    size_t end = start;
    std::vector<Result<InputResource>> inputs;
    for (; end < ops.size() && ops[end]->type == type; ++end) {
      inputs.push_back(DecodeInput(type, ops[end]->data, ctx.settings.decode));
    }
    const std::string location = EndpointUrl(base_url, type);
    for (const auto& written :
         service.CreateMany(ctx, type, std::move(inputs), max_failures - failures)) {
      out.push_back(PostResult(written, location));
      if (out.back().status >= 400) ++failures;
    }
    start = end;
  }
  return out;
}

// Runs one operation whose bulkId references are resolved.
BulkOpResult RunOperation(Service& service, const RequestContext& ctx, const BulkOperation& op,
                          std::string_view base_url) {
  BulkOpResult result;
  auto fail = [&](const Status& s) {  // keeps the location and id of a PUT, PATCH, DELETE
    BulkOpResult failed = Failure(s);
    failed.location = std::move(result.location);
    failed.resource_id = std::move(result.resource_id);
    return failed;
  };
  const std::string location = EndpointUrl(base_url, op.type);
  if (op.method == BulkMethod::kPost) {
    auto input = DecodeInput(op.type, op.data, ctx.settings.decode);
    if (!input.ok()) return fail(input.status());
    return PostResult(service.Create(ctx, op.type, std::move(input).value()), location);
  }
  result.location = location + op.id;
  result.resource_id = op.id;
  auto id = ResourceId::Parse(op.id);
  if (!id.ok()) return fail(ResourceNotFound(op.type, op.id));
  Result<WriteResult> written = Status::Internal("unreachable");
  switch (op.method) {
    case BulkMethod::kDelete: {
      auto deleted = service.Delete(ctx, op.type, *id, op.version);
      if (!deleted.ok()) return fail(deleted.status());
      result.status = 204;
      if (deleted->soft) result.changed_attributes = {"active"};
      return result;
    }
    case BulkMethod::kPut: {
      auto input = DecodeInput(op.type, op.data, ctx.settings.decode);
      if (!input.ok()) return fail(input.status());
      written = service.Replace(ctx, op.type, *id, std::move(input).value(), op.version);
      result.status = 200;
      break;
    }
    case BulkMethod::kPatch: {
      auto ops = ParsePatchRequest(op.data);
      if (!ops.ok()) return fail(ops.status());
      written = service.Patch(ctx, op.type, *id, *ops, op.version);
      if (written.ok()) {
        ScimRenderer renderer(service);
        auto with_body = renderer.PatchAnswersWithResource(ctx, written->resource, false, false);
        if (!with_body.ok()) return fail(with_body.status());
        result.status = *with_body ? 200 : 204;
      }
      break;
    }
    case BulkMethod::kPost: break;
  }
  if (!written.ok()) return fail(written.status());
  result.version = written->resource.Etag();
  result.changed_attributes = written->changed_attributes;
  result.warnings = written->warnings;
  return result;
}

}  // namespace

std::string RunBulk(Service& service, const RequestContext& ctx, BulkRequest& request,
                    std::string_view base_url, const BulkObserver& observe) {
  const SchemaRegistry& registry = SchemaRegistry::Default();
  const BulkExecutor execute = [&](const BulkOperation& op) {
    return RunOperation(service, ctx, op, base_url);
  };
  const BulkBatchExecutor execute_batch = [&](const std::vector<const BulkOperation*>& ops,
                                              size_t max_failures) {
    return RunPosts(service, ctx, ops, max_failures, base_url);
  };
  std::vector<std::optional<BulkOpResult>> results;
  const std::vector<size_t> ran = ExecuteBulk(request, execute, results, Batchable, execute_batch);

  // Reported in request order (RFC 7644 §3.7.3 lets clients match by bulkId and location,
  // but request order also lets them match by position).
  std::string out = "{\"schemas\":[\"";
  out += kBulkResponseSchema;
  out += "\"],\"Operations\":[";
  bool first = true;
  for (size_t i : ran) {
    const BulkOperation& op = request.operations[i];
    const BulkOpResult& r = *results[i];
    if (observe) observe(op, r);
    if (!first) out.push_back(',');
    first = false;
    out += "{\"method\":";
    AppendJsonString(out, op.method_text);
    if (!op.bulk_id.empty()) {
      out += ",\"bulkId\":";
      AppendJsonString(out, op.bulk_id);
    }
    std::string location = r.location;
    // Operations that failed before running still name their target when it is known.
    if (location.empty() && op.error.ok() && op.method != BulkMethod::kPost &&
        !IsBulkIdRef(op.id)) {
      location = std::string(base_url) + registry.resource_type(op.type).endpoint + "/" + op.id;
    }
    if (!location.empty()) {
      out += ",\"location\":";
      AppendJsonString(out, location);
    }
    if (!r.version.empty()) {
      out += ",\"version\":";
      AppendJsonString(out, r.version);
    }
    out += ",\"status\":\"" + std::to_string(r.status) + "\"";
    if (r.status >= 400 && !r.error_body.empty()) {
      out += ",\"response\":";
      out += r.error_body;
    }
    out.push_back('}');
  }
  out += "]}";
  return out;
}

}  // namespace scimd::core
