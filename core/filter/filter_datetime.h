// xsd:dateTime / RFC 3339 instants for filters: parsing with fractional seconds of any
// length and any UTC offset, to microseconds since the Unix epoch. Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scimd::core {

// "2015-10-10T14:38:21.8617979-07:00", "2011-05-13T04:42:34Z", "2011-05-13T04:42:34"
// (no offset = UTC). Digits beyond microseconds are truncated. nullopt if malformed.
std::optional<int64_t> ParseDateTimeMicros(std::string_view text);
// "2015-10-10T21:38:21.861797Z": UTC, always six fractional digits.
std::string FormatDateTimeMicros(int64_t micros);

}  // namespace scimd::core
