// End-to-end tests of the client subcommands: the real CLI11 parsing and
// HTTP client against FakeDaemon on a loopback port.
#include "client/commands.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "fake_daemon.h"

namespace regionsync::client {
namespace {

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun RunCli(const std::vector<std::string>& args) {
  CLI::App app{"regionsync"};
  app.require_subcommand(1);
  std::ostringstream out, err;
  AddClientCommands(app, out, err);
  std::vector<const char*> argv{"regionsync"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::optional<int> code = ParseCommandLine(app, static_cast<int>(argv.size()), argv.data(), out, err);
  return {code.value_or(0), out.str(), err.str()};
}

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The developer's own settings must not leak into the tests.
    unsetenv("REGIONSYNC_URL");
    unsetenv("REGIONSYNC_TOKEN");
  }

  // Runs `args` against the fake daemon (--url after the (sub)command name).
  CliRun Cli(std::vector<std::string> args) {
    args.insert(args.begin() + (args[0] == "presence" ? 2 : 1), {"--url", daemon_.url()});
    return RunCli(args);
  }

  FakeDaemon daemon_;
};

TEST_F(CommandsTest, GetPrintsReadableAndJsonRaw) {
  const std::string body = R"({"key":"sessions","type":"pn_counter","value":42})";
  daemon_.Answer("GET /v1/keys/sessions", 200, body);
  CliRun readable = Cli({"get", "sessions"});
  EXPECT_EQ(readable.code, 0) << readable.err;
  EXPECT_EQ(readable.out, "sessions (pn_counter) = 42\n");

  CliRun raw = Cli({"get", "sessions", "--json"});
  EXPECT_EQ(raw.code, 0);
  EXPECT_EQ(raw.out, body + "\n");
}

TEST_F(CommandsTest, KeysListsThem) {
  daemon_.Answer("GET /v1/keys", 200, R"({"keys":[{"key":"a","type":"or_set"},{"key":"b","type":"ew_flag"}]})");
  CliRun r = Cli({"keys"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "a  or_set\nb  ew_flag\n");
}

TEST_F(CommandsTest, EveryWriteHitsItsRouteWithItsBody) {
  const std::string answer = R"({"key":"k","type":"pn_counter","value":1})";
  for (const char* route : {"POST /v1/keys/k%2F1/increment", "POST /v1/keys/k/decrement", "PUT /v1/keys/k",
                            "POST /v1/keys/k/add", "POST /v1/keys/k/remove", "POST /v1/keys/k/enable",
                            "POST /v1/keys/k/disable", "PUT /v1/keys/m/fields/f%20x",
                            "DELETE /v1/keys/m/fields/f", "POST /v1/keys/m/fields/n/increment"}) {
    daemon_.Answer(route, 200, answer);
  }
  std::vector<std::vector<std::string>> commands = {
      {"inc", "k/1"},
      {"dec", "k", "5"},
      {"set", "k", "hello world", "--timestamp", "1700000000000"},
      {"add", "k", "alice", "bob"},
      {"remove", "k", "alice"},
      {"enable", "k"},
      {"disable", "k"},
      {"set", "m", "v", "--field", "f x"},
      {"remove", "m", "--field", "f"},
      {"dec", "m", "2", "--field", "n"},
  };
  for (const auto& command : commands) {
    CliRun r = Cli(command);
    EXPECT_EQ(r.code, 0) << command[0] << ": " << r.err;
    EXPECT_EQ(r.out, "k (pn_counter) = 1\n") << command[0];
  }
  using nlohmann::json;
  std::vector<std::pair<std::string, json>> expected = {
      {"POST /v1/keys/k%2F1/increment", {{"by", 1}}},
      {"POST /v1/keys/k/decrement", {{"by", 5}}},
      {"PUT /v1/keys/k", {{"value", "hello world"}, {"timestamp", 1700000000000}}},
      {"POST /v1/keys/k/add", {{"element", "alice"}}},
      {"POST /v1/keys/k/add", {{"element", "bob"}}},
      {"POST /v1/keys/k/remove", {{"element", "alice"}}},
      {"POST /v1/keys/k/enable", json::object()},
      {"POST /v1/keys/k/disable", json::object()},
      {"PUT /v1/keys/m/fields/f%20x", {{"value", "v"}}},
      {"DELETE /v1/keys/m/fields/f", nullptr},
      {"POST /v1/keys/m/fields/n/increment", {{"by", -2}}},
  };
  std::vector<FakeDaemon::Seen> seen = daemon_.requests();
  ASSERT_EQ(seen.size(), expected.size());
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].method + " " + seen[i].target, expected[i].first);
    json body = seen[i].body.empty() ? json() : json::parse(seen[i].body);
    EXPECT_EQ(body, expected[i].second) << expected[i].first;
  }
}

