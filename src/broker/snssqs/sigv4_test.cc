// SigV4 against the examples AWS publishes:
//  - the "Signature Version 4 test suite" (docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html,
//    the 2015-08-30 edition, also shipped as awslabs/aws-c-auth tests/aws-signing-test-suite/v4/):
//    get-vanilla, get-vanilla-query-order-key-case, get-utf8, post-x-www-form-urlencoded;
//  - the worked IAM ListUsers example of "Create a signed AWS API request"
//    (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html, formerly
//    general/latest/gr/sigv4-calculate-signature.html): signing key and signature.
// Credentials in all of them: AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20150830T123600Z.
#include "regionsync/broker/snssqs/sigv4.h"

#include <gtest/gtest.h>

namespace regionsync {
namespace {

const AwsCredentials kExample{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
constexpr char kEmptySha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// 2015-08-30T12:36:00Z
constexpr uint64_t kExampleMillis = 1440938160000ull;

HttpRequest SuiteRequest(std::string method, std::string url) {
  HttpRequest r{.method = std::move(method), .url = std::move(url)};
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  return r;
}

TEST(SigV4, AmzDateOfTheExampleTime) { EXPECT_EQ(AmzDate(kExampleMillis), "20150830T123600Z"); }

TEST(SigV4, GetVanilla) {
  SigV4Parts p = SigV4Compute(SuiteRequest("GET", "https://example.amazonaws.com/"), kExample, "us-east-1", "service");
  EXPECT_EQ(p.canonical_request, std::string("GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                                             "host;x-amz-date\n") + kEmptySha);
  EXPECT_EQ(p.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(p.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(p.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4, GetVanillaQueryOrderKeyCase) {
  SigV4Parts p = SigV4Compute(SuiteRequest("GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1"),
                              kExample, "us-east-1", "service");
  EXPECT_NE(p.canonical_request.find("\nParam1=value1&Param2=value2\n"), std::string::npos);
  EXPECT_EQ(p.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4, GetUtf8Path) {
  SigV4Parts p =
      SigV4Compute(SuiteRequest("GET", "https://example.amazonaws.com/\xE1\x88\xB4"), kExample, "us-east-1", "service");
  EXPECT_TRUE(p.canonical_request.starts_with("GET\n/%E1%88%B4\n"));
  EXPECT_EQ(p.signature, "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
}

TEST(SigV4, PostFormUrlencoded) {
  HttpRequest r = SuiteRequest("POST", "https://example.amazonaws.com/");
  r.headers.insert(r.headers.begin(), {"Content-Type", "application/x-www-form-urlencoded"});
  r.body = "Param1=value1";
  SigV4Parts p = SigV4Compute(r, kExample, "us-east-1", "service");
  EXPECT_EQ(p.canonical_request,
            "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
            "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  EXPECT_TRUE(p.string_to_sign.ends_with("42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281"));
  EXPECT_EQ(p.signature, "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST(SigV4, IamListUsersExample) {
  EXPECT_EQ(HexEncode(SigV4SigningKey(kExample.secret_access_key, "20150830", "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
  HttpRequest r{.method = "GET", .url = "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08"};
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
               {"Host", "iam.amazonaws.com"},
               {"X-Amz-Date", "20150830T123600Z"}};
  SigV4Parts p = SigV4Compute(r, kExample, "us-east-1", "iam");
  EXPECT_TRUE(p.string_to_sign.ends_with("f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"));
  EXPECT_EQ(p.signature, "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(SigV4, SignAddsHeadersFromUrlAndTime) {
  HttpRequest r{.url = "http://127.0.0.1:4566/", .body = "Action=ListTopics"};
  SigV4Sign(&r, {"AKID", "secret", "token"}, "eu-west-1", "sns", kExampleMillis);
  EXPECT_EQ(r.headers.size(), 4u);
  auto header = [&](std::string_view n) {
    for (auto& [k, v] : r.headers) if (HeaderNameEquals(k, n)) return v;
    return std::string();
  };
  EXPECT_EQ(header("host"), "127.0.0.1:4566");
  EXPECT_EQ(header("x-amz-date"), "20150830T123600Z");
  EXPECT_EQ(header("x-amz-security-token"), "token");
  EXPECT_NE(header("authorization").find("SignedHeaders=host;x-amz-date;x-amz-security-token,"), std::string::npos);
  // Re-signing replaces, never duplicates.
  SigV4Sign(&r, {"AKID", "secret", "token"}, "eu-west-1", "sns", kExampleMillis + 1000);
  EXPECT_EQ(r.headers.size(), 4u);
  EXPECT_EQ(header("x-amz-date"), "20150830T123601Z");
}

TEST(SigV4, ParseUrl) {
  Result<ParsedUrl> u = ParseUrl("https://SQS.us-east-1.amazonaws.com:443/123/q?x=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "sqs.us-east-1.amazonaws.com");
  EXPECT_EQ(u->path, "/123/q");
  EXPECT_EQ(u->query, "x=1");
  EXPECT_FALSE(ParseUrl("ftp://x/").ok());
  EXPECT_FALSE(ParseUrl("no-scheme").ok());
  EXPECT_FALSE(ParseUrl("http:///path").ok());
}

TEST(SigV4, UriEncode) {
  EXPECT_EQ(AwsUriEncode("a b+c/~"), "a%20b%2Bc%2F~");
  EXPECT_EQ(AwsUriEncode("/a b", true), "/a%20b");
}

}  // namespace
}  // namespace regionsync
