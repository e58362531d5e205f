#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <random>

#include "core/base/clock.h"
#include "core/base/json_dom.h"
#include "core/resource/decode.h"
#include "core/resource/index_entries.h"
#include "core/resource/stored_value.h"
#include "core/scim/projection.h"
#include "core/scim/render.h"

namespace scimd::core {
namespace {

Json ParseOk(std::string_view text) {
  auto j = Json::Parse(text);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return j.ok() ? std::move(j).value() : Json::MakeObject();
}

Result<InputResource> DecodeUser(std::string_view text, DecodeOptions opts = {}) {
  return DecodeInput(ResourceType::kUser, ParseOk(text), opts);
}

TEST(ResourceTest, CanonicalizesNamesAndOrdersSchemasFirst) {
  auto in = DecodeUser(R"({"USERNAME":"a","Name":{"GIVENNAME":"g"},
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user":{"Department":"d"},
      "id":"ignored","meta":{"created":"x"},"groups":[{"value":"g1"}]})");
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->attrs.Serialize(),
            R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",)"
            R"("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],)"
            R"("userName":"a","name":{"givenName":"g"},)"
            R"("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"d"}})");
}

// An import decodes records read in place (JsonDomValue) where requests decode a Json tree
// they give up (moved from) or keep (copied from): all three must give the same resource,
// members, password and error for every body, and a kept body stays as it was.
const char* const kDecodeBodies[] = {
    R"({"userName":"a","name":{"givenName":"g","familyName":"f"},"active":"TRUE",
          "emails":[{"value":"x@y","primary":true},{"value":"z@y","primary":true,"type":"work"}],
          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"7",
            "manager":{"value":"m"}},"password":"p","id":"i","meta":{"x":1}})",
    R"({"USERNAME":"b","emails":{"value":"single"},"x509Certificates":[null],
          "urn:unknown:schema":{"a":1},"phoneNumbers":[{"value":"1","display":"ro"}]})",
    R"({"userName":"c","displayName":7})",
    R"({"userName":"c","name":"flat"})",
    R"({"userName":"c","unknownAttr":1})",
    R"({"userName":"c","name":{"nope":1}})",
    R"({"userName":"c","schemas":"x"})",
    R"({"userName":"c","schemas":[1]})",
    R"({"userName":"c","externalId":5})",
    R"({"userName":"c","password":true})",
    R"({"displayName":"no userName"})",
    R"({"userName":"c","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":3})",
    R"({"userName":"c","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{
          "schemas":["x"],"department":"d"}})",
    R"({"userName":"c","active":"maybe"})",
    R"({"userName":"c","emails":[{"value":"a","primary":"yes"}]})",
    R"([1,2])",
    R"({"userName":"\u00e9t\u00e9\n","externalId":null,"title":"t\"q"})",
    R"({"userName":"p","emails":[{"value":"1","primary":true},{"value":"2","primary":"False"},
          {"value":"3","primary":"TRUE"},{"value":"4","primary":null},null,{"primary":true}],
          "phoneNumbers":[{"value":"1","primary":true}],"addresses":[{},{"primary":false}],
          "ims":[],"roles":[{"display":null}],"externalId":"E-1"})",
    R"({"userName":"q","emails":[{"value":"1","primary":true},{"value":"2","primary":7}]})",
    R"({"userName":"r","name":{},"displayName":"D","active":false,"nickName":"",
          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{}}})",
    R"({"userName":"s","groups":[{"value":"g"}],"meta":{"created":"2020-01-01T00:00:00Z"}})",
    R"({"displayName":"G","externalId":"ext","members":[]})",
};

