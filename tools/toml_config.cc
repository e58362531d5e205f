#include "tools/toml_config.h"

#include <toml++/toml.h>

#include <cstdio>
#include <istream>
#include <map>
#include <sstream>

namespace scimd::tools {
namespace {

std::string Where(const toml::source_region& source) {
  std::string where = source.path ? *source.path : std::string("the configuration file");
  return where + ":" + std::to_string(source.begin.line) + ":" +
         std::to_string(source.begin.column);
}

[[noreturn]] void Refuse(const toml::node& node, const std::string& why) {
  throw CLI::ConfigError(Where(node.source()) + ": " + why);
}

// The text CLI11 gets for one scalar value.
std::string Scalar(const toml::node& node, const std::string& key) {
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  if (const auto* f = node.as_floating_point()) {
    std::ostringstream text;
    text.precision(17);
    text << f->get();
    return text.str();
  }
  Refuse(node, "the value of " + key + " is not a string, number or boolean");
}

std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char escape[8];
      std::snprintf(escape, sizeof(escape), "\\u%04x", static_cast<unsigned char>(c));
      out += escape;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// A value as TOML, after the flag's type: numbers and booleans bare, the rest quoted.
std::string TomlValue(const CLI::Option& option, const std::string& value) {
  const std::string type = option.get_type_name();
  const bool number = type.find("INT") != std::string::npos ||
                      type.find("FLOAT") != std::string::npos ||
                      type.find("NUMBER") != std::string::npos;
  if (number && !value.empty() && value.find_first_not_of("+-0123456789.eE") == std::string::npos) {
    return value;
  }
  return Quote(value);
}

}  // namespace

const std::vector<std::string>& TomlConfig::Tables() {
  static const std::vector<std::string> tables = {"admin", "tls", "rocksdb", "log"};
  return tables;
}

std::vector<CLI::ConfigItem> TomlConfig::from_config(std::istream& input) const {
  // CLI11 hands over the stream only; the file's name is the value of its flag.
  std::string path = "the configuration file";
  if (const CLI::Option* flag = app_.get_option_no_throw("--" + config_flag_);
      flag != nullptr && !flag->results().empty()) {
    path = flag->results().back();
  }
  toml::table document;
  try {
    document = toml::parse(input, path);
  } catch (const toml::parse_error& e) {
    throw CLI::ConfigError(Where(e.source()) + ": not TOML: " + std::string(e.description()));
  }
  std::vector<CLI::ConfigItem> items;
  // Walks tables depth first; `prefix` is the flag's words so far ("admin-").
  auto walk = [&](auto&& self, const toml::table& table, const std::string& prefix) -> void {
    for (const auto& [key, node] : table) {
      const std::string name = prefix + std::string(key.str());
      if (const auto* inner = node.as_table()) {
        self(self, *inner, name + "-");
        continue;
      }
      const std::string shown = prefix.empty() ? name
                                               : "[" + prefix.substr(0, prefix.size() - 1) + "] " +
                                                     std::string(key.str());
      const CLI::Option* option = app_.get_option_no_throw("--" + name);
      if (option == nullptr || name == config_flag_) {
        Refuse(node, "unknown setting " + shown + " (there is no flag --" + name +
                         "; docs/CONFIG.md lists them)");
      }
      CLI::ConfigItem item;
      item.name = name;
      if (const auto* array = node.as_array()) {
        if (option->get_expected_max() <= 1) {
          Refuse(node, shown + " takes one value, not an array");
        }
        for (const auto& element : *array) item.inputs.push_back(Scalar(element, shown));
        if (item.inputs.empty()) continue;  // an empty list sets nothing
      } else {
        item.inputs.push_back(Scalar(node, shown));
      }
      items.push_back(std::move(item));
    }
  };
  walk(walk, document, "");
  return items;
}

std::string TomlConfig::to_config(const CLI::App* app, bool /*default_also*/,
                                  bool /*write_description*/, std::string /*prefix*/) const {
  // table name ("" for the top level) -> lines
  std::map<std::string, std::vector<std::string>> tables;
  for (const CLI::Option* option : app->get_options()) {
    const auto& names = option->get_lnames();
    if (names.empty()) continue;
    const std::string& name = names.front();
    if (name == "help" || name == config_flag_ || name == "print-config") continue;
    std::string table, key = name;
    for (const auto& t : Tables()) {
      if (name.size() > t.size() + 1 && name.compare(0, t.size() + 1, t + "-") == 0) {
        table = t;
        key = name.substr(t.size() + 1);
      }
    }
    std::string value;
    if (option->get_expected_max() == 0) {  // a flag without a value
      value = option->count() > 0 && option->as<bool>() ? "true" : "false";
    } else if (option->get_expected_max() > 1) {
      value = "[";
      for (const auto& r : option->results()) {
        value += (value.size() > 1 ? ", " : "") + TomlValue(*option, r);
      }
      value += "]";
    } else {
      value = TomlValue(*option,
                        option->count() > 0 ? option->results().back() : option->get_default_str());
    }
    // A setting that is not set (an empty string and no default) stays a comment: loaded
    // back, "" would be a value (an empty file name, which its flag's check refuses).
    const bool unset = (value == "\"\"" || value == "[]") && option->count() == 0;
    tables[table].push_back("# " + option->get_description() + "\n" + (unset ? "# " : "") + key +
                            " = " + value);
  }
  std::string out;
  for (const auto& [table, lines] : tables) {
    if (!table.empty()) out += "\n[" + table + "]\n";
    for (const auto& line : lines) out += line + "\n";
  }
  return out;
}

}  // namespace scimd::tools
