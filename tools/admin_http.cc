#include "tools/admin_http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

namespace scimd::tools {

namespace {

using core::Status;

// An admin call takes at most this long: an index build answers at once (it runs in the
// background); a purge or a reindex of a large tenant may take minutes.
constexpr long kTimeoutSeconds = 3600;

size_t Sink(char* data, size_t size, size_t n, void* x) {
  auto* exchange = static_cast<AdminHttp::Exchange*>(x);
  long status = 0;
  curl_easy_getinfo(static_cast<CURL*>(exchange->curl), CURLINFO_RESPONSE_CODE, &status);
  return exchange->sink(status, std::string_view(data, size * n)) ? size * n : 0;
}

size_t Header(char* data, size_t size, size_t n, void* out) {
  std::string_view line(data, size * n);
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = std::string(value);
  }
  return size * n;
}

}  // namespace

AdminHttp::AdminHttp(std::string url, std::string token, std::string ca_file)
    : url_(std::move(url)), token_(std::move(token)), ca_file_(std::move(ca_file)) {
  while (!url_.empty() && url_.back() == '/') url_.pop_back();
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

core::Result<long> AdminHttp::Perform(Exchange& x) const {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Status::Internal("libcurl did not start");
  x.curl = curl.get();
  const std::string url = url_ + "/admin/v1" + x.path;
  const std::string auth = "Authorization: Bearer " + token_;
  const std::string type = std::string("Content-Type: ") + x.content_type;
  curl_slist* headers = curl_slist_append(nullptr, auth.c_str());
  headers = curl_slist_append(headers, type.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> owned(headers, curl_slist_free_all);
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, x.method);
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  if (x.has_body) {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, x.body.data());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(x.body.size()));
  }
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Sink);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &x);
  if (x.headers != nullptr) {
    curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, Header);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, x.headers);
  }
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, kTimeoutSeconds);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  if (!ca_file_.empty()) curl_easy_setopt(curl.get(), CURLOPT_CAINFO, ca_file_.c_str());
  const CURLcode rc = curl_easy_perform(curl.get());
  x.curl = nullptr;
  if (rc != CURLE_OK) {
    return Status::IoError("the admin API at " + url_ + " failed: " + curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  return status;
}

}  // namespace scimd::tools
