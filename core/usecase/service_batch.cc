// core::Service::CreateMany: many creates in one transaction, each failing on its own. What
// /Bulk runs for a run of POSTs: 1,000 new users cost one commit (one WAL write, one fsync
// under --sync) instead of 1,000.
#include <algorithm>
#include <utility>

#include "core/resource/index_entries.h"
#include "core/resource/required.h"
#include "core/tenancy/auth.h"
#include "core/usecase/service.h"
#include "core/usecase/service_internal.h"

namespace scimd::core {

namespace {

// One input of CreateMany, ready to write: everything that needs no store is done before
// the transaction, so that a retried transaction (Busy) repeats only the store work.
struct PreparedCreate {
  Status error;  // non-OK: fails with this, never written
  ResourceId id;
  StoredHeader header;
  std::string value;
  IndexEntries entries;
};

// Claims the unique values of one new resource, one by one. On Uniqueness the values this
// resource claimed so far are released again (they were free: the id is new), so the
// transaction holds nothing of it and goes on with the next input. A value an earlier
// input of the same transaction claimed reads as taken: duplicates within a request fail.
Status ClaimUniques(Transaction& txn, ResourceType type, const PreparedCreate& p,
                    const Json& attrs) {
  for (size_t k = 0; k < p.entries.unique.size(); ++k) {
    IndexEntries one;
    one.unique = {p.entries.unique[k]};
    Status s = ApplyIndexDiff(txn, type, p.id, {}, one, attrs);  // its Uniqueness detail
    if (s.ok()) continue;
    if (s.Is(Status::Code::kUniqueness)) {
      for (size_t j = 0; j < k; ++j)
        SCIMD_RETURN_IF_ERROR(txn.ReleaseUnique(type, p.entries.unique[j]));
    }
    return s;
  }
  return Status::Ok();
}

}  // namespace

std::vector<Result<WriteResult>> Service::CreateMany(const RequestContext& ctx, ResourceType type,
                                                     std::vector<Result<InputResource>> inputs,
                                                     size_t max_failures) {
  const size_t n = inputs.size();
  const int64_t now = ctx.NowMicros();
  std::vector<PreparedCreate> prepared(n);
  for (size_t i = 0; i < n; ++i) {
    PreparedCreate& p = prepared[i];
    if (!inputs[i].ok()) {
      p.error = inputs[i].status();
      continue;
    }
    InputResource& in = *inputs[i];
    if (!in.members.empty()) {
      p.error = Status::Internal("CreateMany takes no members");
      continue;
    }
    if (type == ResourceType::kUser && ctx.settings.required) {
      p.error = CheckRequired(*ctx.settings.required, in.attrs);
      if (!p.error.ok()) continue;
    }
    p.id = ResourceId::Generate();
    p.header = StoredHeader{1, now, now, ""};
    if (in.password && !in.password->empty()) {
      auto hash = HashPassword(*in.password);
      if (!hash.ok()) {
        p.error = hash.status();
        continue;
      }
      p.header.password_hash = std::move(hash).value();
    }
    p.value = EncodeStored(p.header, in.attrs);
    p.entries = TakeIndexEntries(type, in, ctx.settings.Maintained());
  }

  // Decided inside the transaction (uniqueness depends on the store and on the inputs
  // before), so reset by every attempt.
  std::vector<Status> outcome;
  size_t ran = 0;
  const Status committed = internal::RunTransaction(ctx, [&]() -> Status {
    outcome.assign(n, Status::Ok());
    ran = 0;
    size_t failures = 0;
    int64_t created = 0;
    auto txn = store_.Begin(ctx.tenant);
    for (size_t i = 0; i < n && failures < max_failures; ++i) {
      ran = i + 1;
      const PreparedCreate& p = prepared[i];
      if (!p.error.ok()) {
        outcome[i] = p.error;
        ++failures;
        continue;
      }
      const Json& attrs = inputs[i]->attrs;
      Status s = ClaimUniques(*txn, type, p, attrs);
      if (s.Is(Status::Code::kUniqueness)) {
        outcome[i] = std::move(s);
        ++failures;
        continue;
      }
      SCIMD_RETURN_IF_ERROR(s);  // Busy or a store failure: the whole attempt
      SCIMD_RETURN_IF_ERROR(ApplyIndexDiff(*txn, type, p.id, {}, p.entries, attrs));
      SCIMD_RETURN_IF_ERROR(txn->PutResource(type, p.id, p.value));
      ++created;
    }
    if (created == 0) return Status::Ok();  // nothing to write
    SCIMD_RETURN_IF_ERROR(txn->AdjustResourceCount(type, created));
    return txn->Commit();
  });

  std::vector<Result<WriteResult>> out;
  out.reserve(n);
  if (!committed.ok()) {
    // Nothing was written: every input that ran fails, with its own error if it had one.
    size_t failures = 0;
    for (size_t i = 0; i < n && failures < max_failures; ++i, ++failures) {
      out.emplace_back(!prepared[i].error.ok() ? prepared[i].error : committed);
    }
    return out;
  }
  for (size_t i = 0; i < ran; ++i) {
    if (!outcome[i].ok()) {
      out.emplace_back(std::move(outcome[i]));
      continue;
    }
    PreparedCreate& p = prepared[i];
    const InputResource& in = *inputs[i];
    WriteResult result;
    result.changed = true;
    result.changed_attributes = internal::ChangedAttributes(Json(), in.attrs);
    if (!p.header.password_hash.empty()) result.changed_attributes.push_back("password");
    std::sort(result.changed_attributes.begin(), result.changed_attributes.end());
    auto resource = StoredResource::FromValue(type, p.id, std::move(p.value));
    if (!resource.ok()) {
      out.emplace_back(resource.status());
      continue;
    }
    result.resource = std::move(resource).value();
    out.emplace_back(std::move(result));
  }
  return out;
}

}  // namespace scimd::core
