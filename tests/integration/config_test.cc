// `scimd --config FILE` (issue #21, tools/toml_config.h, docs/CONFIG.md): settings from a
// TOML file whose tables mirror the flags, flags that win over it, the file's mistakes
// refused with their line, `--print-config` read back to the same settings, and every flag
// of `scimd --help` documented in docs/CONFIG.md.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace scimd::testing {
namespace {

std::string SourceFile(const std::string& relative) {
  std::filesystem::path root;
  if (const char* src = std::getenv("SCIMD_SOURCE_DIR"); src != nullptr && *src != '\0') {
    root = src;
  } else {
    root = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  }
  std::ifstream in(root / relative);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() + "/data";
    config_ = dir_.path() + "/scimd.toml";
  }
  TempDir dir_;
  std::string data_, config_;
};

TEST_F(ConfigTest, SettingsComeFromTheFileAndFlagsWin) {
  const std::string admin_port_file = dir_.path() + "/admin.port";
  const std::string file_port_file = dir_.path() + "/from-file.port";
  setenv("SCIMD_ADMIN_TOKEN", "admin-token-for-config-tests-0123456789abcdef", 1);
  WriteFile(config_,
            "# scimd settings\n"
            "port-file = \"" +
                file_port_file +
                "\"   # the test's --port-file wins\n"
                "max-body-bytes = 1000\n"
                "base-path = [\"/identity/scim\"]\n"
                "\n[admin]\nlisten = \"127.0.0.1:0\"\nport-file = \"" +
                admin_port_file + "\"\n");
  ScimdProcess server(data_, {"--config", config_});
  // [admin] listen and port-file: the admin API is up, on the port the file names.
  const int admin_port = WaitForPortFile(admin_port_file);
  ASSERT_GT(admin_port, 0) << server.Output();
  HttpClient admin(admin_port);
  EXPECT_EQ(admin.Send("GET", "/admin/v1/tenants").status, 401);  // an admin API, no token
  // The flag's --port-file (the harness's) was written, the file's was not.
  EXPECT_FALSE(std::filesystem::exists(file_port_file));
  // max-body-bytes and base-path apply.
  HttpClient client(server.port());
  HttpResult big = client.Send("POST", "/identity/scim/Users", std::string(2000, ' '),
                               {{"Content-Type", "application/scim+json"}});
  EXPECT_EQ(big.status, 413) << big.body;
}

TEST_F(ConfigTest, MistakesInTheFileStopTheStartWithTheirLine) {
  struct Case {
    std::string text;
    std::string expected;  // in the error
  };
  const std::vector<Case> cases = {
      {"[admin]\nlisten = \"127.0.0.1:0\"\nlisen = 3\n", ":3:9: unknown setting [admin] lisen"},
      {"no-such-setting = 1\n", "unknown setting no-such-setting"},
      {"threads = \"two\"\n", "--threads"},
      {"threads = [1, 2]\n", "threads takes one value, not an array"},
      {"threads = [1\n", ":1:"},
      {"listen = 1979-05-27\n", "is not a string, number or boolean"},
      {"config = \"other.toml\"\n", "unknown setting config"},
  };
  for (const auto& c : cases) {
    WriteFile(config_, c.text);
    CommandResult r = RunCommand({ScimdBin(), "--config", config_, "--data", data_});
    EXPECT_NE(r.exit_code, 0) << c.text;
    EXPECT_NE((r.out + r.err).find(c.expected), std::string::npos)
        << c.text << " -> " << r.out << r.err;
    if (c.expected.front() == ':') {
      EXPECT_NE(r.err.find(config_ + c.expected), std::string::npos) << r.err;  // the file
    }
  }
  CommandResult missing = RunCommand({ScimdBin(), "--config", dir_.path() + "/none.toml"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("none.toml"), std::string::npos) << missing.err;
}

TEST_F(ConfigTest, PrintConfigReadsBackToTheSameSettings) {
  CommandResult printed = RunCommand({ScimdBin(), "--print-config", "--threads", "3", "--base-path",
                                      "/a", "--base-path", "/b", "--sync", "--admin-listen",
                                      "127.0.0.1:9999", "--max-connections", "77"});
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_NE(printed.out.find("\n[admin]\n"), std::string::npos) << printed.out;
  EXPECT_NE(printed.out.find("listen = \"127.0.0.1:9999\""), std::string::npos);
  EXPECT_NE(printed.out.find("base-path = [\"/a\", \"/b\"]"), std::string::npos);
  EXPECT_NE(printed.out.find("sync = true"), std::string::npos);
  EXPECT_NE(printed.out.find("max-connections = 77"), std::string::npos);
  WriteFile(config_, printed.out);
  CommandResult again = RunCommand({ScimdBin(), "--config", config_, "--print-config"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, printed.out);
  // The defaults alone read back too (unset settings stay comments).
  CommandResult defaults = RunCommand({ScimdBin(), "--print-config"});
  WriteFile(config_, defaults.out);
  CommandResult defaults_again = RunCommand({ScimdBin(), "--config", config_, "--print-config"});
  ASSERT_EQ(defaults_again.exit_code, 0) << defaults_again.err;
  EXPECT_EQ(defaults_again.out, defaults.out);
}

TEST_F(ConfigTest, EveryFlagIsInConfigMd) {
  CommandResult help = RunCommand({ScimdBin(), "--help"});
  ASSERT_EQ(help.exit_code, 0);
  const std::string doc = SourceFile("docs/CONFIG.md");
  ASSERT_FALSE(doc.empty());
  std::set<std::string> flags;
  const std::regex flag("--([a-z][a-z0-9-]*)");
  for (auto it = std::sregex_iterator(help.out.begin(), help.out.end(), flag);
       it != std::sregex_iterator(); ++it) {
    flags.insert((*it)[1]);
  }
  ASSERT_GT(flags.size(), 20u) << help.out;
  for (const auto& f : flags) {
    EXPECT_NE(doc.find("`--" + f + "`"), std::string::npos) << "docs/CONFIG.md lacks --" << f;
  }
}

}  // namespace
}  // namespace scimd::testing