TEST_F(CommandsTest, TypeChoicesFieldReadsAndKeyQueries) {
  daemon_.Answer("PUT /v1/keys/c", 200, R"({"key":"c","type":"mv_register","value":["red"]})");
  daemon_.Answer("POST /v1/keys/hits/increment", 200, R"({"key":"hits","type":"g_counter","value":3})");
  daemon_.Answer("GET /v1/keys/cfg/fields/a%2Fb", 200, R"({"key":"cfg","field":"a/b","value":"on"})");
  daemon_.Answer("GET /v1/keys?prefix=us%20east&limit=2", 200, R"({"keys":["us east/1","us east/2"],"count":3,"truncated":true})");
  CliRun set = Cli({"set", "c", "red", "--multi-value"});
  EXPECT_EQ(set.out, "c (mv_register) = \"red\"\n") << set.err;
  CliRun inc = Cli({"inc", "hits", "3", "--grow-only"});
  EXPECT_EQ(inc.out, "hits (g_counter) = 3\n") << inc.err;
  CliRun field = Cli({"get", "cfg", "--field", "a/b"});
  EXPECT_EQ(field.out, "cfg[a/b] = \"on\"\n") << field.err;
  CliRun keys = Cli({"keys", "--prefix", "us east", "--limit", "2"});
  EXPECT_EQ(keys.out, "us east/1\nus east/2\n(2 of 3 keys shown; raise --limit)\n") << keys.err;

  std::vector<FakeDaemon::Seen> seen = daemon_.requests();
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(nlohmann::json::parse(seen[0].body), (nlohmann::json{{"value", "red"}, {"type", "mv_register"}}));
  EXPECT_EQ(nlohmann::json::parse(seen[1].body), (nlohmann::json{{"by", 3}, {"type", "g_counter"}}));
  EXPECT_EQ(Cli({"set", "c", "x", "--multi-value", "--timestamp", "1"}).code, 2);
}

TEST_F(CommandsTest, TokenFromFlagOrEnvironmentBecomesBearer) {
  daemon_.Answer("GET /v1/keys/k", 200, R"({"key":"k","type":"ew_flag","value":true})");
  EXPECT_EQ(Cli({"get", "k", "--token", "flag-token"}).code, 0);
  setenv("REGIONSYNC_TOKEN", "env-token", 1);
  EXPECT_EQ(Cli({"get", "k"}).code, 0);
  unsetenv("REGIONSYNC_TOKEN");
  std::vector<FakeDaemon::Seen> seen = daemon_.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].authorization, "Bearer flag-token");
  EXPECT_EQ(seen[1].authorization, "Bearer env-token");
}

TEST_F(CommandsTest, UrlFromEnvironment) {
  daemon_.Answer("GET /v1/keys/k", 200, R"({"key":"k","type":"ew_flag","value":false})");
  setenv("REGIONSYNC_URL", daemon_.url().c_str(), 1);
  CliRun r = RunCli({"get", "k"});
  unsetenv("REGIONSYNC_URL");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "k (ew_flag) = disabled\n");
}

