#include "url.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace regionsync::client {
namespace {

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

TEST(ParseBaseUrlTest, AcceptsSchemeHostPortAndPrefix) {
  Result<BaseUrl> a = ParseBaseUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->origin, "http://127.0.0.1:8080");
  EXPECT_EQ(a->path_prefix, "");

  Result<BaseUrl> b = ParseBaseUrl("https://sync.example.com/api/");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->origin, "https://sync.example.com");
  EXPECT_EQ(b->path_prefix, "/api");

  Result<BaseUrl> c = ParseBaseUrl("localhost:9000");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->origin, "http://localhost:9000");

  Result<BaseUrl> d = ParseBaseUrl("HTTP://[::1]:8081");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->origin, "http://[::1]:8081");

  Result<BaseUrl> e = ParseBaseUrl("http://[::1]");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->origin, "http://[::1]");
}

TEST(ParseBaseUrlTest, RejectsWhatCannotBeABaseUrl) {
  for (const char* bad : {"", "ftp://host", "http://", "http://:80", "http://host:0", "http://host:65536",
                          "http://host:8o", "http://host:", "http://host/x?y=1", "http://host#f",
                          "http://user:pw@host"}) {
    Result<BaseUrl> r = ParseBaseUrl(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
}

TEST(PercentEncodeTest, KeepsUnreservedEncodesTheRest) {
  EXPECT_EQ(PercentEncode("sessions-us_1.x~"), "sessions-us_1.x~");
  EXPECT_EQ(PercentEncode("a/b c?d#e%f+g"), "a%2Fb%20c%3Fd%23e%25f%2Bg");
  EXPECT_EQ(PercentEncode("caf\xC3\xA9"), "caf%C3%A9");
  EXPECT_EQ(PercentEncode(std::string("\0x", 2)), "%00x");
  // Dot segments would be collapsed by URL normalisation.
  EXPECT_EQ(PercentEncode("."), "%2E");
  EXPECT_EQ(PercentEncode(".."), "%2E%2E");
  EXPECT_EQ(PercentEncode("..."), "...");
}

TEST(PathTest, BuildsEveryRoute) {
  EXPECT_EQ(KeyPath("sessions"), "/v1/keys/sessions");
  EXPECT_EQ(KeyPath("a/b", "increment"), "/v1/keys/a%2Fb/increment");
  EXPECT_EQ(FieldPath("cfg", "x y"), "/v1/keys/cfg/fields/x%20y");
  EXPECT_EQ(FieldPath("c/f", "n/m", "increment"), "/v1/keys/c%2Ff/fields/n%2Fm/increment");
}

RC_GTEST_PROP(PercentEncodeTest, IsOneSegmentAndDecodesBack, (const std::string& key)) {
  std::string encoded = PercentEncode(key);
  for (char c : encoded) {
    RC_ASSERT(c != '/' && c != '?' && c != '#' && c != ' ' && static_cast<unsigned char>(c) < 0x80);
  }
  RC_ASSERT(PercentDecode(encoded) == key);
}

}  // namespace
}  // namespace regionsync::client
