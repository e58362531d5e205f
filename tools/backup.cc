#include "tools/backup.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <system_error>
#include <vector>

#include "core/base/json.h"
#include "storage/rocks_store.h"

namespace scimd::tools {
namespace fs = std::filesystem;
using core::Json;
using core::Status;

namespace {

static_assert(sizeof(crypto_hash_sha256_state) <= 128, "Sha256::state_ is too small");

crypto_hash_sha256_state* State(unsigned char* bytes) {
  return reinterpret_cast<crypto_hash_sha256_state*>(bytes);
}

Status SyncPath(const std::string& path, bool directory) {
  const int fd = open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return Status::IoError("cannot open " + path + " to sync it");
  const int r = fsync(fd);
  close(fd);
  if (r != 0) return Status::IoError("cannot sync " + path);
  return Status::Ok();
}

}  // namespace

Sha256::Sha256() { crypto_hash_sha256_init(State(state_)); }

void Sha256::Update(std::string_view piece) {
  crypto_hash_sha256_update(State(state_), reinterpret_cast<const unsigned char*>(piece.data()),
                            piece.size());
}

std::string Sha256::HexDigest() {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(State(state_), digest);
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

uint64_t BackupManifest::TotalBytes() const {
  uint64_t total = 0;
  for (const auto& f : files) total += f.bytes;
  return total;
}

bool IsBackupFileName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name != kBackupManifest &&
         name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

core::Result<std::string> FileSha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + path);
  Sha256 sha;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize n = in.gcount();
    if (n > 0) sha.Update(std::string_view(buffer.data(), static_cast<size_t>(n)));
  }
  if (in.bad()) return Status::IoError("cannot read " + path);
  return sha.HexDigest();
}

Status WriteManifest(const std::string& dir, const BackupManifest& manifest) {
  Json files = Json::MakeArray();
  for (const auto& f : manifest.files) {
    Json j = Json::MakeObject();
    j.Set("name", Json::Str(f.name));
    j.Set("bytes", Json::Int(static_cast<int64_t>(f.bytes)));
    j.Set("sha256", Json::Str(f.sha256));
    files.Push(std::move(j));
  }
  Json root = Json::MakeObject();
  root.Set("format", Json::Int(1));
  root.Set("created", Json::Int(manifest.created_unix));
  root.Set("files", std::move(files));
  // Written last and renamed into place: a backup with a manifest is a whole one.
  const std::string path = dir + "/" + kBackupManifest;
  {
    std::ofstream out(path + ".tmp", std::ios::binary | std::ios::trunc);
    out << root.Serialize() << "\n";
    if (!out.flush()) return Status::IoError("cannot write " + path);
  }
  SCIMD_RETURN_IF_ERROR(SyncPath(path + ".tmp", false));
  std::error_code ec;
  fs::rename(path + ".tmp", path, ec);
  if (ec) return Status::IoError("cannot write " + path + ": " + ec.message());
  return SyncPath(dir, true);
}

core::Result<BackupManifest> ReadManifest(const std::string& dir) {
  const std::string path = dir + "/" + kBackupManifest;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::NotFound(dir + " is not a whole scimd backup: it has no " + kBackupManifest);
  }
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = Json::Parse(text.str());
  if (!parsed.ok() || !parsed->is_object()) return Status::Corruption(path + " is not JSON");
  BackupManifest m;
  const Json* created = parsed->Find("created");
  const Json* files = parsed->Find("files");
  const Json* format = parsed->Find("format");
  if (format == nullptr || !format->is_int() || format->as_int() != 1) {
    return Status::Corruption(path + ": unknown format");
  }
  if (created != nullptr && created->is_int()) m.created_unix = created->as_int();
  if (files == nullptr || !files->is_array()) return Status::Corruption(path + ": no file list");
  for (const Json& f : files->as_array()) {
    const Json* name = f.is_object() ? f.Find("name") : nullptr;
    const Json* bytes = f.is_object() ? f.Find("bytes") : nullptr;
    const Json* sum = f.is_object() ? f.Find("sha256") : nullptr;
    if (name == nullptr || !name->is_string() || !IsBackupFileName(name->as_string()) ||
        bytes == nullptr || !bytes->is_int() || bytes->as_int() < 0 || sum == nullptr ||
        !sum->is_string() || sum->as_string().size() != 64) {
      return Status::Corruption(path + ": a file entry is malformed");
    }
    m.files.push_back(
        BackupFile{name->as_string(), static_cast<uint64_t>(bytes->as_int()), sum->as_string()});
  }
  if (m.files.empty()) return Status::Corruption(path + ": lists no files");
  return m;
}

