// libFuzzer target: the resource JSON decoder and validator. The input is a POST body:
// core::Json::Parse and core::ParseDom (which must agree), then core::DecodeInput for a
// User and a Group (what POST and PUT run) with the default and the lenient options, and
// the import's decoder that writes stored text straight from the parsed document
// (core::DecodeToStored), which must give the same answer: the same error, or the same
// stored bytes and index entries as EncodeStored and IndexEntriesOf of the tree. The
// parsed JSON written back out must parse again. Any disagreement aborts (a finding).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/base/json.h"
#include "core/base/json_dom.h"
#include "core/resource/decode.h"
#include "core/resource/index_entries.h"
#include "core/resource/schema.h"
#include "core/resource/stored_value.h"

namespace {

[[noreturn]] void Disagree(const char* what) {
  std::fprintf(stderr, "fuzz_resource: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace scimd;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto json = core::Json::Parse(text);
  auto dom = core::ParseDom(text);
  if (json.ok() != dom.ok()) Disagree("Json::Parse and ParseDom disagree");
  if (!json.ok()) return 0;
  if (!core::Json::Parse(json->Serialize()).ok()) Disagree("serialized JSON does not parse");
  core::DecodeOptions lenient;
  lenient.ignore_unknown_attributes = true;
  lenient.ignore_unknown_members = true;
  lenient.accept_extension_schemas = true;
  for (core::ResourceType type : {core::ResourceType::kUser, core::ResourceType::kGroup}) {
    const std::vector<core::IndexedAttr>& indexed = core::SchemaRegistry::Default().indexed();
    const core::IndexPaths paths(type, indexed);
    for (const core::DecodeOptions& options : {core::DecodeOptions{}, lenient}) {
      auto tree = core::DecodeInput(type, *json, options);
      core::StoredInput stored;
      const core::Status s = core::DecodeToStored(type, *dom, options, paths, stored);
      if (tree.ok() != s.ok()) Disagree("DecodeInput and DecodeToStored disagree on validity");
      if (!tree.ok()) {
        if (tree.status().ToString() != s.ToString()) Disagree("different errors");
        continue;
      }
      core::StoredHeader header{1, 1000, 2000, ""};
      if (stored.password) header.password_hash = "h";
      core::PutStoredHeader(header, stored.value);
      if (stored.value != core::EncodeStored(header, tree->attrs)) Disagree("stored bytes differ");
      const core::IndexEntries expected = core::IndexEntriesOf(type, tree->attrs, indexed);
      if (!(stored.index_entries.values == expected.values) ||
          !(stored.index_entries.unique == expected.unique) ||
          stored.index_entries.presence != expected.presence) {
        Disagree("index entries differ");
      }
    }
  }
  return 0;
}
