// String helpers for the protocol's case rules: SCIM attribute names, schema URNs,
// resource type names and HTTP header names compare case-insensitively (RFC 7643 §2.1,
// RFC 9110 §5.1), and only their ASCII letters fold; attribute values fold all of Unicode
// (FoldCase). Pure functions; safe on any thread.
#pragma once

#include <string>
#include <string_view>

namespace scimd::core {

// 'A'-'Z' to 'a'-'z'; every other byte unchanged (UTF-8 sequences included).
constexpr char LowerAscii(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}
constexpr char UpperAscii(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - ('a' - 'A')) : c;
}

// ASCII case-insensitive equality / prefix test. Inline: schema lookups call it for every
// attribute they pass (most calls end at the size).
inline bool EqualsCi(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}
bool StartsWithCi(std::string_view s, std::string_view prefix);

// ASCII lower- / upper-casing of a copy.
std::string ToLowerAscii(std::string_view s);
std::string ToUpperAscii(std::string_view s);

// Case folding of attribute VALUES that compare case-insensitively (caseExact=false, RFC
// 7643 §2.2): Unicode's full case folding after canonical composition (NFC), by utf8proc,
// so that "ÄLICE", "älice" and "A\u0308lice" are one value (uniqueness, filters, sorting,
// the index). ASCII text takes a fast path (letters lowered; the same result). REQUIRES:
// valid UTF-8 (the JSON parser refuses anything else); if utf8proc still refuses the text,
// its ASCII letters alone are lowered.
std::string FoldCase(std::string_view s);
// Whether every byte is ASCII (below 0x80).
bool IsAscii(std::string_view s);

// `s` without leading and trailing spaces (the separators of comma lists in headers and
// query parameters).
std::string_view TrimSpaces(std::string_view s);

}  // namespace scimd::core
