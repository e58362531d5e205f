// The etcd v3 JSON gateway client (etcd.h). Keys and values travel base64-encoded; 64-bit
// integers come back as strings.
#include "net/etcd.h"

#include <curl/curl.h>
#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/base/json.h"

namespace scimd::net {
using core::Json;
using core::Status;

namespace {

std::string Base64(const std::string& bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::string Unbase64(const std::string& text) {
  std::string out(text.size(), '\0');
  size_t n = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.c_str(),
                        text.size(), nullptr, &n, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return {};
  }
  out.resize(n);
  return out;
}

// The key after the last byte that starts with `prefix`: etcd's range_end for a prefix.
std::string PrefixEnd(std::string prefix) {
  prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

int64_t IntField(const Json& object, const char* name) {
  const Json* v = object.Find(name);
  if (v == nullptr) return 0;
  if (v->is_string()) return std::strtoll(v->as_string().c_str(), nullptr, 10);
  return 0;
}

}  // namespace

core::Result<std::string> Etcd::Call(const std::string& path, const std::string& body) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  std::string answer;
  const std::string url = url_ + path;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms_));
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) return Status::IoError("etcd at " + url_ + ": " + curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200)
    return Status::IoError("etcd " + path + " answered " + std::to_string(status) + ": " + answer);
  return answer;
}

core::Result<int64_t> Etcd::GrantLease(int64_t ttl_seconds) {
  SCIMD_ASSIGN_OR_RETURN(std::string answer,
                         Call("/v3/lease/grant", R"({"TTL":)" + std::to_string(ttl_seconds) + "}"));
  auto j = Json::Parse(answer);
  const Json* id = j.ok() && j->is_object() ? j->Find("ID") : nullptr;
  // The gateway writes 64-bit integers as strings.
  if (id == nullptr || !id->is_string()) return Status::IoError("etcd granted no lease: " + answer);
  return std::strtoll(id->as_string().c_str(), nullptr, 10);
}

core::Status Etcd::KeepAlive(int64_t lease) {
  SCIMD_ASSIGN_OR_RETURN(std::string answer,
                         Call("/v3/lease/keepalive", R"({"ID":")" + std::to_string(lease) + "\"}"));
  // An expired lease comes back without a TTL (or TTL 0).
  if (answer.find("\"TTL\"") == std::string::npos) return Status::NotFound("the lease expired");
  return Status::Ok();
}

core::Status Etcd::Revoke(int64_t lease) {
  return Call("/v3/lease/revoke", R"({"ID":")" + std::to_string(lease) + "\"}").status();
}

core::Status Etcd::Put(const std::string& key, const std::string& value, int64_t lease) {
  std::string body = R"({"key":")" + Base64(key) + R"(","value":")" + Base64(value) + "\"";
  if (lease != 0) body += R"(,"lease":")" + std::to_string(lease) + "\"";
  return Call("/v3/kv/put", body + "}").status();
}

core::Result<std::map<std::string, std::string>> Etcd::List(const std::string& prefix) {
  SCIMD_ASSIGN_OR_RETURN(
      std::string answer,
      Call("/v3/kv/range", R"({"key":")" + Base64(prefix) + R"(","range_end":")" +
                               Base64(PrefixEnd(prefix)) + "\"}"));
  auto j = Json::Parse(answer);
  if (!j.ok() || !j->is_object()) return Status::IoError("etcd's range answer is not JSON");
  std::map<std::string, std::string> out;
  if (const Json* kvs = j->Find("kvs"); kvs != nullptr && kvs->is_array()) {
    for (const Json& kv : kvs->as_array()) {
      const Json* k = kv.Find("key");
      const Json* v = kv.Find("value");
      if (k == nullptr || !k->is_string()) continue;
      out[Unbase64(k->as_string())] =
          v != nullptr && v->is_string() ? Unbase64(v->as_string()) : "";
    }
  }
  return out;
}

core::Status Etcd::Delete(const std::string& key) {
  return Call("/v3/kv/deleterange", R"({"key":")" + Base64(key) + "\"}").status();
}

core::Result<std::optional<Etcd::KeyValue>> Etcd::Get(const std::string& key) {
  SCIMD_ASSIGN_OR_RETURN(std::string answer,
                         Call("/v3/kv/range", R"({"key":")" + Base64(key) + "\"}"));
  auto j = Json::Parse(answer);
  if (!j.ok() || !j->is_object()) return Status::IoError("etcd's range answer is not JSON");
  const Json* kvs = j->Find("kvs");
  if (kvs == nullptr || !kvs->is_array() || kvs->as_array().empty()) {
    return std::optional<KeyValue>();
  }
  const Json& kv = kvs->as_array().front();
  KeyValue out;
  if (const Json* v = kv.Find("value"); v != nullptr && v->is_string()) {
    out.value = Unbase64(v->as_string());
  }
  out.create_revision = IntField(kv, "create_revision");
  out.lease = IntField(kv, "lease");
  return std::optional<KeyValue>(std::move(out));
}

core::Result<std::optional<int64_t>> Etcd::CreateIfAbsent(const std::string& key,
                                                          const std::string& value, int64_t lease) {
  const std::string k = Base64(key);
  const std::string body = R"({"compare":[{"result":"EQUAL","target":"CREATE","key":")" + k +
                           R"(","create_revision":"0"}],"success":[{"request_put":{"key":")" + k +
                           R"(","value":")" + Base64(value) + R"(","lease":")" +
                           std::to_string(lease) + R"("}}]})";
  SCIMD_ASSIGN_OR_RETURN(std::string answer, Call("/v3/kv/txn", body));
  auto j = Json::Parse(answer);
  if (!j.ok() || !j->is_object()) return Status::IoError("etcd's txn answer is not JSON");
  const Json* succeeded = j->Find("succeeded");
  if (succeeded == nullptr || !succeeded->is_bool() || !succeeded->as_bool()) {
    return std::optional<int64_t>();
  }
  const Json* header = j->Find("header");
  const int64_t revision = header != nullptr ? IntField(*header, "revision") : 0;
  if (revision <= 0) return Status::IoError("etcd's txn answer has no revision: " + answer);
  return std::optional<int64_t>(revision);
}

core::Status Etcd::DeleteIfCreatedAt(const std::string& key, int64_t create_revision) {
  const std::string k = Base64(key);
  const std::string body = R"({"compare":[{"result":"EQUAL","target":"CREATE","key":")" + k +
                           R"(","create_revision":")" + std::to_string(create_revision) +
                           R"("}],"success":[{"request_delete_range":{"key":")" + k + R"("}}]})";
  return Call("/v3/kv/txn", body).status();
}

}  // namespace scimd::net
