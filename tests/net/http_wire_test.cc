// Response serialization without sockets: heads, framing choices, chunk sizes, SCIM errors.
#include "net/http_wire.h"

#include <gtest/gtest.h>

#include <string>

namespace scimd::net {
namespace {

constexpr std::string_view kDate = "Sun, 06 Nov 1994 08:49:37 GMT";

TEST(HttpWireTest, HeadWithContentLength) {
  HttpResponse r;
  r.status = 201;
  r.SetHeader("Location", "/Users/1");
  r.SetHeader("content-length", "999");      // dropped: framing is the server's
  r.SetHeader("Transfer-Encoding", "gzip");  // dropped
  r.body = "abc";
  std::string out;
  ResponseHead head = AppendResponseHead(out, r, /*keep_alive=*/true, /*http10=*/false, kDate);
  EXPECT_EQ(head.framing, BodyFraming::kContentLength);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_EQ(out,
            "HTTP/1.1 201 Created\r\nLocation: /Users/1\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 3\r\n\r\n");
}

TEST(HttpWireTest, NoContentHasNoLengthAndHandlerCloseIsHonoured) {
  HttpResponse r;
  r.status = 204;
  r.body = "ignored";
  r.SetHeader("Connection", "keep-alive, Close");
  std::string out;
  ResponseHead head = AppendResponseHead(out, r, true, false, kDate);
  EXPECT_EQ(head.framing, BodyFraming::kNone);
  EXPECT_FALSE(head.keep_alive);
  EXPECT_EQ(out,
            "HTTP/1.1 204 No Content\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Connection: close\r\n\r\n");
}

TEST(HttpWireTest, StreamFramingDependsOnVersion) {
  HttpResponse r;
  r.stream = [](std::string&) { return false; };
  std::string out11;
  EXPECT_EQ(AppendResponseHead(out11, r, true, false, kDate).framing, BodyFraming::kChunked);
  EXPECT_NE(out11.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_EQ(out11.find("Content-Length"), std::string::npos);

  std::string out10;
  ResponseHead head = AppendResponseHead(out10, r, true, true, kDate);
  EXPECT_EQ(head.framing, BodyFraming::kUntilClose);
  EXPECT_FALSE(head.keep_alive);
  EXPECT_EQ(out10.find("Transfer-Encoding"), std::string::npos);
  EXPECT_NE(out10.find("Connection: close\r\n"), std::string::npos);
}

TEST(HttpWireTest, Http10KeepAliveIsAnnounced) {
  HttpResponse r;
  std::string out;
  EXPECT_TRUE(AppendResponseHead(out, r, true, true, kDate).keep_alive);
  EXPECT_NE(out.find("Connection: keep-alive\r\n"), std::string::npos);
}

TEST(HttpWireTest, InvalidStatusBecomes500) {
  HttpResponse r;
  r.status = 42;
  std::string out;
  AppendResponseHead(out, r, true, false, kDate);
  EXPECT_EQ(out.rfind("HTTP/1.1 500 Internal Server Error\r\n", 0), 0u);
}

TEST(HttpWireTest, ChunkSizeLine) {
  char buf[24];
  EXPECT_EQ(std::string(buf, FormatChunkSize(0, buf)), "0\r\n");
  EXPECT_EQ(std::string(buf, FormatChunkSize(65536, buf)), "10000\r\n");
  EXPECT_EQ(std::string(buf, FormatChunkSize(255, buf)), "ff\r\n");
}

TEST(HttpWireTest, ScimErrorBodyEscapesDetail) {
  EXPECT_EQ(ScimErrorBody(413, "request body exceeds the 8388608-byte limit"),
            R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"413",)"
            R"("detail":"request body exceeds the 8388608-byte limit"})");
  EXPECT_EQ(ScimErrorBody(400, "a \"b\" \\ \n"),
            R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400",)"
            R"("detail":"a \"b\" \\ \n"})");
}

TEST(HttpWireTest, ScimErrorResponseIsComplete) {
  std::string out = ScimErrorResponse(503, "busy", kDate, /*close=*/true);
  std::string body = ScimErrorBody(503, "busy");
  EXPECT_EQ(out,
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/scim+json\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
}

TEST(HttpWireTest, DateCacheFormatsImfFixdate) {
  DateCache cache;
  std::string_view now = cache.Now();
  ASSERT_EQ(now.size(), 29u);
  EXPECT_EQ(now.substr(3, 2), ", ");
  EXPECT_EQ(now.substr(25), " GMT");
}

TEST(HttpWireTest, ReasonPhrases) {
  EXPECT_EQ(ReasonPhrase(200), "OK");
  EXPECT_EQ(ReasonPhrase(413), "Content Too Large");
  EXPECT_EQ(ReasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(ReasonPhrase(799), "Unknown");
}

}  // namespace
}  // namespace scimd::net