TEST(ResourceTest, DecodingInPlaceMatchesDecodingATree) {
  const auto& bodies = kDecodeBodies;
  for (const bool lenient : {false, true}) {
    DecodeOptions opts;
    opts.ignore_unknown_attributes = lenient;
    opts.accept_extension_schemas = lenient;
    for (const char* text : bodies) {
      for (ResourceType type : {ResourceType::kUser, ResourceType::kGroup}) {
        auto tree = DecodeInput(type, ParseOk(text), opts);  // a body given up (moved from)
        const Json kept = ParseOk(text);
        auto copied = DecodeInput(type, kept, opts);  // a body the caller keeps
        EXPECT_EQ(kept.Serialize(), ParseOk(text).Serialize()) << "the kept body changed";
        auto dom = ParseDom(text);
        ASSERT_TRUE(dom.ok()) << text;
        auto in_place = DecodeInput(type, *dom, opts);
        ASSERT_EQ(tree.ok(), in_place.ok()) << text;
        ASSERT_EQ(tree.ok(), copied.ok()) << text;
        if (!tree.ok()) {
          EXPECT_EQ(tree.status().ToString(), in_place.status().ToString()) << text;
          EXPECT_EQ(tree.status().ToString(), copied.status().ToString()) << text;
          continue;
        }
        EXPECT_EQ(tree->attrs.Serialize(), in_place->attrs.Serialize()) << text;
        EXPECT_EQ(tree->attrs.Serialize(), copied->attrs.Serialize()) << text;
        EXPECT_EQ(tree->password, copied->password) << text;
        EXPECT_EQ(tree->password, in_place->password) << text;
        EXPECT_EQ(tree->has_members, in_place->has_members) << text;
      }
    }
  }
  const char* groups[] = {
      R"({"displayName":"g","members":[{"value":"2819c223-7f76-453a-919d-413861904646",
          "type":"User","display":"d"},"not-an-id",{"value":"x","$ref":"r"}]})",
      R"({"displayName":"g","members":{"value":"2819c223-7f76-453a-919d-413861904646"}})",
      R"({"displayName":"g","members":[{"type":"User"}]})",
      R"({"displayName":"g","members":7})",
  };
  for (const bool skip : {false, true}) {
    DecodeOptions opts;
    opts.ignore_unknown_members = skip;
    for (const char* text : groups) {
      auto tree = DecodeInput(ResourceType::kGroup, ParseOk(text), opts);
      auto dom = ParseDom(text);
      ASSERT_TRUE(dom.ok()) << text;
      auto in_place = DecodeInput(ResourceType::kGroup, *dom, opts);
      ASSERT_EQ(tree.ok(), in_place.ok()) << text;
      if (!tree.ok()) {
        EXPECT_EQ(tree.status().ToString(), in_place.status().ToString()) << text;
        continue;
      }
      EXPECT_EQ(tree->attrs.Serialize(), in_place->attrs.Serialize()) << text;
      ASSERT_EQ(tree->members.size(), in_place->members.size()) << text;
      for (size_t i = 0; i < tree->members.size(); ++i) {
        EXPECT_EQ(tree->members[i].id, in_place->members[i].id);
        EXPECT_EQ(tree->members[i].unparsed, in_place->members[i].unparsed);
        EXPECT_EQ(tree->members[i].display, in_place->members[i].display);
        EXPECT_EQ(tree->members[i].type, in_place->members[i].type);
      }
    }
  }
}

// ParseDom refuses what Json::Parse refuses, with the same detail.
TEST(ResourceTest, ParseDomChecksAsJsonParseDoes) {
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "[";
  for (int i = 0; i < 200; ++i) deep += "]";
  for (const std::string& text :
       {std::string(R"({"a":1,"A":2})"), std::string(R"({"x":{"b":1,"c":{"d":1,"D":1}}})"), deep,
        std::string("{"), std::string(R"({"a":1} x)")}) {
    auto tree = Json::Parse(text);
    auto dom = ParseDom(text);
    ASSERT_FALSE(tree.ok()) << text;
    ASSERT_FALSE(dom.ok()) << text;
    EXPECT_EQ(tree.status().ToString(), dom.status().ToString()) << text;
  }
}

