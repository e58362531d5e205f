// scimctl import and export: the subcommands, their progress display and summaries
// (over either backend).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "tools/admin_backend.h"

namespace scimd::tools {

struct TransferCommands {
  CLI::App* import = nullptr;
  CLI::App* export_ = nullptr;
  std::string tenant;
  std::string file;  // import: a path or "-"
  uint64_t max_errors = 0;
  std::string out;       // export: a path, or stdout when empty or "-"
  std::string resource;  // export: Users, Groups, or both when empty
};

void AddTransferCommands(CLI::App& app, TransferCommands& c);
// Exit codes: 0 done, 1 failed (nothing loaded / the export is incomplete).
int RunImportCommand(AdminBackend& backend, const TransferCommands& c);
int RunExportCommand(AdminBackend& backend, const TransferCommands& c);

}  // namespace scimd::tools
