#include "net/proxy_trust.h"

#include <algorithm>
#include <asio/ip/address.hpp>
#include <cstdlib>

namespace scimd::net {
namespace {

// The address's bytes (4 or 16) and family; false when it is not an IP address.
bool Bytes(std::string_view text, bool* v6, std::array<uint8_t, 16>* bytes) {
  asio::error_code ec;
  asio::ip::address address = asio::ip::make_address(std::string(text), ec);
  if (ec) return false;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  bytes->fill(0);
  if (address.is_v4()) {
    const auto b = address.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), bytes->begin());
    *v6 = false;
  } else {
    const auto b = address.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), bytes->begin());
    *v6 = true;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

core::Result<ProxyTrust> ProxyTrust::Parse(const std::vector<std::string>& entries) {
  ProxyTrust trust;
  for (const std::string& entry : entries) {
    Network n;
    const size_t slash = entry.find('/');
    if (!Bytes(std::string_view(entry).substr(0, slash), &n.v6, &n.bytes)) {
      return core::Status::InvalidValue("trusted proxy \"" + entry +
                                        "\" is not an address or a network");
    }
    const int max_bits = n.v6 ? 128 : 32;
    n.bits = max_bits;
    if (slash != std::string::npos) {
      const std::string bits = entry.substr(slash + 1);
      char* end = nullptr;
      const long b = std::strtol(bits.c_str(), &end, 10);
      if (bits.empty() || *end != '\0' || b < 0 || b > max_bits) {
        return core::Status::InvalidValue("trusted proxy \"" + entry + "\": bad prefix length");
      }
      n.bits = static_cast<int>(b);
    }
    trust.networks_.push_back(n);
  }
  return trust;
}

bool ProxyTrust::Trusts(std::string_view address) const {
  if (networks_.empty()) return false;
  bool v6 = false;
  std::array<uint8_t, 16> bytes;
  if (!Bytes(Trim(address), &v6, &bytes)) return false;
  for (const Network& n : networks_) {
    if (n.v6 != v6) continue;
    int bits = n.bits;
    size_t i = 0;
    bool match = true;
    for (; bits >= 8; bits -= 8, ++i) {
      if (bytes[i] != n.bytes[i]) {
        match = false;
        break;
      }
    }
    if (match && bits > 0) {
      const auto mask = static_cast<uint8_t>(0xff << (8 - bits));
      match = (bytes[i] & mask) == (n.bytes[i] & mask);
    }
    if (match) return true;
  }
  return false;
}

std::string ProxyTrust::ClientOf(std::string_view peer, std::string_view forwarded_for) const {
  if (forwarded_for.empty() || !Trusts(peer)) return std::string(peer);
  // Right to left: skip our own proxies; the first other hop is the client.
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    const size_t comma = rest.rfind(',');
    const std::string_view hop =
        Trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    if (hop.empty()) continue;
    bool v6 = false;
    std::array<uint8_t, 16> bytes;
    if (!Bytes(hop, &v6, &bytes)) return std::string(peer);  // garbage: trust nothing of it
    if (!Trusts(hop)) return std::string(hop);
  }
  return std::string(peer);  // every hop is one of our proxies
}

}  // namespace scimd::net
