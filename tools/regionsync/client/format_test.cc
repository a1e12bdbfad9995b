#include "format.h"

#include <gtest/gtest.h>

namespace regionsync::client {
namespace {

using nlohmann::json;

std::string Key(const char* answer) { return FormatKey(json::parse(answer)); }

TEST(FormatKeyTest, Counters) {
  EXPECT_EQ(Key(R"({"key":"sessions","type":"pn_counter","value":42})"), "sessions (pn_counter) = 42\n");
  EXPECT_EQ(Key(R"({"key":"hits","type":"g_counter","value":0})"), "hits (g_counter) = 0\n");
  EXPECT_EQ(Key(R"({"key":"d","type":"pn_counter","value":-3})"), "d (pn_counter) = -3\n");
}

TEST(FormatKeyTest, LwwRegisterQuotesAndShowsUnset) {
  EXPECT_EQ(Key(R"({"key":"motd","type":"lww_register","value":"hello world"})"),
            "motd (lww_register) = \"hello world\"\n");
  EXPECT_EQ(Key(R"({"key":"motd","type":"lww_register","value":""})"), "motd (lww_register) = \"\"\n");
  EXPECT_EQ(Key(R"({"key":"motd","type":"lww_register","value":null})"), "motd (lww_register) = (unset)\n");
  EXPECT_EQ(Key(R"({"key":"m","type":"lww_register","value":"a\nb"})"), "m (lww_register) = \"a\\nb\"\n");
}

TEST(FormatKeyTest, MvRegisterShowsConcurrentValues) {
  EXPECT_EQ(Key(R"({"key":"c","type":"mv_register","value":["red"]})"), "c (mv_register) = \"red\"\n");
  EXPECT_EQ(Key(R"({"key":"c","type":"mv_register","value":["blue","red"]})"),
            "c (mv_register) = \"blue\" | \"red\"  (2 concurrent values)\n");
  EXPECT_EQ(Key(R"({"key":"c","type":"mv_register","value":[]})"), "c (mv_register) = (unset)\n");
}

TEST(FormatKeyTest, SetOneElementPerLine) {
  EXPECT_EQ(Key(R"({"key":"online","type":"or_set","value":["alice","bob smith"," pad","a,b"]})"),
            "online (or_set) = 4 elements\n"
            "  alice\n"
            "  bob smith\n"
            "  \" pad\"\n"
            "  \"a,b\"\n");
  EXPECT_EQ(Key(R"({"key":"online","type":"or_set","value":["x"]})"), "online (or_set) = 1 element\n  x\n");
  EXPECT_EQ(Key(R"({"key":"online","type":"or_set","value":[]})"), "online (or_set) = (empty)\n");
  EXPECT_EQ(Key(R"({"key":"z","type":"sorted_set","value":[["bob",-1.5],["a,b",2],["top","inf"]]})"),
            "z (sorted_set) = 3 members\n  bob = -1.5\n  \"a,b\" = 2\n  top = \"inf\"\n");
  EXPECT_EQ(Key(R"({"key":"z","type":"sorted_set","value":[]})"), "z (sorted_set) = (empty)\n");
}

TEST(FormatKeyTest, FlagReadsEnabledOrDisabled) {
  EXPECT_EQ(Key(R"({"key":"maint","type":"ew_flag","value":true})"), "maint (ew_flag) = enabled\n");
  EXPECT_EQ(Key(R"({"key":"maint","type":"ew_flag","value":false})"), "maint (ew_flag) = disabled\n");
}

TEST(FormatKeyTest, MapOneFieldPerLineWithInlineValues) {
  EXPECT_EQ(Key(R"({"key":"cfg","type":"or_map","value":{"limit":"10","regions":["eu","us"],"n":3,"on":true}})"),
            "cfg (or_map) = 4 fields\n"
            "  limit = \"10\"\n"
            "  n = 3\n"
            "  on = true\n"
            "  regions = [eu, us]\n");
  EXPECT_EQ(Key(R"({"key":"cfg","type":"or_map","value":{}})"), "cfg (or_map) = (empty)\n");
}

TEST(FormatKeyTest, ToleratesOddAnswers) {
  EXPECT_EQ(Key(R"({"ok":true})"), "OK\n");
  EXPECT_EQ(FormatKey(json()), "OK\n");
  EXPECT_EQ(Key(R"({"key":"x","type":"hyper_log_log","value":{"a":1}})"), "x (hyper_log_log) = 1 field\n  a = 1\n");
  EXPECT_EQ(Key(R"({"key":"x","value":5})"), "x = 5\n");
  EXPECT_EQ(Key(R"({"key":"a key","type":"g_counter","value":1})"), "a key (g_counter) = 1\n");
}

TEST(FormatKeyTest, MapFieldAndUnchangedWrites) {
  EXPECT_EQ(Key(R"({"key":"cfg","field":"limit","value":"10"})"), "cfg[limit] = \"10\"\n");
  EXPECT_EQ(Key(R"({"key":"s","type":"or_set","value":["a"],"changed":false})"),
            "s (or_set) = 1 element\n  a\n(nothing changed)\n");
  EXPECT_EQ(Key(R"({"key":"s","type":"or_set","value":["a"],"changed":true})"), "s (or_set) = 1 element\n  a\n");
}

TEST(FormatInlineValueTest, NestsCompactly) {
  EXPECT_EQ(FormatInlineValue(json::parse(R"({"a":[1,"x y"],"b":{"c":null}})")), "{a: [1, x y], b: {c: (unset)}}");
  EXPECT_EQ(FormatInlineValue(json::parse(R"(["", "a:b"])")), "[\"\", \"a:b\"]");
}

TEST(FormatKeyListTest, NamesWithTypesOrBare) {
  EXPECT_EQ(FormatKeyList(json::parse(R"({"keys":[{"key":"a","type":"or_set"},{"key":"b","type":"g_counter"}]})")),
            "a  or_set\nb  g_counter\n");
  EXPECT_EQ(FormatKeyList(json::parse(R"({"keys":["a","b"]})")), "a\nb\n");
  EXPECT_EQ(FormatKeyList(json::parse(R"(["a"])")), "a\n");
  EXPECT_EQ(FormatKeyList(json::parse(R"({"keys":[]})")), "(no keys)\n");
  EXPECT_EQ(FormatKeyList(json::parse(R"({"count":0})")), "{\"count\":0}\n");
  // The daemon's shape, cut at --limit.
  EXPECT_EQ(FormatKeyList(json::parse(R"({"keys":["a","b"],"count":5,"truncated":true})")),
            "a\nb\n(2 of 5 keys shown; raise --limit)\n");
}

TEST(FormatEventTest, KeyOriginCompactValue) {
  EXPECT_EQ(FormatEvent(json::parse(R"({"key":"sessions","type":"pn_counter","origin":"us-west-2/a","value":42})")),
            "sessions us-west-2/a 42\n");
  EXPECT_EQ(FormatEvent(json::parse(R"({"key":"online","origin":"eu-west-1/a","value":["a","b"]})")),
            "online eu-west-1/a [\"a\",\"b\"]\n");
  EXPECT_EQ(FormatEvent(json::parse(R"({"key":"a b","value":null})")), "\"a b\" - null\n");
  EXPECT_EQ(FormatEvent(json::parse(R"({"hello":1})")), "");
  EXPECT_EQ(FormatEvent(json::parse("3")), "");
}

TEST(FormatStatusTest, ReplicaOutboxPeersAndTheRest) {
  json status = json::parse(R"({
    "replica": "us-east-1/a", "epoch": 77, "outbox_depth": 3,
    "peers": [
      {"replica": "us-west-2/a", "epoch": 5, "last_heard_wall_millis": 998800, "lag_millis": 35, "messages": 10},
      {"replica": "eu-west-1/a", "epoch": 9, "last_heard_wall_millis": 0}
    ],
    "dead_letters": 0,
    "anti_entropy": {"rounds": 4}
  })");
  EXPECT_EQ(FormatStatus(status, 1'000'000),
            "replica  us-east-1/a  epoch 77\n"
            "outbox   3 keys waiting to be published\n"
            "peers    2\n"
            "  us-west-2/a  epoch 5  last heard 1.2 s ago  lag 35 ms  messages 10\n"
            "  eu-west-1/a  epoch 9  never heard\n"
            "anti_entropy: {rounds: 4}\n"
            "dead_letters: 0\n");
}

TEST(FormatStatusTest, AcceptsNestedReplicaAndPeersByName) {
  json status = json::parse(R"({
    "replica": {"name": "r/1", "epoch": 2},
    "peers": {"r/2": {"last_heard_ago_millis": 90000, "lag_ms": 1500}}
  })");
  EXPECT_EQ(FormatStatus(status, 0),
            "replica  r/1  epoch 2\n"
            "peers    1\n"
            "  r/2  last heard 1.5 min ago  lag 1.5 s\n");
}