TEST_F(CommandsTest, DaemonErrorsPrintTheirMessageAndExitOne) {
  daemon_.Answer("POST /v1/keys/k/add", 409, R"({"error":"type_mismatch","message":"key 'k' holds a pn_counter, not an or_set"})");
  CliRun r = Cli({"add", "k", "x"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "regionsync add: key 'k' holds a pn_counter, not an or_set (HTTP 409)\n");

  daemon_.Answer("GET /v1/keys/nope", 404, R"({"error":"no key 'nope'"})");
  r = Cli({"get", "nope"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "regionsync get: no key 'nope' (HTTP 404)\n");
}

TEST_F(CommandsTest, UnreachableDaemonExitsTwo) {
  std::string url = "http://127.0.0.1:" + std::to_string(ClosedPort());
  for (const char* command : {"status", "watch"}) {
    CliRun r = RunCli({command, "--url", url});
    EXPECT_EQ(r.code, 2) << command;
    EXPECT_EQ(r.err.rfind(std::string("regionsync ") + command + ": cannot reach " + url + ": ", 0), 0u) << r.err;
  }
}

TEST_F(CommandsTest, UsageErrorsExitTwoAndHelpZero) {
  EXPECT_EQ(RunCli({"get"}).code, 2);                                  // missing key
  EXPECT_EQ(RunCli({"inc", "k", "notanumber"}).code, 2);               // bad amount
  EXPECT_EQ(RunCli({"get", "k", "--bogus"}).code, 2);                  // unknown flag
  EXPECT_EQ(RunCli({"get", "k", "--url", "ftp://x"}).code, 2);        // bad URL
  EXPECT_EQ(RunCli({"add", "k"}).code, 2);                             // no element
  EXPECT_EQ(RunCli({"remove", "k"}).code, 2);                          // neither element nor field
  EXPECT_EQ(RunCli({"set", "k", "v", "--field", "f", "--timestamp", "5"}).code, 2);
  EXPECT_EQ(RunCli({"set", "k", "v", "--timestamp", "-5"}).code, 2);
  EXPECT_EQ(RunCli({"frobnicate"}).code, 2);
  CliRun help = RunCli({"get", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("REGIONSYNC_URL"), std::string::npos) << help.out;
  EXPECT_TRUE(daemon_.requests().empty());  // none of these reached the network
}

TEST_F(CommandsTest, StatusShowsReplicaPeersAndOutbox) {
  daemon_.Answer("GET /v1/status", 200, R"({"replica":"us-east-1/a","epoch":7,"outbox_depth":0,
      "peers":[{"replica":"eu-west-1/a","epoch":3,"last_heard_ago_millis":200,"lag_millis":35}]})");
  CliRun r = Cli({"status"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "replica  us-east-1/a  epoch 7\n"
            "outbox   0 keys waiting to be published\n"
            "peers    1\n"
            "  eu-west-1/a  epoch 3  last heard 200 ms ago  lag 35 ms\n");
}

TEST_F(CommandsTest, WatchPrintsChangesReconnectsFromLastIdAndStopsAfterCount) {
  daemon_.Events({
      // retry: 1 keeps the reconnect in this test at 1 ms.
      "retry: 1\n: keep-alive\n\n"
      "id: 1\nevent: change\ndata: {\"key\":\"sessions\",\"origin\":\"us-west-2/a\",\"value\":41}\n\n"
      "event: hello\ndata: {\"replica\":\"us-east-1/a\"}\n\n"
      "id: 2\nevent: change\ndata: {\"key\":\"online\",\"origin\":\"eu-west-1/a\",\"value\":[\"ann\"]}\n\n",
      "id: 3\nevent: change\ndata: {\"key\":\"sessions\",\"origin\":\"us-east-1/a\",\"value\":42}\n\n"
      "id: 4\nevent: change\ndata: {\"key\":\"never\",\"origin\":\"x\",\"value\":0}\n\n",
  });
  CliRun r = Cli({"watch", "--count", "3"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "sessions us-west-2/a 41\n"
            "online eu-west-1/a [\"ann\"]\n"
            "sessions us-east-1/a 42\n");
  EXPECT_NE(r.err.find("hello"), std::string::npos) << r.err;
  std::vector<FakeDaemon::Seen> seen = daemon_.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].last_event_id, "");
  EXPECT_EQ(seen[1].last_event_id, "2");
}

TEST_F(CommandsTest, WatchFiltersKeysAndPrintsJsonLines) {
  daemon_.Events({"retry: 1\n\n"
                  "id: 8\ndata: {\"key\":\"a\",\"origin\":\"r\",\"value\":1}\n\n"
                  "id: 9\ndata: {\"key\":\"b\",\"origin\":\"r\",\"value\":2}\n\n"});
  CliRun r = Cli({"watch", "b", "--json", "--count", "1", "--since", "7"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"key\":\"b\",\"origin\":\"r\",\"value\":2}\n");
  ASSERT_EQ(daemon_.requests().size(), 1u);
  EXPECT_EQ(daemon_.requests()[0].last_event_id, "7");
}

TEST_F(CommandsTest, WatchStopsOnTheDaemonsError) {
  daemon_.Answer("GET /v1/events", 401, R"({"error":"bad token"})");
  CliRun r = Cli({"watch"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "regionsync watch: bad token (HTTP 401)\n");
}

const char kJoined[] = R"({"group":"room","member":"alice","replica":"us-east-1/a","meta":{"device":"phone"},
    "expires_at_ms":1765000000000,"joined":true})";
const char kRenewed[] = R"({"group":"room","member":"alice","replica":"us-east-1/a","meta":{},
    "expires_at_ms":1765000000000,"joined":false})";

