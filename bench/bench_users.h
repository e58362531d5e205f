// The ~1 KB user of the import and /Bulk benchmarks (scripts/import_bench.sh,
// scripts/bulk_bench.sh): the shape an Entra ID or Okta export has (core and enterprise
// attributes, two emails, phones, an address), user i always the same bytes.
#pragma once

#include <cstdint>
#include <string>

namespace scimd::bench {

inline uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

inline const char* const kGiven[] = {"Ada",    "Grace",   "Alan", "Barbara", "Linus",  "Margaret",
                                     "Dennis", "Frances", "Ken",  "Radia",   "Edsger", "Hedy"};
inline const char* const kFamily[] = {"Lovelace", "Hopper",   "Turing",   "Liskov",
                                      "Torvalds", "Hamilton", "Ritchie",  "Allen",
                                      "Thompson", "Perlman",  "Dijkstra", "Lamarr"};
inline const char* const kDept[] = {"Engineering", "Sales",     "Finance",
                                    "Support",     "Marketing", "Legal"};
inline const char* const kCity[] = {"Seattle", "Berlin", "Paris", "Toronto", "Sydney", "Madrid"};

// User number i as one line of JSON (no newline).
inline std::string UserJson(long i) {
  const uint64_t r = Mix(static_cast<uint64_t>(i));
  const std::string given = kGiven[r % 12], family = kFamily[(r >> 8) % 12];
  const std::string num = std::to_string(i);
  const std::string mail = given + "." + family + num + "@contoso.example";
  std::string line =
      R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],)";
  line += R"("externalId":"00u)" + std::to_string(r % 1000000000000ull) + num + R"(",)";
  line += R"("userName":")" + mail + R"(","active":true,)";
  line += R"("displayName":")" + given + " " + family + R"(",)";
  line += R"("name":{"formatted":")" + given + " " + family + R"(","givenName":")" + given +
          R"(","familyName":")" + family + R"("},)";
  line += R"("title":"Senior Engineer )" + std::to_string(r % 7) +
          R"(","preferredLanguage":"en-US","locale":"en-US","timezone":"America/Los_Angeles",)";
  line += R"("emails":[{"value":")" + mail + R"(","type":"work","primary":true},{"value":")" +
          given + num + R"(@home.example","type":"home"}],)";
  line += R"("phoneNumbers":[{"value":"+1 555 )" + std::to_string(1000000 + r % 9000000) +
          R"(","type":"work"},{"value":"+1 555 )" + std::to_string(1000000 + (r >> 20) % 9000000) +
          R"(","type":"mobile"}],)";
  line += R"("addresses":[{"type":"work","streetAddress":")" + std::to_string(r % 9999) +
          R"( Main Street","locality":")" + kCity[(r >> 16) % 6] +
          R"(","region":"WA","postalCode":"98)" + std::to_string(100 + r % 900) +
          R"(","country":"US","primary":true}],)";
  line += R"("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":")" +
          num + R"(","costCenter":"CC-)" + std::to_string(r % 500) +
          R"(","organization":"Contoso","division":"Cloud","department":")" + kDept[(r >> 24) % 6] +
          R"("}})";
  return line;
}

}  // namespace scimd::bench