TEST(FormatMillisTest, PicksAUnit) {
  EXPECT_EQ(FormatMillis(0), "0 ms");
  EXPECT_EQ(FormatMillis(999), "999 ms");
  EXPECT_EQ(FormatMillis(1000), "1.0 s");
  EXPECT_EQ(FormatMillis(-250), "-250 ms");
  EXPECT_EQ(FormatMillis(7'200'000), "2.0 h");
}

TEST(FormatUtcMillisTest, Iso8601Utc) {
  EXPECT_EQ(FormatUtcMillis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatUtcMillis(1'765'000'000'000), "2025-12-06T05:46:40.000Z");
  EXPECT_EQ(FormatUtcMillis(951'782'400'123), "2000-02-29T00:00:00.123Z");
  EXPECT_EQ(FormatUtcMillis(-1), "1969-12-31T23:59:59.999Z");
}

TEST(FormatPresenceTest, JoinedOrRenewedUntil) {
  EXPECT_EQ(FormatPresenceJoin(json::parse(R"({"group":"room","member":"alice","replica":"us-east-1/a",
                "meta":{},"expires_at_ms":1765000000000,"joined":true})")),
            "joined alice in room (us-east-1/a) until 2025-12-06T05:46:40.000Z\n");
  EXPECT_EQ(FormatPresenceJoin(json::parse(R"({"group":"room","member":"alice","replica":"r","expires_at_ms":0,
                "joined":false})")),
            "renewed alice in room (r) until 1970-01-01T00:00:00.000Z\n");
  EXPECT_EQ(FormatPresenceJoin(json::parse(R"({"group":"a room","member":"bob"})")), "joined bob in \"a room\"\n");
}

TEST(FormatPresenceTest, RenewalsAreQuietUnlessTheStateChanged) {
  json first = json::parse(R"({"replica":"us-east-1/a","joined":true})");
  EXPECT_TRUE(PresenceStateChanged(nullptr, json::parse(R"({"replica":"us-east-1/a","joined":false})")));
  EXPECT_FALSE(PresenceStateChanged(first, json::parse(R"({"replica":"us-east-1/a","joined":false})")));
  EXPECT_TRUE(PresenceStateChanged(first, json::parse(R"({"replica":"us-east-1/a","joined":true})")));
  EXPECT_TRUE(PresenceStateChanged(first, json::parse(R"({"replica":"eu-west-1/a","joined":false})")));
  EXPECT_TRUE(PresenceStateChanged(first, json::parse(R"({"joined":false})")));
}

TEST(FormatPresenceTest, LeftOrNotThere) {
  EXPECT_EQ(FormatPresenceLeave(json::parse(R"({"group":"room","member":"alice","left":true})")),
            "left alice in room\n");
  EXPECT_EQ(FormatPresenceLeave(json::parse(R"({"group":"room","member":"alice","left":false})")),
            "alice was not in room on this replica\n");
}

TEST(FormatPresenceTest, ListIsATableWithTimeLeft) {
  json answer = json::parse(R"({"group":"room","members":[
      {"member":"alice","meta":{"device":"phone"},"replica":"us-east-1/a","expires_at_ms":1012300},
      {"member":"alice","meta":{},"replica":"eu-west-1/a","expires_at_ms":999000},
      {"member":"bob smith","replica":"us-east-1/a"}]})");
  EXPECT_EQ(FormatPresenceList(answer, 1'000'000),
            "MEMBER       REPLICA      EXPIRES_IN  META\n"
            "alice        us-east-1/a  12.3 s      {\"device\":\"phone\"}\n"
            "alice        eu-west-1/a  expired     {}\n"
            "\"bob smith\"  us-east-1/a  -           {}\n");
  EXPECT_EQ(FormatPresenceList(json::parse(R"({"group":"room","members":[]})"), 0), "(no members)\n");
  EXPECT_EQ(FormatPresenceList(json::parse(R"({"oops":1})"), 0), "{\"oops\":1}\n");
  EXPECT_EQ(FormatPresenceCount(json::parse(R"({"group":"room","count":3})")), "3\n");
}

TEST(FormatPresenceTest, EventLines) {
  EXPECT_EQ(FormatPresenceEvent(json::parse(R"({"group":"room","member":"alice","replica":"us-east-1/a",
                "action":"join","meta":{"device":"phone"},"expires_at_ms":5,"origin":"us-east-1/a","local":true})")),
            "join alice us-east-1/a {\"device\":\"phone\"}\n");
  EXPECT_EQ(FormatPresenceEvent(json::parse(R"({"group":"room","member":"alice","replica":"us-east-1/a",
                "action":"leave","origin":"eu-west-1/a","local":false})")),
            "leave alice us-east-1/a\n");
  EXPECT_EQ(FormatPresenceEvent(json::parse(R"({"member":"a b","replica":"r","action":"join"})")),
            "join \"a b\" r {}\n");
  EXPECT_EQ(FormatPresenceEvent(json::parse(R"({"key":"k"})")), "");
}

}  // namespace
}  // namespace regionsync::client
