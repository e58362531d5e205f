// The SCIM use cases over the Store, typed: create, replace, patch, delete, get and search
// Users and Groups, each taking a RequestContext and typed inputs and returning the stored
// resource (with its version) and what changed, or a Status. No HTTP, no JSON text in or
// out: net/'s SCIM adapter renders the results (core/scim/scim_render.h), and /Bulk, the
// delete policy and tools call the same functions. Stateless apart from the store
// reference and a cache of page cursors (page_cursors.h); safe to call from every thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/ids.h"
#include "core/base/limits.h"
#include "core/base/status.h"
#include "core/base/store.h"
#include "core/resource/decode.h"
#include "core/resource/stored_value.h"
#include "core/tenancy/request_context.h"
#include "core/usecase/page_cursors.h"
#include "core/usecase/patch.h"

namespace scimd::core {

// What a write did.
struct WriteResult {
  StoredResource resource;  // as stored after the write
  bool changed = false;     // a new version was written (always, for a create)
  // What changed, for the activity log: attribute names as the schema spells them
  // (extension attributes as "<schema urn>:<name>"), "members" for a membership change,
  // "password" for a new or removed password (never a value). Sorted.
  std::vector<std::string> changed_attributes;
  // What was accepted but not done, for the activity log: members that do not exist
  // (skipped under unknown-members=ignore). At most kMaxWriteWarnings, the last of which
  // then says how many more there were.
  std::vector<std::string> warnings;
};

struct DeleteResult {
  // The tenant's delete-policy=soft kept the user and set active=false instead.
  bool soft = false;
};

// A list or search (RFC 7644 §3.4.2): filter, sort and one page of the matches.
struct SearchQuery {
  std::vector<ResourceType> types;  // one, or Users and Groups for a search at the root
  std::string_view filter;          // empty: every resource
  std::string_view sort_by;         // empty: id order (creation order)
  std::string_view sort_order;      // "ascending" / "descending" as sent; empty: ascending
  uint64_t start_index = 1;         // 1-based, at least 1
  uint64_t count = kDefaultPageSize;
  bool explain = false;  // fill SearchResult::plans

  // RFC 7644 §3.4.2.4 as clients send it: startIndex below 1 counts as 1, a negative count
  // as 0, and count is capped at kMaxPageSize. Absent values keep the defaults.
  void SetPage(std::optional<int64_t> start, std::optional<int64_t> page_size);
};

struct SearchResult {
  uint64_t total = 0;                // every match (exact)
  std::vector<StoredResource> page;  // matches start_index .. start_index + count - 1
  std::vector<std::string> plans;    // with explain: how each type was read
  uint64_t rows_examined = 0;        // resources read to answer
};

// A group a user belongs to, directly or through nested groups.
struct GroupMembership {
  ResourceId group;
  std::string display;  // the group's displayName
  bool direct = true;
};

class Service {
 public:
  explicit Service(Store& store) : store_(store) {}

  Result<WriteResult> Create(const RequestContext& ctx, ResourceType type, InputResource input);
  // Many creates of `type` in ONE transaction (one commit; /Bulk's runs of POSTs): each
  // input is checked as Create checks it and fails on its own (an input that arrives as a
  // Status fails with it; required attributes; Uniqueness against the store and against
  // the inputs before it), and the others are committed together. Stops after
  // `max_failures` failures (failOnErrors): the result then has fewer entries than
  // `inputs`, and the inputs after the last entry never ran. A failed commit fails every
  // input that ran. REQUIRES: no input has members (edges take member locks and a cycle
  // check against committed state: Create does those one group at a time).
  std::vector<Result<WriteResult>> CreateMany(const RequestContext& ctx, ResourceType type,
                                              std::vector<Result<InputResource>> inputs,
                                              size_t max_failures = SIZE_MAX);
  // A whole replacement (PUT). A Group's membership becomes input.members; a User without
  // a password keeps the stored one. `if_match` (an If-Match list) may be empty.
  Result<WriteResult> Replace(const RequestContext& ctx, ResourceType type, const ResourceId& id,
                              InputResource input, std::string_view if_match);
  // RFC 7644 §3.5.2, all operations in one transaction.
  Result<WriteResult> Patch(const RequestContext& ctx, ResourceType type, const ResourceId& id,
                            const std::vector<PatchOperation>& operations,
                            std::string_view if_match);
  // Removes the resource, its index entries and its edges; under delete-policy=soft a User
  // is deactivated instead (a PATCH of active=false).
  Result<DeleteResult> Delete(const RequestContext& ctx, ResourceType type, const ResourceId& id,
                              std::string_view if_match);
  Result<StoredResource> Get(const RequestContext& ctx, ResourceType type, const ResourceId& id);
  Result<SearchResult> Search(const RequestContext& ctx, const SearchQuery& query);

  // Reads behind a rendered resource.
  Result<uint64_t> CountMembers(const RequestContext& ctx, const ResourceId& group);
  // A group's members in member-id order from after `start_after`; see Store::ScanMembers.
  Status ScanMembers(const RequestContext& ctx, const ResourceId& group,
                     const std::optional<ResourceId>& start_after, const MemberVisitor& visit);
  // The groups of a user: direct ones first, then their ancestors, each once (bounded by
  // kMaxNestingVisits).
  Result<std::vector<GroupMembership>> GroupsOf(const RequestContext& ctx, const ResourceId& user);

 private:
  // Adds edges after checking (and locking) each member; `added` counts new edges; skipped
  // members go to `warnings`.
  Status AddMembers(Transaction& txn, const RequestContext& ctx, const ResourceId& group,
                    std::vector<MemberRef>& members, std::vector<std::string>& warnings,
                    size_t* added = nullptr);
  // Patch, with the tenant's required attributes checked or not (a soft delete must not
  // fail on a user that predates the requirement).
  Result<WriteResult> PatchImpl(const RequestContext& ctx, ResourceType type, const ResourceId& id,
                                const std::vector<PatchOperation>& operations,
                                std::string_view if_match, bool check_required);
  Status CheckNoCycle(const RequestContext& ctx, const ResourceId& parent, const ResourceId& child);

  Store& store_;
  // Where unfiltered lists in id order resume (service_search.cc).
  PageCursors cursors_;
};

// NotFound naming the resource as the client wrote its id.
Status ResourceNotFound(ResourceType type, std::string_view id_text);

// Whether an If-Match / If-None-Match header value lists `etag` (or is "*"); a strong tag
// "N" matches the weak W/"N" (weak comparison, RFC 9110 §8.8.3.2).
bool EtagListMatches(std::string_view header, std::string_view etag);

}  // namespace scimd::core
