#include "http_client.h"

#include <gtest/gtest.h>

#include "fake_daemon.h"

namespace regionsync::client {
namespace {

TEST(HttpErrorStatusTest, MapsEachDocumentedStatus) {
  struct Case {
    int http;
    StatusCode code;
  } cases[] = {{400, StatusCode::kInvalidArgument}, {401, StatusCode::kPermissionDenied},
               {404, StatusCode::kNotFound},        {409, StatusCode::kTypeMismatch},
               {413, StatusCode::kResourceExhausted}, {500, StatusCode::kInternal},
               {503, StatusCode::kInternal}};
  for (const Case& c : cases) {
    // The shape regionsyncd sends.
    Status s = HttpErrorStatus(c.http, R"({"error":"some_name","message":"boom"})");
    EXPECT_EQ(s.code(), c.code) << c.http;
    EXPECT_EQ(s.message(), "boom (HTTP " + std::to_string(c.http) + ")");
    EXPECT_EQ(ExitCodeFor(s), 1) << c.http;
  }
}

TEST(HttpErrorStatusTest, FallsBackWhenTheBodyIsNotAJsonError) {
  EXPECT_EQ(HttpErrorStatus(401, "").message(), "unauthorized (set --token or REGIONSYNC_TOKEN) (HTTP 401)");
  EXPECT_EQ(HttpErrorStatus(502, "<html>Bad Gateway</html>\nmore").message(), "<html>Bad Gateway</html> (HTTP 502)");
  EXPECT_EQ(HttpErrorStatus(404, R"({"error":"no key 'k'"})").message(), "no key 'k' (HTTP 404)");
  EXPECT_EQ(HttpErrorStatus(404, R"({"reason":"x"})").message(), "not found (HTTP 404)");
  EXPECT_EQ(HttpErrorStatus(409, R"({"error":{"code":7}})").message(), "{\"code\":7} (HTTP 409)");
}

TEST(ExitCodeForTest, UnreachableAndBadUrlAreTwo) {
  EXPECT_EQ(ExitCodeFor(Status::Ok()), 0);
  EXPECT_EQ(ExitCodeFor(Unavailable("cannot reach x")), 2);
  EXPECT_EQ(ExitCodeFor(InvalidArgument("URL 'x': bad port")), 2);
  EXPECT_EQ(ExitCodeFor(InvalidArgument("bad value (HTTP 400)")), 1);
  EXPECT_EQ(ExitCodeFor(Internal("not JSON")), 1);
}

TEST(ApiClientTest, ConnectionRefusedIsUnavailableNamingTheUrl) {
  std::string url = "http://127.0.0.1:" + std::to_string(ClosedPort());
  Result<ApiClient> api = ApiClient::Create({.url = url});
  ASSERT_TRUE(api.ok());
  Result<ApiAnswer> answer = api->Call("GET", "/v1/status");
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(answer.status().message().rfind("cannot reach " + url + ": ", 0), 0u) << answer.status().message();
}

TEST(ApiClientTest, BadUrlIsRejectedBeforeAnyRequest) {
  Result<ApiClient> api = ApiClient::Create({.url = "ftp://x"});
  ASSERT_FALSE(api.ok());
  EXPECT_EQ(ExitCodeFor(api.status()), 2);
}

TEST(ApiClientTest, SendsTokenJsonBodyAndPrefixAndParsesTheAnswer) {
  FakeDaemon daemon;
  daemon.Answer("POST /api/v1/keys/a%2Fb/increment", 200, R"({"key":"a/b","type":"pn_counter","value":5})");
  Result<ApiClient> api = ApiClient::Create({.url = daemon.url() + "/api", .token = "s3cret"});
  ASSERT_TRUE(api.ok());
  nlohmann::json body = {{"by", 5}};
  Result<ApiAnswer> answer = api->Call("POST", KeyPath("a/b", "increment"), &body);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->http_status, 200);
  EXPECT_EQ(answer->json["value"], 5);
  std::vector<FakeDaemon::Seen> seen = daemon.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].target, "/api/v1/keys/a%2Fb/increment");
  EXPECT_EQ(seen[0].authorization, "Bearer s3cret");
  EXPECT_EQ(nlohmann::json::parse(seen[0].body), body);
}

TEST(ApiClientTest, ErrorAnswersAndNonJsonSuccessBecomeStatuses) {
  FakeDaemon daemon;
  daemon.Answer("GET /v1/keys/k", 409, R"({"error":"type_mismatch","message":"key 'k' holds a pn_counter"})");
  daemon.Answer("GET /v1/keys/html", 200, "<html>hi</html>");
  daemon.Answer("GET /v1/keys/empty", 200, "");
  Result<ApiClient> api = ApiClient::Create({.url = daemon.url()});
  ASSERT_TRUE(api.ok());

  Result<ApiAnswer> conflict = api->Call("GET", KeyPath("k"));
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), StatusCode::kTypeMismatch);
  EXPECT_EQ(conflict.status().message(), "key 'k' holds a pn_counter (HTTP 409)");

  Result<ApiAnswer> html = api->Call("GET", KeyPath("html"));
  ASSERT_FALSE(html.ok());
  EXPECT_EQ(html.status().code(), StatusCode::kInternal);

  Result<ApiAnswer> empty = api->Call("GET", KeyPath("empty"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->json.is_null());
}

TEST(ApiClientTest, StreamSendsLastEventIdAndDeliversChunks) {
  FakeDaemon daemon;
  daemon.Events({"id: 1\ndata: {\"key\":\"a\"}\n\n"});
  Result<ApiClient> api = ApiClient::Create({.url = daemon.url()});
  ASSERT_TRUE(api.ok());
  std::string received;
  bool connected = false;
  Status s = api->Stream("/v1/events", "17", [&](std::string_view chunk) {
    received.append(chunk);
    return true;
  }, &connected);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(connected);
  EXPECT_EQ(received, "id: 1\ndata: {\"key\":\"a\"}\n\n");
  ASSERT_EQ(daemon.requests().size(), 1u);
  EXPECT_EQ(daemon.requests()[0].last_event_id, "17");
}

TEST(ApiClientTest, StreamReportsTheDaemonsError) {
  FakeDaemon daemon;
  daemon.Answer("GET /v1/events", 401, R"({"error":"missing bearer token"})");
  Result<ApiClient> api = ApiClient::Create({.url = daemon.url()});
  ASSERT_TRUE(api.ok());
  bool connected = true;
  Status s = api->Stream("/v1/events", "", [](std::string_view) { return true; }, &connected);
  EXPECT_FALSE(connected);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "missing bearer token (HTTP 401)");
}

}  // namespace
}  // namespace regionsync::client