// The import writes a user's stored text and index entries straight from the parsed document
// (DecodeToStored) instead of building the tree: same bytes, entries, errors and parts as
// DecodeInput + EncodeStored + IndexEntriesOf, for the built-in indexes and a tenant's own.
void ExpectStoredMatchesTree(ResourceType type, std::string_view text, const DecodeOptions& opts,
                             const std::vector<IndexedAttr>& indexed) {
  SCOPED_TRACE(std::string(text));
  DecodeOptions with_index = opts;
  with_index.indexed = &indexed;
  auto tree = DecodeInput(type, ParseOk(text), with_index);
  auto dom = ParseDom(text);
  ASSERT_TRUE(dom.ok());
  const IndexPaths paths(type, indexed);
  StoredInput stored;
  const Status s = DecodeToStored(type, *dom, with_index, paths, stored);
  ASSERT_EQ(tree.ok(), s.ok()) << s.ToString();
  if (!tree.ok()) {
    EXPECT_EQ(tree.status().ToString(), s.ToString());
    return;
  }
  StoredHeader header{3, 1000, 2000, ""};
  if (stored.password) header.password_hash = "hash-of-" + *stored.password;
  PutStoredHeader(header, stored.value);
  EXPECT_EQ(stored.value, EncodeStored(header, tree->attrs));
  const IndexEntries expected = IndexEntriesOf(type, tree->attrs, indexed);
  EXPECT_EQ(stored.index_entries.values, expected.values);
  EXPECT_EQ(stored.index_entries.unique, expected.unique);
  EXPECT_EQ(stored.index_entries.presence, expected.presence);
  const Json* ext = tree->attrs.Find("externalId");
  EXPECT_EQ(stored.external_id,
            ext != nullptr ? std::optional<std::string>(ext->as_string()) : std::nullopt);
  EXPECT_EQ(stored.password, tree->password);
  EXPECT_EQ(stored.has_members, tree->has_members);
  EXPECT_EQ(stored.members.size(), tree->members.size());
}

// Built-in indexes plus what a tenant may add: an extension's sub-attribute, a boolean
// sub-attribute, whole complex and multi-valued attributes (which index nothing), and paths
// not in canonical case (which name nothing).
std::vector<IndexedAttr> TenantIndexes() {
  std::vector<IndexedAttr> indexed = SchemaRegistry::Default().indexed();
  const std::string ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
  AttrId next = 100;
  for (const std::string& path :
       {ent + ":manager.value", ent + ":department", std::string("emails.primary"),
        std::string("emails.type"), std::string("phoneNumbers.value"), std::string("title"),
        std::string("name"), std::string("emails"), std::string("EMAILS.value"),
        std::string("Title"), std::string("groups.value"), std::string("addresses.primary"),
        std::string("nickName"), ent + ":Department", std::string("urn:x:y:z")}) {
    indexed.push_back({next++, ResourceType::kUser, path, false, false});
  }
  indexed.push_back({next++, ResourceType::kUser, "x509Certificates.value", true, true});
  indexed.push_back({next++, ResourceType::kGroup, "members.value", true, false});
  return indexed;
}

TEST(ResourceTest, WritingStoredTextMatchesTheTree) {
  const std::vector<IndexedAttr> tenant = TenantIndexes();
  for (const bool lenient : {false, true}) {
    DecodeOptions opts;
    opts.ignore_unknown_attributes = lenient;
    opts.accept_extension_schemas = lenient;
    for (const char* text : kDecodeBodies) {
      for (ResourceType type : {ResourceType::kUser, ResourceType::kGroup}) {
        ExpectStoredMatchesTree(type, text, opts, SchemaRegistry::Default().indexed());
        ExpectStoredMatchesTree(type, text, opts, tenant);
      }
    }
  }
}

