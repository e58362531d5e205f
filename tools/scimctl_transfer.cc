// scimctl import / export: see scimctl_transfer.h.
#include "tools/scimctl_transfer.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>

#include "core/resource/schema.h"

namespace scimd::tools {

namespace {

using Clock = std::chrono::steady_clock;

// 1234567 -> "1,234,567"
std::string Grouped(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string Bytes(uint64_t n) {
  char buf[32];
  if (n >= (uint64_t{1} << 30)) {
    std::snprintf(buf, sizeof(buf), "%.2f GiB", static_cast<double>(n) / (1 << 30));
  } else if (n >= (1 << 20)) {
    std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(n) / (1 << 20));
  } else {
    std::snprintf(buf, sizeof(buf), "%llu bytes", static_cast<unsigned long long>(n));
  }
  return buf;
}

std::string Duration(double seconds) {
  char buf[32];
  const auto s = static_cast<long long>(seconds + 0.5);
  if (s >= 3600) {
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", s / 3600, (s / 60) % 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1fs", seconds);
  }
  return buf;
}

// On a terminal: one line redrawn a few times a second, with a bar and an ETA when the
// input's size is known. Otherwise: a plain line every few seconds (logs, CI).
class ProgressDisplay {
 public:
  ProgressDisplay() : tty_(isatty(STDERR_FILENO) == 1), start_(Clock::now()), last_(start_) {}

  void Update(const core::ImportSummary& s, uint64_t bytes, uint64_t total, bool writing) {
    const auto now = Clock::now();
    if (!writing &&
        now - last_ < (tty_ ? std::chrono::milliseconds(200) : std::chrono::seconds(5))) {
      return;
    }
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(s.records) / elapsed : 0;
    std::string line;
    if (writing) {
      line = "import: " + Grouped(s.records) + " records read in " + Duration(elapsed) +
             "; writing them out";
    } else if (total > 0) {
      const double part = std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total));
      const int filled = static_cast<int>(part * 24);
      line = "import: [" + std::string(filled, '#') + std::string(24 - filled, '-') + "] ";
      char pct[16];
      std::snprintf(pct, sizeof(pct), "%3.0f%%", part * 100);
      line += pct;
      line +=
          "  " + Grouped(s.records) + " records  " + Grouped(static_cast<uint64_t>(rate)) + "/s";
      if (part > 0.01) line += "  ETA " + Duration(elapsed * (1 - part) / part);
    } else {
      line = "import: " + Grouped(s.records) + " records, " + Bytes(bytes) + "  " +
             Grouped(static_cast<uint64_t>(rate)) + "/s";
    }
    if (s.rejected > 0) line += "  rejected " + Grouped(s.rejected);
    if (tty_) {
      std::cerr << "\r" << line << "\033[K" << (writing ? "\n" : "") << std::flush;
    } else {
      std::cerr << line << "\n";
    }
  }
  void Done() {
    if (tty_) std::cerr << "\r\033[K" << std::flush;
  }

 private:
  const bool tty_;
  const Clock::time_point start_;
  Clock::time_point last_;
};

int Failed(const std::string& what, const core::Status& s) {
  std::cerr << "scimctl: " << what << ": " << s.detail() << "\n";
  return 1;
}

}  // namespace

void AddTransferCommands(CLI::App& app, TransferCommands& c) {
  c.import = app.add_subcommand(
      "import",
      "load Users and Groups into a tenant, all or nothing: NDJSON (one resource per line, what "
      "export writes), a SCIM ListResponse or Bulk request; gzip is detected");
  c.import->add_option("tenant", c.tenant)->required();
  c.import->add_option("file", c.file, "the file, or - for stdin")->required();
  c.import
      ->add_option("--max-errors", c.max_errors,
                   "bad records to skip (each reported with its line) before giving up")
      ->capture_default_str();
  c.export_ = app.add_subcommand(
      "export",
      "write a tenant's Users and Groups as NDJSON, one resource per line, from one consistent "
      "view (the server may keep serving); passwords are never exported");
  c.export_->add_option("tenant", c.tenant)->required();
  c.export_->add_option("--out", c.out, "the file to write (default: stdout)");
  c.export_->add_option("--resource", c.resource, "Users or Groups only");
}

int RunImportCommand(AdminBackend& backend, const TransferCommands& c) {
  ProgressDisplay display;
  ImportRequest request;
  request.file = c.file;
  request.max_errors = c.max_errors;
  request.progress = [&](const core::ImportSummary& s, uint64_t bytes, uint64_t total,
                         bool writing) { display.Update(s, bytes, total, writing); };
  const auto start = Clock::now();
  auto summary = backend.Import(c.tenant, request);
  display.Done();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (!summary.ok()) {
    std::cerr << "scimctl: import into " << c.tenant
              << " failed, nothing was loaded: " << summary.status().detail() << "\n";
    return 1;
  }
  for (const auto& e : summary->errors) {
    std::cerr << "scimctl: line " << e.line << " rejected: " << e.reason << "\n";
  }
  for (const auto& w : summary->warning_samples) std::cerr << "scimctl: warning: " << w << "\n";
  std::printf(
      "imported %s users and %s groups (%s members) into %s: %s records in %s, %s "
      "records/s; %s rejected, %s warnings\n",
      Grouped(summary->users).c_str(), Grouped(summary->groups).c_str(),
      Grouped(summary->members).c_str(), c.tenant.c_str(), Grouped(summary->records).c_str(),
      Duration(elapsed).c_str(),
      Grouped(static_cast<uint64_t>(elapsed > 0 ? summary->records / elapsed : 0)).c_str(),
      Grouped(summary->rejected).c_str(), Grouped(summary->warnings).c_str());
  return 0;
}

int RunExportCommand(AdminBackend& backend, const TransferCommands& c) {
  core::ExportOptions options;
  if (!c.resource.empty()) {
    auto type = core::SchemaRegistry::Default().FindEndpoint(c.resource);
    if (!type) {
      std::cerr << "scimctl: --resource takes Users or Groups\n";
      return 2;
    }
    options.users = *type == core::ResourceType::kUser;
    options.groups = *type == core::ResourceType::kGroup;
  }
  const bool to_stdout = c.out.empty() || c.out == "-";
  std::ofstream file;
  if (!to_stdout) {
    file.open(c.out, std::ios::binary | std::ios::trunc);
    if (!file) return Failed("export", core::Status::IoError("cannot write " + c.out));
  }
  std::ostream& out = to_stdout ? std::cout : file;
  const auto start = Clock::now();
  auto summary = backend.Export(c.tenant, options, [&](std::string_view piece) {
    out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
    return static_cast<bool>(out);
  });
  out.flush();
  if (!summary.ok()) return Failed("export of " + c.tenant, summary.status());
  if (!out) return Failed("export of " + c.tenant, core::Status::IoError("writing failed"));
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::cerr << "exported " << Grouped(summary->users) << " users and " << Grouped(summary->groups)
            << " groups (" << Grouped(summary->members) << " members) of " << c.tenant << ": "
            << Bytes(summary->bytes) << " in " << Duration(elapsed) << "\n";
  return 0;
}

}  // namespace scimd::tools
