#include "core/tenancy/tenant_settings.h"

#include <charconv>
#include <tuple>

#include "core/base/clock.h"
#include "core/base/strings.h"
#include "core/tenancy/tenant_index.h"

namespace scimd::core {

namespace {

// What a setting's value is: one of a few words, a whole number up to `max`, a duration
// (core/base/clock.h: "30d", "never"), a list of User attributes, a list of host names, a
// share of requests or a latency (core/tenancy/faults.h).
enum class Kind { kWords, kNumber, kDuration, kAttributes, kHosts, kShare, kLatency };
struct SettingDef {
  std::string_view name;
  Kind kind = Kind::kWords;
  std::string_view values[3] = {};
  uint32_t max = 0;
};

// Largest rate limit: far above what one tenant's client can send (Entra's gallery asks
// for 25 requests/s); bounds the arithmetic of the limiter.
constexpr uint32_t kMaxRateLimit = 1'000'000;
// A tenant's activity log holds at most this many entries (~100 bytes each: 10 GB).
constexpr uint32_t kMaxActivityEntries = 100'000'000;

constexpr SettingDef kSettings[] = {
    {"profile", Kind::kWords, {"entra", "okta", "strict"}},
    {"patch-response", Kind::kWords, {"resource", "no-content"}},
    {"unknown-attributes", Kind::kWords, {"reject", "ignore"}},
    {"unknown-members", Kind::kWords, {"ignore", "reject"}},
    {"bare-filter-values", Kind::kWords, {"reject", "accept"}},
    {"delete-policy", Kind::kWords, {"hard", "soft"}},
    {"rate-limit", Kind::kNumber, {}, kMaxRateLimit},
    // The lifetime of a new token when `token issue` names none (core/tenancy/tokens.h).
    {"token-expiry", Kind::kDuration},
    {"required", Kind::kAttributes},
    {"activity", Kind::kWords, {"on", "off"}},
    {"activity-retention", Kind::kDuration},
    {"activity-max-entries", Kind::kNumber, {}, kMaxActivityEntries},
    {"host", Kind::kHosts},
    // Fault injection for client testing (core/tenancy/faults.h).
    {kFaultLatencySetting, Kind::kLatency},
    {kFault429Setting, Kind::kShare},
    {kFault500Setting, Kind::kShare},
    {kFault503Setting, Kind::kShare},
    {kFaultDropSetting, Kind::kShare},
    {kFaultRetryAfterSetting, Kind::kNumber, {}, kMaxFaultRetryAfterSeconds},
};

// What each client profile presets. A profile is a starting point: any of these settings
// set on the tenant itself wins.
//   entra:  Microsoft's SCIM clients and reference suite: PATCH answered 204, misspelled
//           attributes, placeholder member ids and unquoted filter values accepted.
//   okta:   200 with the resource (Okta reads it back), private attributes and unknown
//           members skipped, filters as the grammar says.
//   strict: RFC 7643/7644 to the letter: anything unknown is a 400.
struct Profile {
  std::string_view name;
  std::pair<std::string_view, std::string_view> settings[4];
};
constexpr Profile kProfiles[] = {
    {"entra",
     {{"patch-response", "no-content"},
      {"unknown-attributes", "ignore"},
      {"unknown-members", "ignore"},
      {"bare-filter-values", "accept"}}},
    {"okta",
     {{"patch-response", "resource"},
      {"unknown-attributes", "ignore"},
      {"unknown-members", "ignore"},
      {"bare-filter-values", "reject"}}},
    {"strict",
     {{"patch-response", "resource"},
      {"unknown-attributes", "reject"},
      {"unknown-members", "reject"},
      {"bare-filter-values", "reject"}}},
};

bool ParseUint(std::string_view s, uint32_t max, uint32_t* out) {
  uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty() || v > max) return false;
  *out = v;
  return true;
}

Status Invalid(std::string_view name, std::string_view why) {
  return Status::InvalidValue("setting " + std::string(name) + " " + std::string(why));
}

}  // namespace

Result<std::vector<std::string>> ParseHostList(std::string_view list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    const std::string host = ToLowerAscii(TrimSpaces(list.substr(start, comma - start)));
    start = comma + 1;
    if (host.empty()) continue;
    bool ok =
        host.size() <= 253 && host.front() != '.' && host.back() != '.' && host.front() != '-';
    for (char c : host) {
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.');
    }
    if (!ok) {
      return Status::InvalidValue("\"" + host +
                                  "\" is not a host name (letters, digits, '-' and "
                                  "'.'; no port)");
    }
    bool dup = false;
    for (const auto& h : out) dup = dup || h == host;
    if (!dup) out.push_back(host);
  }
  return out;
}

std::map<std::string, std::string> ProfileSettings(std::string_view profile) {
  std::map<std::string, std::string> out;
  for (const Profile& p : kProfiles) {
    if (p.name != profile) continue;
    for (const auto& [k, v] : p.settings) out.emplace(k, v);
  }
  return out;
}

