// The replication log's frames and term history (replication_log.h).
#include "storage/replication_log.h"

#include "storage/byte_reader.h"
#include "storage/key_codec.h"

namespace scimd::storage {
namespace {

// RocksDB's WriteBatch representation: 8 bytes of sequence number, then the entry count as
// a little-endian u32, then the entries.
constexpr size_t kBatchHeaderBytes = 12;

uint32_t BatchCount(std::string_view batch) {
  const auto* p = reinterpret_cast<const unsigned char*>(batch.data()) + 8;
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

}  // namespace

std::string EncodeTerms(const std::vector<TermStart>& terms) {
  std::string out;
  for (const TermStart& t : terms) {
    AppendU64(&out, t.term);
    AppendU64(&out, t.sequence);
  }
  return out;
}

core::Result<std::vector<TermStart>> DecodeTerms(std::string_view bytes) {
  std::vector<TermStart> out;
  ByteReader in(bytes);
  while (!in.AtEnd()) {
    TermStart t;
    if (!in.U64(&t.term) || !in.U64(&t.sequence)) {
      return core::Status::Corruption("the replication term history is truncated");
    }
    if (!out.empty() && (t.term <= out.back().term || t.sequence <= out.back().sequence)) {
      return core::Status::Corruption("the replication term history is out of order");
    }
    out.push_back(t);
  }
  return out;
}

void AppendLogFrame(std::string* out, uint64_t first, std::string_view batch) {
  AppendU64(out, first);
  AppendBytes(out, batch);
}

core::Status NextLogFrame(std::string_view* in, LogFrame* frame) {
  ByteReader reader(*in);
  std::string_view data;
  if (!reader.U64(&frame->first) || !reader.Bytes(&data) || data.size() < kBatchHeaderBytes) {
    return core::Status::InvalidValue("not a replication log frame");
  }
  frame->data = data;
  frame->count = BatchCount(data);
  if (frame->first == 0) return core::Status::InvalidValue("a log frame at sequence 0");
  in->remove_prefix(8 + 4 + data.size());
  return core::Status::Ok();
}

}  // namespace scimd::storage
