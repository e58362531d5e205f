// Which peers are proxies we trust to name the client (issue #21, --trusted-proxy): behind
// HAProxy every connection comes from the proxy's address, so the per-address limits
// (failed tokens, refused input) and the logs would see one client. For a request from a
// trusted proxy, the client is the right-most address of X-Forwarded-For that is not a
// trusted proxy itself (the one the nearest untrusted hop added; addresses further left
// are the client's own say and could be forged). From any other peer the header is ignored.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace scimd::net {

class ProxyTrust {
 public:
  // Each entry an address ("10.0.0.7", "::1") or a network ("10.0.0.0/8", "fd00::/8").
  static core::Result<ProxyTrust> Parse(const std::vector<std::string>& entries);
  ProxyTrust() = default;

  bool empty() const { return networks_.empty(); }
  bool Trusts(std::string_view address) const;
  // The client of a request that came from `peer` with this X-Forwarded-For (possibly
  // empty): `peer` itself unless it is trusted and the header names someone else.
  std::string ClientOf(std::string_view peer, std::string_view forwarded_for) const;

 private:
  struct Network {
    bool v6 = false;
    std::array<uint8_t, 16> bytes{};
    int bits = 0;
  };
  std::vector<Network> networks_;
};

}  // namespace scimd::net