// The same over random users: attributes in random order and key case, random primary
// flags (booleans and strings), empty and null values, strings that need escaping.
TEST(ResourceTest, WritingStoredTextMatchesTheTreeForRandomUsers) {
  const std::vector<IndexedAttr> tenant = TenantIndexes();
  std::mt19937 rng(20261206);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  auto word = [&] {
    static const char* const kWords[] = {"a", "Bob",       "\u00e9L\u00c9",         "x\\y", "q\"t",
                                         "",  "tab\tnl\n", "LONG-VALUE-0123456789", "Smith"};
    return std::string("\"") + kWords[pick(std::size(kWords))] + "\"";
  };
  auto cased = [&](std::string name) {
    if (pick(3) == 0) {
      for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return "\"" + name + "\"";
  };
  auto primary = [&]() -> std::string {
    static const char* const kFlags[] = {"true", "false", "\"True\"", "\"false\"", "null"};
    return kFlags[pick(std::size(kFlags))];
  };
  auto multi = [&](const char* name, const char* sub) {
    std::string items;
    const size_t n = pick(4);
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) items += ",";
      if (pick(8) == 0) {
        items += pick(2) == 0 ? "null" : "{}";
        continue;
      }
      items += "{" + cased(sub) + ":" + word();
      if (pick(2) == 0) items += "," + cased("primary") + ":" + primary();
      if (pick(2) == 0) items += "," + cased("type") + ":" + word();
      items += "}";
    }
    return cased(name) + ":[" + items + "]";
  };
  const std::string ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
  for (int n = 0; n < 400; ++n) {
    std::vector<std::string> members = {cased("userName") + ":" + word()};
    if (pick(2) == 0) members.push_back(cased("externalId") + ":" + (pick(4) ? word() : "null"));
    if (pick(2) == 0) members.push_back(cased("displayName") + ":" + word());
    if (pick(2) == 0) {
      members.push_back(cased("name") + ":{" + cased("givenName") + ":" + word() + "," +
                        cased("familyName") + ":" + (pick(3) ? word() : "null") + "}");
    }
    if (pick(2) == 0) {
      members.push_back(cased("active") + ":" +
                        (pick(2) ? std::string(pick(2) ? "true" : "false") : primary()));
    }
    if (pick(2) == 0) members.push_back(multi("emails", "value"));
    if (pick(2) == 0) members.push_back(multi("phoneNumbers", "value"));
    if (pick(3) == 0) members.push_back(multi("addresses", "locality"));
    if (pick(3) == 0) {
      members.push_back("\"" + ent + "\":{" + cased("department") + ":" + word() + "," +
                        cased("manager") + ":{" + cased("value") + ":" + word() + "}}");
    }
    if (pick(4) == 0) members.push_back(cased("password") + ":" + word());
    if (pick(4) == 0) members.push_back(cased("meta") + ":{\"version\":\"W/\\\"3\\\"\"}");
    std::shuffle(members.begin(), members.end(), rng);
    std::string text = "{";
    for (size_t i = 0; i < members.size(); ++i) text += (i > 0 ? "," : "") + members[i];
    text += "}";
    if (!ParseDom(text).ok()) continue;  // a key drawn twice in different case
    ExpectStoredMatchesTree(ResourceType::kUser, text, DecodeOptions(),
                            SchemaRegistry::Default().indexed());
    ExpectStoredMatchesTree(ResourceType::kUser, text, DecodeOptions(), tenant);
  }
}

// RFC 7643 §2.4: at most one primary=true; the last one given wins, the others read false.
TEST(ResourceTest, TheLastPrimaryGivenWins) {
  auto in = DecodeUser(R"({"userName":"a","emails":[{"value":"1","primary":true},
      {"value":"2","primary":"True"},{"value":"3","primary":false},null,{"value":"4"}]})");
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->attrs.Find("emails")->Serialize(),
            R"([{"value":"1","primary":false},{"value":"2","primary":true},)"
            R"({"value":"3","primary":false},{"value":"4"}])");
}

TEST(ResourceTest, NullsAndEmptiesAreUnassigned) {
  auto in = DecodeUser(R"({"userName":"a","displayName":null,"emails":[],"name":{"givenName":null},
                           "addresses":[null]})");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->attrs.Serialize(),
            R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a"})");
}

TEST(ResourceTest, TypeErrorsNameTheAttribute) {
  auto in = DecodeUser(R"({"userName":"a","emails":[{"value":"x","primary":"sometimes"}]})");
  ASSERT_FALSE(in.ok());
  EXPECT_TRUE(in.status().Is(Status::Code::kInvalidValue));
  EXPECT_NE(in.status().detail().find("emails.primary"), std::string::npos);
  EXPECT_FALSE(DecodeUser(R"({"userName":"a","active":1})").ok());
  EXPECT_FALSE(DecodeUser(R"({"userName":"a","externalId":5})").ok());
  EXPECT_FALSE(DecodeUser(R"({"userName":"a","schemas":"urn:x"})").ok());
  EXPECT_FALSE(DecodeUser(R"({"userName":"a","password":false})").ok());
}