core::Result<BackupManifest> DescribeCheckpoint(const std::string& dir, int64_t created_unix) {
  BackupManifest m;
  m.created_unix = created_unix;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || !IsBackupFileName(name)) {
      return Status::Internal("unexpected entry in the checkpoint: " + name);
    }
    SCIMD_ASSIGN_OR_RETURN(std::string sum, FileSha256(entry.path().string()));
    m.files.push_back(BackupFile{name, static_cast<uint64_t>(entry.file_size()), std::move(sum)});
  }
  if (ec) return Status::IoError("cannot list " + dir + ": " + ec.message());
  std::sort(m.files.begin(), m.files.end(),
            [](const BackupFile& a, const BackupFile& b) { return a.name < b.name; });
  return m;
}

Status PrepareBackupDir(const std::string& dir) {
  std::error_code ec;
  const fs::path path(dir);
  if (fs::exists(path, ec)) {
    if (!fs::is_directory(path, ec) || !fs::is_empty(path, ec)) {
      return Status::InvalidValue(dir + " exists and is not an empty directory");
    }
    fs::remove(path, ec);
    if (ec) return Status::IoError("cannot use " + dir + ": " + ec.message());
  }
  const fs::path parent = fs::absolute(path, ec).parent_path();
  if (!fs::is_directory(parent, ec)) {
    return Status::InvalidValue("the directory " + parent.string() + " does not exist");
  }
  return Status::Ok();
}

core::Result<BackupManifest> BackupStore(core::Store& store, const std::string& dir,
                                         int64_t now_unix) {
  SCIMD_RETURN_IF_ERROR(PrepareBackupDir(dir));
  SCIMD_RETURN_IF_ERROR(store.Checkpoint(dir));
  SCIMD_ASSIGN_OR_RETURN(BackupManifest m, DescribeCheckpoint(dir, now_unix));
  SCIMD_RETURN_IF_ERROR(WriteManifest(dir, m));
  return m;
}

core::Result<RestoreSummary> RestoreBackup(const std::string& backup_dir,
                                           const std::string& data_dir) {
  SCIMD_ASSIGN_OR_RETURN(BackupManifest m, ReadManifest(backup_dir));
  // Every file first, before anything is written.
  for (const auto& f : m.files) {
    const std::string path = backup_dir + "/" + f.name;
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) return Status::Corruption("the backup lacks " + f.name);
    if (size != f.bytes) {
      return Status::Corruption("the backup's " + f.name + " has " + std::to_string(size) +
                                " bytes, not " + std::to_string(f.bytes));
    }
    SCIMD_ASSIGN_OR_RETURN(std::string sum, FileSha256(path));
    if (sum != f.sha256)
      return Status::Corruption("the backup's " + f.name + " is damaged (SHA-256)");
  }
  std::error_code ec;
  if (fs::exists(data_dir, ec) && !(fs::is_directory(data_dir, ec) && fs::is_empty(data_dir, ec))) {
    return Status::InvalidValue(data_dir +
                                " exists and is not empty: restore into a new directory");
  }
  fs::create_directories(data_dir, ec);
  if (ec) return Status::IoError("cannot make " + data_dir + ": " + ec.message());
  auto fail = [&](Status s) {
    std::error_code ignored;
    for (const auto& f : m.files) fs::remove(fs::path(data_dir) / f.name, ignored);
    return s;
  };
  RestoreSummary summary;
  for (const auto& f : m.files) {
    const std::string to = data_dir + "/" + f.name;
    fs::copy_file(backup_dir + "/" + f.name, to, ec);
    if (ec) return fail(Status::IoError("cannot copy " + f.name + ": " + ec.message()));
    if (Status s = SyncPath(to, false); !s.ok()) return fail(s);
    ++summary.files;
    summary.bytes += f.bytes;
  }
  if (Status s = SyncPath(data_dir, true); !s.ok()) return fail(s);
  // It must open as a store, as scimd would open it.
  storage::RocksStore::Options options;
  options.create_if_missing = false;
  auto store = storage::RocksStore::Open(data_dir, options);
  if (!store.ok())
    return fail(Status::Corruption("the restored store does not open: " + store.status().detail()));
  auto tenants = (*store)->ListTenants();
  if (!tenants.ok()) return fail(tenants.status());
  summary.tenants = tenants->size();
  return summary;
}

}  // namespace scimd::tools
