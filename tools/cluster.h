// Tenant placement across scimd nodes (issue #21, docs/SCALING.md): etcd holds which nodes
// are up and which node owns which tenant; HAProxy routes by a map that a reconciler keeps
// equal to it.
//
//   /scimd/nodes/<node>     = "<host:port>"  under a lease: present while the node is ready
//   /scimd/tenants/<tenant> = "<node>"
//   /scimd/admin/<node>     = "<admin API URL>"  under the same lease, when given: where
//                             `scimctl tenant move --to <node>` reaches the node
//
// scimctl's `cluster join` keeps a node's key alive only while the node's /readyz answers
// 200 (a node that stops, drains or fills its disk leaves within the lease's TTL);
// `cluster place` writes a tenant's node; `cluster reconcile` makes HAProxy's map say, for
// each tenant, `node_<node>` when its node is up, else `unplaced` (the SCIM 404 backend of
// packaging/haproxy/scimd.cfg.in), through HAProxy's admin socket (no reload). etcd is
// reached over its v3 JSON gateway (net/etcd.h).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "core/base/status.h"
#include "net/etcd.h"

namespace scimd::tools {

using net::Etcd;

inline constexpr char kNodesPrefix[] = "/scimd/nodes/";
inline constexpr char kTenantsPrefix[] = "/scimd/tenants/";
inline constexpr char kAdminPrefix[] = "/scimd/admin/";

// Registers `node` at `address` (and its `admin_url`, when not empty) while `ready_url`
// answers 200, until `stop` is set.
core::Status JoinCluster(Etcd& etcd, const std::string& node, const std::string& address,
                         const std::string& admin_url, const std::string& ready_url,
                         std::chrono::seconds ttl, const std::atomic<bool>& stop);

// One pass of the reconciler: HAProxy's map `map_file` (through `socket`) made equal to
// etcd's placement. Returns how many entries it changed.
core::Result<int> ReconcileOnce(Etcd& etcd, const std::string& socket, const std::string& map_file);

}  // namespace scimd::tools