TEST(ResourceTest, UnknownAttributesRejectedOrIgnoredBySetting) {
  auto strict = DecodeUser(R"({"userName":"a","favouriteColour":"red"})");
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.status().detail().find("favouriteColour"), std::string::npos);
  DecodeOptions lenient;
  lenient.ignore_unknown_attributes = true;
  auto ok = DecodeUser(R"({"userName":"a","favouriteColour":"red","name":{"x":1}})", lenient);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->attrs.Find("favouriteColour"), nullptr);
  EXPECT_EQ(ok->attrs.Find("name"), nullptr);
}

TEST(ResourceTest, SingleValueWhereListBelongsIsWrapped) {
  auto in = DecodeUser(R"({"userName":"a","emails":{"value":"x@y"}})");
  ASSERT_TRUE(in.ok());
  ASSERT_TRUE(in->attrs.Find("emails")->is_array());
  EXPECT_EQ(in->attrs.Find("emails")->as_array().size(), 1u);
}

TEST(ResourceTest, PasswordIsSeparatedFromAttributes) {
  auto in = DecodeUser(R"({"userName":"a","password":"pw"})");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->password.value_or(""), "pw");
  EXPECT_EQ(in->attrs.Serialize().find("pw\""), std::string::npos);
}

TEST(ResourceTest, GroupMembersDecoded) {
  auto in = DecodeInput(ResourceType::kGroup, ParseOk(R"({"displayName":"g","members":[
      {"value":"01900000-0000-7000-8000-000000000001","type":"user","display":"U","$ref":null}]})"),
                        {});
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  ASSERT_EQ(in->members.size(), 1u);
  EXPECT_EQ(in->members[0].id.ToString(), "01900000-0000-7000-8000-000000000001");
  EXPECT_EQ(*in->members[0].type, ResourceType::kUser);
  EXPECT_EQ(in->members[0].display, "U");
  EXPECT_EQ(in->attrs.Find("members"), nullptr);  // members live in edges, not the document
}

TEST(ResourceTest, IndexTermsAreDerivedFromTheResource) {
  auto in = DecodeUser(R"({"userName":"Alice","externalId":"EXT","displayName":"Al",
      "emails":[{"value":"A@x.com"},{"value":"a@X.com"},{"value":"b@x.com"}]})");
  ASSERT_TRUE(in.ok());
  const IndexEntries e = IndexEntriesOf(ResourceType::kUser, in->attrs);
  ASSERT_EQ(e.unique.size(), 1u);
  EXPECT_EQ(e.unique[0].attr, 1);
  EXPECT_EQ(e.unique[0].value.string, "alice");  // caseExact=false: folded
  std::vector<std::string> values;
  for (const auto& t : e.values) values.push_back(std::to_string(t.attr) + "=" + t.value.string);
  EXPECT_EQ(values,
            (std::vector<std::string>{"1=alice", "2=EXT", "3=al", "4=a@x.com", "4=b@x.com"}));
  EXPECT_EQ(e.presence, (std::vector<AttrId>{1, 2, 3, 4}));
  auto none = DecodeUser(R"({"userName":"b"})");
  EXPECT_EQ(IndexEntriesOf(ResourceType::kUser, none->attrs).presence, (std::vector<AttrId>{1}));
}

