// `scimctl tenant move TENANT --to NODE` (issue #21, docs/SCALING.md "Moving a tenant"):
// a tenant's data carried from one scimd to another through their admin APIs
// (net/admin_move.h) while the source keeps serving it, then its route switched.
//   1. the target makes an empty tenant of that name (no token: nobody reaches it);
//   2. the source takes a snapshot; its pages are written on the target as sorted files,
//      ingested at once;
//   3. the changes made meanwhile follow, in rounds, until a round is small;
//   4. the pause: the source refuses the tenant's writes (503, Retry-After) and waits for
//      those under way; the last changes, then the tenant's settings and tokens, go over;
//      the placement in etcd names the target and HAProxy's map is reconciled at once;
//   5. the source deletes its copy.
// A failure before the route switched abandons both sides: the source serves on.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/base/status.h"

namespace scimd::tools {

struct MoveOptions {
  std::string tenant;
  std::string source;  // admin API base URLs, e.g. http://127.0.0.1:8081
  std::string target;
  std::string admin_token;  // the same on both (SCIMD_ADMIN_TOKEN)
  std::string ca_file;
  // The route (all optional): etcd's placement of `tenant` set to `node`, then one
  // reconcile of HAProxy's map through its admin socket.
  std::string node;
  std::string etcd_url;
  std::string haproxy_socket;
  std::string map_file;
  // Rounds of catch-up before the pause, at most; a round under this many bytes ends them.
  int max_rounds = 8;
  uint64_t small_round_bytes = uint64_t{1} << 20;
  std::function<void(const std::string&)> say;  // progress lines
};

struct MoveReport {
  uint64_t range_bytes = 0;
  uint64_t range_pages = 0;
  uint64_t change_bytes = 0;  // before the pause
  int rounds = 0;
  uint64_t final_bytes = 0;  // during the pause
  double copy_seconds = 0;
  double catch_up_seconds = 0;
  double pause_ms = 0;  // writes refused: from the fence to the route switched
  double total_seconds = 0;
};

core::Result<MoveReport> MoveTenant(const MoveOptions& options);

}  // namespace scimd::tools
