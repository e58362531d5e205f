// `scimctl --server URL cluster status [--json]` for a replica group (docs/SCALING.md,
// "Replica groups"): asks the node at URL for the group's nodes (GET /admin/v1/cluster),
// then each node for itself, and prints every node with its role, term, applied position
// and lag (the leader's view of its followers, else the node's own).
#pragma once

#include <iosfwd>
#include <string>

namespace scimd::tools {

// Exit status: 0 when a leader was found, 1 otherwise (or when URL is unreachable).
int PrintReplicaStatus(const std::string& url, const std::string& token, const std::string& ca_file,
                       bool json, std::ostream& out, std::ostream& err);

}  // namespace scimd::tools
