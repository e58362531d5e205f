// Reading an import file into an Importer (core/scim/import.h). Accepted, told apart by
// their content:
//   - NDJSON: one User or Group per line (what export writes); blank lines are skipped;
//   - one JSON document: a SCIM ListResponse ("Resources"), a Bulk request ("Operations",
//     POST operations only; their bulkIds may be used as member values "bulkId:..."), an
//     array of resources, or a single resource. A document is read whole into memory, so
//     it may be at most kMaxImportDocumentBytes; NDJSON has no size limit.
// A line of NDJSON may itself be a ListResponse or Bulk request. Line numbers in the
// importer's reports are where each record starts. Gzip input is detected by its magic
// bytes and decompressed (GzipSource).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "core/base/status.h"
#include "core/scim/import.h"

namespace scimd::core {

inline constexpr size_t kMaxImportDocumentBytes = size_t{1} << 30;
// Longest NDJSON line (a group with about a million members written out).
inline constexpr size_t kMaxImportLineBytes = size_t{256} << 20;

// Fills `buf` with up to `n` bytes; 0 at the end of the input.
using ImportSource = std::function<Result<size_t>(char* buf, size_t n)>;

// The bytes of a file descriptor, gunzipped when they start with gzip's magic bytes.
// `*consumed`, when given, follows the bytes taken from the descriptor (compressed ones for
// gzip: what the file's size says, for an ETA). The caller closes the descriptor after the
// source is gone.
ImportSource FileSource(int fd, uint64_t* consumed = nullptr);

// Reads every record of `read` into `importer`, calling `tick` every MiB or so of input.
// Stops at the importer's first error.
Status ReadImportFile(const ImportSource& read, Importer& importer,
                      const std::function<void()>& tick);

// The whole import: Importer::Start, ReadImportFile, Importer::Finish. `progress` is
// called as records are read (writing = false) and once before the load is written out
// and committed (writing = true), which takes a while for a large file.
Result<ImportSummary> RunImport(
    Store& store, TenantId tenant, const TenantSettings& settings, const ImportOptions& options,
    const ImportSource& read,
    const std::function<void(const ImportSummary&, bool writing)>& progress);

}  // namespace scimd::core
