// The admin console's static files (issue #22, docs/CONSOLE.md), compiled into the binary
// from net/console/ by cmake/embed_files.cmake: scimd serves them at /console/ on the
// admin listener with no file system access and no build step that needs the internet.
#pragma once

#include <span>
#include <string_view>

namespace scimd::net {

struct ConsoleFile {
  std::string_view path;  // relative to net/console/, e.g. "app.js"
  std::string_view body;
};

std::span<const ConsoleFile> ConsoleFiles();

// The file at `path` (relative, "" for index.html), or null.
const ConsoleFile* FindConsoleFile(std::string_view path);
// Its Content-Type, by extension.
std::string_view ConsoleContentType(std::string_view path);

}  // namespace scimd::net
