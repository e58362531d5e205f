// scimd's configuration file (`scimd --config FILE`, issue #21, docs/CONFIG.md): TOML read
// with toml++ (Debian's libtomlplusplus-dev) and handed to CLI11 as the values of the
// flags it names, so that every flag has its setting, a flag given on the command line wins
// over the file, and the flags' own checks apply to both.
//
// Tables mirror the flags: the key `listen` of table `[admin]` is the flag --admin-listen,
// a top-level key `max-body-bytes` the flag --max-body-bytes (nested tables join with '-'
// too). A string, integer, float or boolean is the flag's value; an array gives a
// repeatable flag each of its values. A key that names no flag, a value of another type, or
// a file that is not TOML stops the start with the file, line and column.
#pragma once

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <string>
#include <vector>

namespace scimd::tools {

class TomlConfig : public CLI::Config {
 public:
  // `app` is the one whose flags the file sets; it must outlive this formatter. The flag
  // that names the file (`config_flag`, without dashes) is not a setting of its own.
  TomlConfig(const CLI::App& app, std::string config_flag)
      : app_(app), config_flag_(std::move(config_flag)) {}

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;
  // Every flag that takes a value, with its current value (after parsing: the defaults
  // and what was set), as a TOML document grouped into the tables of kTables; booleans
  // flags as true/false. What `scimd --print-config` shows.
  std::string to_config(const CLI::App* app, bool default_also, bool write_description,
                        std::string prefix) const override;

  // Flags whose first word names a table of their own in the file (and in to_config):
  // --admin-listen is `[admin] listen`, --tls-cert `[tls] cert`. Other flags are top-level
  // keys.
  static const std::vector<std::string>& Tables();

 private:
  const CLI::App& app_;
  std::string config_flag_;
};

}  // namespace scimd::tools