Status ValidateSetting(std::string_view name, std::string_view value) {
  if (name == kIndexedAttributesSetting || name == kBuildingIndexesSetting) {
    return Status::InvalidValue(std::string(name) +
                                " is changed with `scimctl index add|drop TENANT User|Group "
                                "ATTR`, which also builds or removes the index");
  }
  for (const auto& def : kSettings) {
    if (def.name != name) continue;
    switch (def.kind) {
      case Kind::kNumber: {
        uint32_t v;
        if (ParseUint(value, def.max, &v)) return Status::Ok();
        return Invalid(name, "takes a whole number from 0 to " + std::to_string(def.max));
      }
      case Kind::kDuration: {
        auto d = ParseDurationSeconds(value);
        return d.ok() ? Status::Ok() : Invalid(name, ": " + d.status().detail());
      }
      case Kind::kAttributes: {
        auto r = ParseRequiredAttributes(value);
        return r.ok() ? Status::Ok() : Invalid(name, ": " + r.status().detail());
      }
      case Kind::kHosts: {
        auto h = ParseHostList(value);
        return h.ok() ? Status::Ok() : Invalid(name, ": " + h.status().detail());
      }
      case Kind::kShare: {
        auto share = ParseFaultShare(value);
        return share.ok() ? Status::Ok() : Invalid(name, share.status().detail());
      }
      case Kind::kLatency: {
        auto latency = ParseFaultLatency(value);
        return latency.ok() ? Status::Ok() : Invalid(name, latency.status().detail());
      }
      case Kind::kWords: {
        std::string words;
        for (const auto& v : def.values) {
          if (v.empty()) continue;
          if (v == value) return Status::Ok();
          words += (words.empty() ? "" : " or ") + std::string(v);
        }
        return Invalid(name, "takes " + words);
      }
    }
  }
  std::string names;
  for (const auto& def : kSettings) names += (names.empty() ? "" : ", ") + std::string(def.name);
  return Status::InvalidValue("unknown setting \"" + std::string(name) + "\"; known: " + names);
}

Result<TenantSettings> TenantSettings::FromMap(const std::map<std::string, std::string>& m) {
  TenantSettings s;
  // The profile's presets first; the tenant's own settings then override them.
  std::map<std::string, std::string> all;
  if (auto p = m.find("profile"); p != m.end()) {
    SCIMD_RETURN_IF_ERROR(ValidateSetting(p->first, p->second));
    s.profile = p->second;
    all = ProfileSettings(p->second);
  }
  for (const auto& [name, value] : m) all.insert_or_assign(name, value);
  std::vector<IndexedAttr> extra, building;
  for (const auto& [name, value] : all) {
    if (name == kIndexedAttributesSetting) {
      SCIMD_ASSIGN_OR_RETURN(extra, ParseIndexedAttributes(value));
      s.indexed = WithBuiltins(extra);
      continue;
    }
    if (name == kBuildingIndexesSetting) {
      SCIMD_ASSIGN_OR_RETURN(building, ParseIndexedAttributes(value));
      continue;
    }
    SCIMD_RETURN_IF_ERROR(ValidateSetting(name, value));
    if (name == "patch-response") s.patch_no_content = value == "no-content";
    if (name == "unknown-attributes") s.decode.ignore_unknown_attributes = value == "ignore";
    if (name == "unknown-members") s.decode.ignore_unknown_members = value == "ignore";
    if (name == "bare-filter-values") s.filter.allow_bare_words = value == "accept";
    if (name == "delete-policy") s.soft_delete = value == "soft";
    if (name == "rate-limit") ParseUint(value, kMaxRateLimit, &s.rate_limit);
    if (name == "token-expiry") s.token_lifetime = *ParseDurationSeconds(value);
    if (name == "activity") s.activity = value == "on";
    if (name == "activity-retention") s.activity_retention_s = *ParseDurationSeconds(value);
    if (name == "activity-max-entries") {
      uint32_t n = 0;
      ParseUint(value, kMaxActivityEntries, &n);
      s.activity_max_entries = n;
    }
    if (name == "required") {
      auto required = ParseRequiredAttributes(value);
      if (!required->empty()) {
        s.required = std::make_shared<const std::vector<RequiredAttr>>(std::move(*required));
      }
    }
    if (name == "host") s.hosts = *ParseHostList(value);
    if (name == kFaultLatencySetting) {
      std::tie(s.faults.latency_min_ms, s.faults.latency_max_ms) = *ParseFaultLatency(value);
    }
    if (name == kFault429Setting) s.faults.too_many_ppm = *ParseFaultShare(value);
    if (name == kFault500Setting) s.faults.internal_ppm = *ParseFaultShare(value);
    if (name == kFault503Setting) s.faults.unavailable_ppm = *ParseFaultShare(value);
    if (name == kFaultDropSetting) s.faults.drop_ppm = *ParseFaultShare(value);
    if (name == kFaultRetryAfterSetting) {
      ParseUint(value, kMaxFaultRetryAfterSeconds, &s.faults.retry_after_s);
    }
  }
  if (s.profile == "strict") s.decode.accept_extension_schemas = false;
  if (!building.empty()) {
    for (auto& b : building) extra.push_back(std::move(b));
    s.maintained = WithBuiltins(std::move(extra));
  }
  if (s.maintained) {
    s.decode.indexed = s.maintained.get();
  } else if (s.indexed) {
    s.decode.indexed = s.indexed.get();
  }
  return s;
}

}  // namespace scimd::core
