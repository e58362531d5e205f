#include "net/console_assets.h"

namespace scimd::net {

const ConsoleFile* FindConsoleFile(std::string_view path) {
  if (path.empty()) path = "index.html";
  for (const ConsoleFile& f : ConsoleFiles()) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

std::string_view ConsoleContentType(std::string_view path) {
  auto ends = [&](std::string_view ext) {
    return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext;
  };
  if (path.empty() || ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace scimd::net