TEST(ResourceTest, StoredCodecRoundTrip) {
  Json attrs = ParseOk(R"({"schemas":["s"],"userName":"u"})");
  StoredHeader h{42, 1700000000123456, 1700000000999999, ""};
  const std::string v = EncodeStored(h, attrs);
  auto split = SplitStored(v);
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(split->first.version, 42u);
  EXPECT_EQ(split->first.created_us, 1700000000123456);
  EXPECT_EQ(split->first.modified_us, 1700000000999999);
  EXPECT_EQ(split->second, attrs.Serialize());
  EXPECT_FALSE(SplitStored("x").ok());
  // Format 2 carries a password hash between the header and the JSON.
  StoredHeader with_pw{7, 1, 2, "$argon2id$v=19$m=1024,t=2,p=1$c2FsdA$aGFzaA"};
  const std::string v2 = EncodeStored(with_pw, attrs);
  EXPECT_EQ(v2[0], 2);
  auto split2 = SplitStored(v2);
  ASSERT_TRUE(split2.ok());
  EXPECT_EQ(split2->first.password_hash, with_pw.password_hash);
  EXPECT_EQ(split2->first.version, 7u);
  EXPECT_EQ(split2->second, attrs.Serialize());
  EXPECT_FALSE(SplitStored(v2.substr(0, 30)).ok());
  EXPECT_FALSE(SplitStored(std::string(30, '\x02')).ok());
}

TEST(ResourceTest, RenderFastPathEqualsProjectedPathWithoutProjection) {
  Json attrs = ParseOk(
      R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u","name":{"givenName":"g","familyName":"f"}})");
  const ResourceId id = ResourceId::Generate();
  StoredHeader h{3, 0, 1000, ""};
  std::string fast;
  RenderResource(ResourceType::kUser, id, h, attrs.Serialize(), "http://h/scim/v2", Projection{},
                 fast);
  FinishResource(fast);
  auto j = Json::Parse(fast);
  ASSERT_TRUE(j.ok()) << fast;
  EXPECT_EQ(j->Find("id")->as_string(), id.ToString());
  EXPECT_EQ(j->Find("meta")->Find("version")->as_string(), "W/\"3\"");
  EXPECT_EQ(j->Find("meta")->Find("location")->as_string(),
            "http://h/scim/v2/Users/" + id.ToString());
  EXPECT_EQ(j->Find("meta")->Find("lastModified")->as_string(), "1970-01-01T00:00:00.001Z");

  auto p = ParseProjection(ResourceType::kUser, "name.familyName", "");
  ASSERT_TRUE(p.ok());
  std::string projected;
  RenderResource(ResourceType::kUser, id, h, attrs.Serialize(), "http://h", *p, projected);
  FinishResource(projected);
  auto pj = Json::Parse(projected);
  ASSERT_TRUE(pj.ok()) << projected;
  EXPECT_EQ(pj->Find("userName"), nullptr);
  EXPECT_EQ(pj->Find("meta"), nullptr);
  EXPECT_EQ(pj->Find("name")->Serialize(), R"({"familyName":"f"})");
  EXPECT_NE(pj->Find("id"), nullptr);
}

TEST(ResourceTest, ProjectionOfExtensionsAndMembers) {
  auto p = ParseProjection(ResourceType::kGroup, "", "members");
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->WantsMembers());
  auto q = ParseProjection(ResourceType::kGroup, "displayName", "");
  EXPECT_FALSE(q->WantsMembers());
  auto r = ParseProjection(ResourceType::kGroup, "members.value", "");
  EXPECT_TRUE(r->WantsMembers());
  EXPECT_TRUE(Projection{}.WantsMembers());
  auto u = ParseProjection(ResourceType::kGroup,
                           "urn:ietf:params:scim:schemas:core:2.0:Group:members", "");
  EXPECT_TRUE(u->WantsMembers());

  Json attrs = ParseOk(R"({"schemas":["a"],"userName":"u",
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"d","costCenter":"c"}})");
  auto e = ParseProjection(ResourceType::kUser, "",
                           "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department");
  std::string out;
  RenderResource(ResourceType::kUser, ResourceId::Generate(), {}, attrs.Serialize(), "", *e, out);
  FinishResource(out);
  EXPECT_EQ(out.find("department"), std::string::npos) << out;
  EXPECT_NE(out.find("costCenter"), std::string::npos) << out;
}

TEST(ResourceTest, DateTimeFormat) {
  EXPECT_EQ(FormatDateTime(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatDateTime(1700000000123456), "2023-11-14T22:13:20.123Z");
}

}  // namespace
}  // namespace scimd::core