TEST_F(CommandsTest, PresenceJoinSendsTtlAndMetaToTheEncodedPath) {
  daemon_.AnswerInTurn("PUT /v1/presence/a%20room/bob%2F1", {{200, kJoined}, {200, kRenewed}});
  CliRun joined = Cli({"presence", "join", "a room", "bob/1", "--meta", R"({"device":"phone"})"});
  EXPECT_EQ(joined.code, 0) << joined.err;
  EXPECT_EQ(joined.out, "joined alice in room (us-east-1/a) until 2025-12-06T05:46:40.000Z\n");
  CliRun renewed = Cli({"presence", "join", "a room", "bob/1", "--ttl-ms", "5000", "--json"});
  EXPECT_EQ(renewed.code, 0) << renewed.err;
  EXPECT_EQ(nlohmann::json::parse(renewed.out), nlohmann::json::parse(kRenewed));

  std::vector<FakeDaemon::Seen> seen = daemon_.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(seen[0].body),
            (nlohmann::json{{"ttl_ms", 30000}, {"meta", {{"device", "phone"}}}}));
  EXPECT_EQ(nlohmann::json::parse(seen[1].body), (nlohmann::json{{"ttl_ms", 5000}}));
}

TEST_F(CommandsTest, PresenceJoinRejectsMetaThatIsNotAJsonObject) {
  for (const char* meta : {"phone", R"(["phone"])", "", R"({"device":)"}) {
    CliRun r = Cli({"presence", "join", "room", "alice", "--meta", meta});
    EXPECT_EQ(r.code, 2) << meta;
    EXPECT_NE(r.err.find("--meta"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("must be a JSON object"), std::string::npos) << r.err;
  }
  EXPECT_EQ(Cli({"presence", "join", "room", "alice", "--ttl-ms", "0"}).code, 2);
  EXPECT_EQ(Cli({"presence", "join", "room"}).code, 2);
  EXPECT_EQ(Cli({"presence", "list"}).code, 2);
  EXPECT_EQ(RunCli({"presence"}).code, 2);
  EXPECT_TRUE(daemon_.requests().empty());
}

TEST_F(CommandsTest, PresenceLeaveSaysWhetherTheMemberWasThere) {
  daemon_.AnswerInTurn("DELETE /v1/presence/room/alice", {{200, R"({"group":"room","member":"alice","left":true})"},
                                                          {200, R"({"group":"room","member":"alice","left":false})"}});
  CliRun left = Cli({"presence", "leave", "room", "alice"});
  EXPECT_EQ(left.code, 0) << left.err;
  EXPECT_EQ(left.out, "left alice in room\n");
  CliRun absent = Cli({"presence", "leave", "room", "alice"});
  EXPECT_EQ(absent.code, 0) << absent.err;
  EXPECT_EQ(absent.out, "alice was not in room on this replica\n");
  ASSERT_EQ(daemon_.requests().size(), 2u);
  EXPECT_EQ(daemon_.requests()[0].body, "");
}

TEST_F(CommandsTest, PresenceListShowsATableOrTheCount) {
  // Far enough ahead that the seconds this test takes do not change "2.5 h".
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  nlohmann::json answer = {{"group", "room"},
                           {"members",
                            {{{"member", "alice"}, {"meta", {{"device", "phone"}}}, {"replica", "us-east-1/a"},
                              {"expires_at_ms", now + 9'000'000}},
                             {{"member", "bob"}, {"meta", nlohmann::json::object()}, {"replica", "eu-west-1/a"},
                              {"expires_at_ms", 0}}}}};
  daemon_.Answer("GET /v1/presence/room", 200, answer.dump());
  daemon_.Answer("GET /v1/presence/room/count", 200, R"({"group":"room","count":2})");
  CliRun list = Cli({"presence", "list", "room"});
  EXPECT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(list.out,
            "MEMBER  REPLICA      EXPIRES_IN  META\n"
            "alice   us-east-1/a  2.5 h       {\"device\":\"phone\"}\n"
            "bob     eu-west-1/a  expired     {}\n");
  CliRun count = Cli({"presence", "list", "room", "--count"});
  EXPECT_EQ(count.code, 0) << count.err;
  EXPECT_EQ(count.out, "2\n");
  CliRun raw = Cli({"presence", "list", "room", "--count", "--json"});
  EXPECT_EQ(raw.out, "{\"group\":\"room\",\"count\":2}\n");
}

TEST_F(CommandsTest, PresenceCommandsPrintTheDaemonsError) {
  daemon_.Answer("PUT /v1/presence/room/alice", 400, R"({"error":"ttl_ms must be at most 3600000"})");
  CliRun join = Cli({"presence", "join", "room", "alice", "--ttl-ms", "99999999"});
  EXPECT_EQ(join.code, 1);
  EXPECT_EQ(join.out, "");
  EXPECT_EQ(join.err, "regionsync presence join: ttl_ms must be at most 3600000 (HTTP 400)\n");
  daemon_.Answer("GET /v1/presence/room", 403, R"({"error":"token may not read presence"})");
  CliRun list = Cli({"presence", "list", "room"});
  EXPECT_EQ(list.code, 1);
  EXPECT_EQ(list.err, "regionsync presence list: token may not read presence (HTTP 403)\n");
  CliRun unreachable = RunCli({"presence", "leave", "--url", "http://127.0.0.1:" + std::to_string(ClosedPort()),
                               "room", "alice"});
  EXPECT_EQ(unreachable.code, 2);
  EXPECT_EQ(unreachable.err.rfind("regionsync presence leave: cannot reach ", 0), 0u) << unreachable.err;
}

TEST_F(CommandsTest, PresenceWatchPrintsJoinsAndLeavesOfItsGroup) {
  daemon_.Events({
      "retry: 1\n\n"
      "id: 5\nevent: presence\ndata: {\"group\":\"a room\",\"member\":\"alice\",\"replica\":\"us-east-1/a\","
      "\"action\":\"join\",\"meta\":{\"device\":\"phone\"},\"expires_at_ms\":1,\"origin\":\"us-east-1/a\","
      "\"local\":true}\n\n"
      "event: reset\ndata: {\"reason\":\"events after 5 were dropped\"}\n\n"
      "id: 6\nevent: change\ndata: {\"key\":\"k\",\"origin\":\"r\",\"value\":1}\n\n"
      "id: 7\nevent: presence\ndata: {\"group\":\"a room\",\"member\":\"alice\",\"replica\":\"us-east-1/a\","
      "\"action\":\"leave\",\"origin\":\"eu-west-1/a\",\"local\":false}\n\n",
  });
  CliRun r = Cli({"presence", "watch", "a room", "--count", "2"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "join alice us-east-1/a {\"device\":\"phone\"}\nleave alice us-east-1/a\n");
  EXPECT_EQ(r.err, "regionsync presence watch: reset: events after 5 were dropped\n");
  ASSERT_EQ(daemon_.requests().size(), 1u);
  EXPECT_EQ(daemon_.requests()[0].target, "/v1/events?presence=a%20room");
}

TEST_F(CommandsTest, WatchLeavesPresenceEventsToPresenceWatch) {
  daemon_.Events({"retry: 1\n\n"
                  "id: 1\nevent: presence\ndata: {\"group\":\"g\",\"member\":\"m\",\"action\":\"leave\"}\n\n"
                  "id: 2\nevent: change\ndata: {\"key\":\"k\",\"origin\":\"r\",\"value\":1}\n\n"});
  CliRun r = Cli({"watch", "--count", "1"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "k r 1\n");
  EXPECT_EQ(r.err, "");
}

// Runs `presence join --hold` on a thread of its own, so that the test can
// send it SIGTERM: the signal is blocked in that thread once it sent its
// first PUT, so it waits for the command and cannot end the test binary.
class HoldRun {
 public:
  explicit HoldRun(std::vector<std::string> args) : thread_([this, args] { result_ = RunCli(args); }) {}
  CliRun StopWith(int signal) {
    pthread_kill(thread_.native_handle(), signal);
    thread_.join();
    return result_;
  }
  CliRun Join() {
    thread_.join();
    return result_;
  }

 private:
  CliRun result_;
  std::thread thread_;
};

TEST_F(CommandsTest, PresenceHoldRenewsQuietlyAndLeavesOnSigterm) {
  const char* moved = R"({"group":"room","member":"alice","replica":"eu-west-1/a","expires_at_ms":1765000000000,
      "joined":false})";
  daemon_.AnswerInTurn("PUT /v1/presence/room/alice", {{200, kJoined}, {200, kRenewed}, {200, moved}, {200, moved}});
  daemon_.Answer("DELETE /v1/presence/room/alice", 200, R"({"group":"room","member":"alice","left":true})");
  // --ttl-ms 30: a renewal every 10 ms.
  HoldRun hold({"presence", "join", "--url", daemon_.url(), "room", "alice", "--ttl-ms", "30", "--hold"});
  ASSERT_TRUE(daemon_.WaitForRequests(5));
  CliRun r = hold.StopWith(SIGTERM);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "joined alice in room (us-east-1/a) until 2025-12-06T05:46:40.000Z\n"
            "renewed alice in room (eu-west-1/a) until 2025-12-06T05:46:40.000Z\n"
            "left alice in room\n");
  std::vector<FakeDaemon::Seen> seen = daemon_.requests();
  ASSERT_GE(seen.size(), 6u);
  for (size_t i = 0; i + 1 < seen.size(); ++i) {
    EXPECT_EQ(seen[i].method + " " + seen[i].body, R"(PUT {"ttl_ms":30})") << i;
  }
  EXPECT_EQ(seen.back().method + " " + seen.back().target, "DELETE /v1/presence/room/alice");
}

TEST_F(CommandsTest, PresenceHoldEndsOnAFailedRenewalWithoutLeaving) {
  daemon_.AnswerInTurn("PUT /v1/presence/room/alice",
                       {{200, kJoined}, {200, kRenewed}, {503, R"({"error":"replica is shutting down"})"}});
  HoldRun hold({"presence", "join", "--url", daemon_.url(), "room", "alice", "--ttl-ms", "3", "--hold", "--json"});
  CliRun r = hold.Join();
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(nlohmann::json::parse(r.out), nlohmann::json::parse(kJoined));  // the renewal changed nothing
  EXPECT_EQ(r.err, "regionsync presence join: replica is shutting down (HTTP 503)\n");
  EXPECT_EQ(daemon_.requests().size(), 3u);
}

}  // namespace
}  // namespace regionsync::client
