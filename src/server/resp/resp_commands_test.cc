// The Redis command layer on a simulated node: exact reply bytes, errors worded
// as Redis words them, nothing changed by a failed command.
#include "regionsync/server/resp/resp_commands.h"

#include <gtest/gtest.h>

#include <set>

#include "regionsync/broker/inproc_broker.h"

namespace regionsync {
namespace {

class RespCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(keys_.Add({"k", "resp-commands-test-secret"}).ok());
    ASSERT_TRUE(node_.Start().ok());
  }
  void TearDown() override { (void)node_.Stop(); }

  // Runs one command and returns its reply bytes.
  std::string Run(std::vector<std::string> args, RespSession* session = nullptr, RespCommands* commands = nullptr) {
    std::string out;
    RespSession& s = session ? *session : session_;
    RespWriter w(&out, s.protocol);
    std::lock_guard lock(node_.mutex());
    (commands ? *commands : commands_).Execute(s, args, w);
    return out;
  }
  Replica& replica() { return node_.replica(); }

  SimEnv env_{11};
  InprocNetwork net_{&env_};
  KeyRing keys_;
  std::unique_ptr<Store> store_ = NewMemoryStore();
  std::unique_ptr<Broker> broker_ = net_.Connect("us-east-1/a");
  SyncNode node_{&env_, store_.get(), broker_.get(), &keys_, {.name = "us-east-1/a"}};
  RespServerStats stats_;
  RespCommands commands_{&node_, &env_, &stats_, {}};
  RespSession session_;
  RespSession other_{.id = 2};  // a second client
};

const std::string kWrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

TEST_F(RespCommandsTest, HashFieldExpiryAnswersAsRedis74Does) {
  const uint64_t now = env_.WallMillis();
  EXPECT_EQ(Run({"HEXPIRE", "h", "10", "FIELDS", "2", "a", "b"}), "*2\r\n:-2\r\n:-2\r\n") << "no key";
  EXPECT_EQ(Run({"HSET", "h", "a", "1", "b", "2", "c", "3"}), ":3\r\n");
  EXPECT_EQ(Run({"HEXPIRE", "h", "10", "FIELDS", "2", "a", "zz"}), "*2\r\n:1\r\n:-2\r\n");
  EXPECT_EQ(Run({"HTTL", "h", "FIELDS", "3", "a", "b", "zz"}), "*3\r\n:10\r\n:-1\r\n:-2\r\n");
  EXPECT_EQ(Run({"HPTTL", "h", "FIELDS", "1", "a"}), "*1\r\n:10000\r\n");
  EXPECT_EQ(Run({"HPEXPIRETIME", "h", "FIELDS", "1", "a"}), "*1\r\n:" + std::to_string(now + 10000) + "\r\n");
  EXPECT_EQ(Run({"HEXPIRETIME", "h", "FIELDS", "1", "a"}), "*1\r\n:" + std::to_string((now + 10000 + 999) / 1000) + "\r\n");
  // NX / XX / GT / LT per field; no expiry counts as infinite.
  EXPECT_EQ(Run({"HPEXPIRE", "h", "5000", "NX", "FIELDS", "2", "a", "b"}), "*2\r\n:0\r\n:1\r\n");
  EXPECT_EQ(Run({"HPEXPIRE", "h", "20000", "XX", "FIELDS", "2", "a", "c"}), "*2\r\n:1\r\n:0\r\n");
  EXPECT_EQ(Run({"HPEXPIRE", "h", "1000", "GT", "FIELDS", "2", "a", "c"}), "*2\r\n:0\r\n:0\r\n");
  EXPECT_EQ(Run({"HPEXPIRE", "h", "1000", "LT", "FIELDS", "2", "a", "c"}), "*2\r\n:1\r\n:1\r\n");
  EXPECT_EQ(Run({"HPERSIST", "h", "FIELDS", "3", "a", "zz", "a"}), "*3\r\n:1\r\n:-2\r\n:-1\r\n");
  EXPECT_EQ(Run({"HEXPIREAT", "h", std::to_string(now / 1000 + 100), "FIELDS", "1", "a"}), "*1\r\n:1\r\n");
  // A time already past deletes the field (2).
  EXPECT_EQ(Run({"HEXPIRE", "h", "0", "FIELDS", "1", "a"}), "*1\r\n:2\r\n");
  EXPECT_EQ(Run({"HEXISTS", "h", "a"}), ":0\r\n");
  // b and c expire in 5 s and 1 s: gone from every read, the hash with them.
  env_.RunFor(5'000'000);
  EXPECT_EQ(Run({"HGETALL", "h"}), "*0\r\n");
  EXPECT_EQ(Run({"EXISTS", "h"}), ":0\r\n");
  EXPECT_EQ(Run({"HINCRBY", "h", "b", "4"}), ":4\r\n") << "a fresh field";
  EXPECT_EQ(Run({"HTTL", "h", "FIELDS", "1", "b"}), "*1\r\n:-1\r\n");
  // Errors, as Redis 7.4 words them; nothing changes.
  EXPECT_EQ(Run({"HEXPIRE", "h", "x", "FIELDS", "1", "b"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"HEXPIRE", "h", "-1", "FIELDS", "1", "b"}), "-ERR invalid expire time, must be >= 0\r\n");
  EXPECT_EQ(Run({"HEXPIRE", "h", "99999999999", "FIELDS", "1", "b"}), "-ERR invalid expire time in 'hexpire' command\r\n");
  EXPECT_EQ(Run({"HEXPIRE", "h", "10", "FOO", "1", "b"}),
            "-ERR Mandatory argument FIELDS is missing or not at the right position\r\n");
  EXPECT_EQ(Run({"HEXPIRE", "h", "10", "NX", "XX", "FIELDS", "1", "b"}),
            "-ERR Mandatory argument FIELDS is missing or not at the right position\r\n");
  EXPECT_EQ(Run({"HEXPIRE", "h", "10", "FIELDS", "0", "b"}), "-ERR Parameter `numFields` should be greater than 0\r\n");
  EXPECT_EQ(Run({"HEXPIRE", "h", "10", "FIELDS", "2", "b"}),
            "-ERR The `numfields` parameter must match the number of arguments\r\n");
  EXPECT_EQ(Run({"HTTL", "h", "FIELDS", "x", "b"}), "-ERR Parameter `numFields` should be greater than 0\r\n");
  EXPECT_EQ(Run({"HEXPIRE", "h", "10", "FIELDS", "1"}), "-ERR wrong number of arguments for 'hexpire' command\r\n");
  EXPECT_EQ(Run({"HTTL", "h", "FIELDS", "1", "b"}), "*1\r\n:-1\r\n");
  // RENAME and COPY keep the fields' expiries, as in Redis.
  EXPECT_EQ(Run({"HSET", "h", "c", "1"}), ":1\r\n");
  EXPECT_EQ(Run({"HPEXPIRE", "h", "7000", "FIELDS", "1", "c"}), "*1\r\n:1\r\n");
  EXPECT_EQ(Run({"COPY", "h", "h2"}), ":1\r\n");
  EXPECT_EQ(Run({"RENAME", "h", "h3"}), "+OK\r\n");
  EXPECT_EQ(Run({"HPTTL", "h2", "FIELDS", "2", "b", "c"}), "*2\r\n:-1\r\n:7000\r\n");
  EXPECT_EQ(Run({"HPTTL", "h3", "FIELDS", "2", "b", "c"}), "*2\r\n:-1\r\n:7000\r\n");
  EXPECT_EQ(Run({"SET", "s", "v"}), "+OK\r\n");
  EXPECT_EQ(Run({"HEXPIRE", "s", "10", "FIELDS", "1", "b"}), kWrongType);
  EXPECT_EQ(Run({"HTTL", "s", "FIELDS", "1", "b"}), kWrongType);
}

TEST_F(RespCommandsTest, ExpiryCommandsAnswerAsRedisDoes) {
  const std::string now_s = std::to_string(env_.WallMillis() / 1000);
  const std::string now_ms = std::to_string(env_.WallMillis());
  EXPECT_EQ(Run({"TTL", "k"}), ":-2\r\n");
  EXPECT_EQ(Run({"EXPIRE", "k", "10"}), ":0\r\n");
  EXPECT_EQ(Run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(Run({"TTL", "k"}), ":-1\r\n");
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), ":-1\r\n");
  EXPECT_EQ(Run({"EXPIRE", "k", "10"}), ":1\r\n");
  EXPECT_EQ(Run({"TTL", "k"}), ":10\r\n");
  EXPECT_EQ(Run({"PTTL", "k"}), ":10000\r\n");
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), ":" + std::to_string(env_.WallMillis() + 10000) + "\r\n");
  EXPECT_EQ(Run({"EXPIRE", "k", "5", "NX"}), ":0\r\n");
  EXPECT_EQ(Run({"EXPIRE", "k", "5", "GT"}), ":0\r\n");
  EXPECT_EQ(Run({"EXPIRE", "k", "5", "LT"}), ":1\r\n");
  EXPECT_EQ(Run({"EXPIRE", "k", "50", "XX", "GT"}), ":1\r\n");
  EXPECT_EQ(Run({"TTL", "k"}), ":50\r\n");
  EXPECT_EQ(Run({"EXPIRE", "k", "5", "NX", "XX"}),
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n");
  EXPECT_EQ(Run({"EXPIRE", "k", "5", "GT", "LT"}), "-ERR GT and LT options at the same time are not compatible\r\n");
  EXPECT_EQ(Run({"EXPIRE", "k", "5", "ZZ"}), "-ERR Unsupported option ZZ\r\n");
  EXPECT_EQ(Run({"EXPIRE", "k", "x"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"EXPIRE", "k", "9223372036854775807"}), "-ERR invalid expire time in 'expire' command\r\n");
  EXPECT_EQ(Run({"pexpire", "k", "9223372036854775807"}), "-ERR invalid expire time in 'pexpire' command\r\n");
  EXPECT_EQ(Run({"EXPIREAT", "k", std::to_string(env_.WallMillis() / 1000 + 100)}), ":1\r\n");
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), ":" + std::to_string(env_.WallMillis() / 1000 + 100) + "\r\n");
  EXPECT_EQ(Run({"PERSIST", "k"}), ":1\r\n");
  EXPECT_EQ(Run({"PERSIST", "k"}), ":0\r\n");
  EXPECT_EQ(Run({"TTL", "k"}), ":-1\r\n");
  // A time in the past deletes, as DEL.
  EXPECT_EQ(Run({"PEXPIREAT", "k", "1"}), ":1\r\n");
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0\r\n");

  // SET's options, SETEX, PSETEX, GETEX.
  EXPECT_EQ(Run({"SET", "s", "v", "EX", "0"}), "-ERR invalid expire time in 'set' command\r\n");
  EXPECT_EQ(Run({"SET", "s", "v", "EX", "10", "PX", "5"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"SET", "s", "v", "KEEPTTL", "EX", "5"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"SET", "s", "v", "EX"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"SET", "s", "v", "EX", "x"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"EXISTS", "s"}), ":0\r\n") << "a refused SET changes nothing";
  EXPECT_EQ(Run({"SET", "s", "v", "PX", "1500"}), "+OK\r\n");
  EXPECT_EQ(Run({"TTL", "s"}), ":2\r\n");  // rounded as Redis rounds
  EXPECT_EQ(Run({"SET", "s", "w", "KEEPTTL"}), "+OK\r\n");
  EXPECT_EQ(Run({"PTTL", "s"}), ":1500\r\n");
  EXPECT_EQ(Run({"SET", "s", "x"}), "+OK\r\n");
  EXPECT_EQ(Run({"TTL", "s"}), ":-1\r\n") << "SET without KEEPTTL clears the expiry";
  EXPECT_EQ(Run({"SET", "s", "y", "EXAT", std::to_string(env_.WallMillis() / 1000 + 7)}), "+OK\r\n");
  EXPECT_EQ(Run({"TTL", "s"}), ":7\r\n");
  EXPECT_EQ(Run({"SETEX", "e", "0", "v"}), "-ERR invalid expire time in 'setex' command\r\n");
  EXPECT_EQ(Run({"SETEX", "e", "3", "v"}), "+OK\r\n");
  EXPECT_EQ(Run({"PSETEX", "p", "250", "v"}), "+OK\r\n");
  EXPECT_EQ(Run({"PTTL", "p"}), ":250\r\n");
  EXPECT_EQ(Run({"GETEX", "e"}), "$1\r\nv\r\n");
  EXPECT_EQ(Run({"GETEX", "e", "PERSIST"}), "$1\r\nv\r\n");
  EXPECT_EQ(Run({"TTL", "e"}), ":-1\r\n");
  EXPECT_EQ(Run({"GETEX", "e", "PX", "100"}), "$1\r\nv\r\n");
  EXPECT_EQ(Run({"PTTL", "e"}), ":100\r\n");
  EXPECT_EQ(Run({"GETEX", "e", "KEEPTTL"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"GETEX", "e", "EX", "-1"}), "-ERR invalid expire time in 'getex' command\r\n");
  EXPECT_EQ(Run({"GETEX", "missing", "EX", "1"}), "$-1\r\n");
  EXPECT_EQ(Run({"SADD", "set", "m"}), ":1\r\n");
  EXPECT_EQ(Run({"GETEX", "set"}), kWrongType);
  EXPECT_EQ(Run({"SETEX", "set", "5", "v"}), kWrongType);
  EXPECT_EQ(Run({"GETEX", "e", "PXAT", "1"}), "$1\r\nv\r\n");
  EXPECT_EQ(Run({"EXISTS", "e"}), ":0\r\n");
  (void)now_s;
  (void)now_ms;
}

TEST_F(RespCommandsTest, AnExpiredKeyIsGoneAndStartsAfreshOfAnyType) {
  EXPECT_EQ(Run({"INCR", "rate"}), ":1\r\n");
  EXPECT_EQ(Run({"EXPIRE", "rate", "60", "NX"}), ":1\r\n");
  EXPECT_EQ(Run({"INCR", "rate"}), ":2\r\n");
  EXPECT_EQ(Run({"EXPIRE", "rate", "60", "NX"}), ":0\r\n") << "INCR keeps the expiry";
  EXPECT_EQ(Run({"SADD", "room", "alice"}), ":1\r\n");
  EXPECT_EQ(Run({"PEXPIRE", "room", "500"}), ":1\r\n");
  env_.RunFor(60'000'000);
  EXPECT_EQ(Run({"GET", "rate"}), "$-1\r\n");
  EXPECT_EQ(Run({"TTL", "rate"}), ":-2\r\n");
  EXPECT_EQ(Run({"EXISTS", "rate", "room"}), ":0\r\n");
  EXPECT_EQ(Run({"KEYS", "*"}), "*0\r\n");
  EXPECT_EQ(Run({"DBSIZE"}), ":0\r\n") << "the node's expiry cycle reclaimed both";
  EXPECT_EQ(Run({"INCR", "rate"}), ":1\r\n");
  EXPECT_EQ(Run({"SET", "room", "now a string"}), "+OK\r\n");
  EXPECT_EQ(Run({"TYPE", "room"}), "+string\r\n");
}

TEST_F(RespCommandsTest, ConnectionCommands) {
  EXPECT_EQ(Run({"PING"}), "+PONG\r\n");
  EXPECT_EQ(Run({"ping", "hi"}), "$2\r\nhi\r\n");
  EXPECT_EQ(Run({"ECHO", "x"}), "$1\r\nx\r\n");
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK\r\n");
  EXPECT_EQ(Run({"SELECT", "1"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(Run({"CLIENT", "SETNAME", "worker-1"}), "+OK\r\n");
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), "$8\r\nworker-1\r\n");
  EXPECT_EQ(Run({"CLIENT", "SETNAME", "a b"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(Run({"AUTH", "x"}).substr(0, 28), "-ERR AUTH <password> called ");
  EXPECT_EQ(Run({"COMMAND", "COUNT"}).substr(0, 1), ":");
  EXPECT_NE(Run({"INFO"}).find("# Regionsync\r\nreplica:us-east-1/a\r\n"), std::string::npos);
  EXPECT_NE(Run({"INFO", "keyspace"}).find("# Keyspace"), std::string::npos);
  EXPECT_EQ(Run({"CONFIG", "GET", "save"}), "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
  EXPECT_EQ(Run({"CONFIG", "GET", "nothing*"}), "*0\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "save", ""}),
            "-ERR regionsync does not support CONFIG SET save: settings are regionsyncd's flags (regionsyncd --help)\r\n");
}

TEST_F(RespCommandsTest, UnknownCommandsAndArityAnswerLikeRedis) {
  EXPECT_EQ(Run({"FOO", "a", "b"}), "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n");
  EXPECT_EQ(Run({"foo"}), "-ERR unknown command 'foo', with args beginning with: \r\n");
  EXPECT_EQ(Run({"GET"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(Run({"get", "a", "b"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(Run({"MSET", "a", "1", "b"}), "-ERR wrong number of arguments for 'mset' command\r\n");
  EXPECT_EQ(Run({"HSET", "h", "f"}), "-ERR wrong number of arguments for 'hset' command\r\n");
  EXPECT_EQ(replica().key_count(), 0u);
}

TEST_F(RespCommandsTest, StringsAndCounters) {
  EXPECT_EQ(Run({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(Run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(Run({"GET", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(Run({"SET", "k", "w", "NX"}), "$-1\r\n");
  EXPECT_EQ(Run({"SET", "k", "w", "XX", "GET"}), "$1\r\nv\r\n");
  EXPECT_EQ(Run({"SET", "k", "w", "EX", "10"}), "+OK\r\n");
  EXPECT_EQ(Run({"PERSIST", "k"}), ":1\r\n");
  EXPECT_EQ(Run({"SET", "k", "w", "BOGUS"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"INCR", "n"}), ":1\r\n");
  EXPECT_EQ(Run({"INCRBY", "n", "41"}), ":42\r\n");
  EXPECT_EQ(Run({"DECRBY", "n", "2"}), ":40\r\n");
  EXPECT_EQ(Run({"DECR", "n"}), ":39\r\n");
  EXPECT_EQ(Run({"GET", "n"}), "$2\r\n39\r\n");
  EXPECT_EQ(Run({"TYPE", "n"}), "+string\r\n");
  EXPECT_EQ(Run({"INCRBY", "n", "x"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"INCRBY", "n", "9223372036854775807"}), "-ERR increment or decrement would overflow\r\n");
  EXPECT_EQ(Run({"DECRBY", "n", "-9223372036854775808"}), "-ERR decrement would overflow\r\n");
  EXPECT_EQ(Run({"GET", "n"}), "$2\r\n39\r\n") << "failed increments change nothing";
  // One string type, as in Redis: SET and INCR work on the same key.
  EXPECT_EQ(Run({"SET", "n", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"INCR", "n"}), ":2\r\n");
  EXPECT_EQ(Run({"SET", "n", "39"}), "+OK\r\n");
  EXPECT_EQ(Run({"INCR", "k"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"SET", "num", "5"}), "+OK\r\n");
  EXPECT_EQ(Run({"INCR", "num"}), ":6\r\n");
  EXPECT_EQ(Run({"SET", "lead", "007"}), "+OK\r\n");
  EXPECT_EQ(Run({"INCR", "lead"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"INCRBY", "fresh", "0"}), ":0\r\n");
  EXPECT_EQ(Run({"EXISTS", "fresh"}), ":1\r\n");
  EXPECT_EQ(Run({"MSET", "a", "1", "b", "2"}), "+OK\r\n");
  EXPECT_EQ(Run({"MGET", "a", "nope", "b", "n"}), "*4\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n$2\r\n39\r\n");
  EXPECT_EQ(Run({"SADD", "aset", "x"}), ":1\r\n");
  EXPECT_EQ(Run({"MSET", "c", "1", "aset", "2"}), kWrongType);
  EXPECT_EQ(Run({"EXISTS", "c"}), ":0\r\n") << "MSET is all or nothing";
  // INCRBYFLOAT, with Redis's formatting.
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "10.5"}), "$4\r\n10.5\r\n");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "0.1"}), "$4\r\n10.6\r\n");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "-5.6"}), "$1\r\n5\r\n");
  EXPECT_EQ(Run({"INCR", "f"}), ":6\r\n");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "5.0e3"}), "$4\r\n5006\r\n");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "x"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(Run({"INCRBYFLOAT", "k", "1"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(Run({"INCRBYFLOAT", "aset", "1"}), kWrongType);
}

TEST_F(RespCommandsTest, MoreStringCommands) {
  EXPECT_EQ(Run({"SETNX", "sn", "a"}), ":1\r\n");
  EXPECT_EQ(Run({"SETNX", "sn", "b"}), ":0\r\n");
  EXPECT_EQ(Run({"GET", "sn"}), "$1\r\na\r\n");
  EXPECT_EQ(Run({"GETSET", "sn", "c"}), "$1\r\na\r\n");
  EXPECT_EQ(Run({"GETSET", "fresh", "c"}), "$-1\r\n");
  EXPECT_EQ(Run({"APPEND", "sn", "de"}), ":3\r\n");
  EXPECT_EQ(Run({"APPEND", "new", "xy"}), ":2\r\n");
  EXPECT_EQ(Run({"STRLEN", "sn"}), ":3\r\n");
  EXPECT_EQ(Run({"STRLEN", "nope"}), ":0\r\n");
  EXPECT_EQ(Run({"INCR", "num"}), ":1\r\n");
  EXPECT_EQ(Run({"APPEND", "num", "5"}), ":2\r\n");
  EXPECT_EQ(Run({"INCR", "num"}), ":16\r\n") << "APPEND to a counter is a SET of its text";
  EXPECT_EQ(Run({"SET", "r", "Hello World"}), "+OK\r\n");
  EXPECT_EQ(Run({"GETRANGE", "r", "0", "4"}), "$5\r\nHello\r\n");
  EXPECT_EQ(Run({"GETRANGE", "r", "-5", "-1"}), "$5\r\nWorld\r\n");
  EXPECT_EQ(Run({"GETRANGE", "r", "-1", "-5"}), "$0\r\n\r\n");
  EXPECT_EQ(Run({"GETRANGE", "r", "5", "1000"}), "$6\r\n World\r\n");
  EXPECT_EQ(Run({"GETRANGE", "nope", "0", "-1"}), "$0\r\n\r\n");
  EXPECT_EQ(Run({"GETRANGE", "r", "x", "1"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"GETDEL", "r"}), "$11\r\nHello World\r\n");
  EXPECT_EQ(Run({"EXISTS", "r"}), ":0\r\n");
  EXPECT_EQ(Run({"GETDEL", "r"}), "$-1\r\n");
  EXPECT_EQ(Run({"MSETNX", "m1", "1", "m2", "2"}), ":1\r\n");
  EXPECT_EQ(Run({"MSETNX", "m3", "3", "m1", "x"}), ":0\r\n");
  EXPECT_EQ(Run({"EXISTS", "m3"}), ":0\r\n") << "MSETNX is all or nothing";
  EXPECT_EQ(Run({"MSETNX", "m3"}), "-ERR wrong number of arguments for 'msetnx' command\r\n");
  EXPECT_EQ(Run({"SADD", "set", "x"}), ":1\r\n");
  EXPECT_EQ(Run({"SETNX", "set", "v"}), ":0\r\n");
  for (const char* cmd : {"GETSET", "APPEND"}) EXPECT_EQ(Run({cmd, "set", "v"}), kWrongType) << cmd;
  for (const char* cmd : {"GETDEL", "STRLEN"}) EXPECT_EQ(Run({cmd, "set"}), kWrongType) << cmd;
  EXPECT_EQ(Run({"GETRANGE", "set", "0", "1"}), kWrongType);
}

TEST_F(RespCommandsTest, SetsAndHashes) {
  EXPECT_EQ(Run({"SADD", "s", "a", "b", "a"}), ":2\r\n");
  EXPECT_EQ(Run({"SREM", "s", "a", "zz"}), ":1\r\n");
  EXPECT_EQ(Run({"SMEMBERS", "s"}), "*1\r\n$1\r\nb\r\n");
  EXPECT_EQ(Run({"SISMEMBER", "s", "b"}), ":1\r\n");
  EXPECT_EQ(Run({"SCARD", "s"}), ":1\r\n");
  EXPECT_EQ(Run({"SREM", "nope", "a"}), ":0\r\n");
  EXPECT_EQ(replica().Find("nope"), nullptr) << "SREM of a missing key creates nothing";
  EXPECT_EQ(Run({"HSET", "h", "f", "1", "g", "2"}), ":2\r\n");
  EXPECT_EQ(Run({"HSET", "h", "f", "3"}), ":0\r\n");
  EXPECT_EQ(Run({"HGET", "h", "f"}), "$1\r\n3\r\n");
  EXPECT_EQ(Run({"HLEN", "h"}), ":2\r\n");
  EXPECT_EQ(Run({"HGETALL", "h"}), "*4\r\n$1\r\nf\r\n$1\r\n3\r\n$1\r\ng\r\n$1\r\n2\r\n");
  EXPECT_EQ(Run({"HDEL", "h", "f", "x"}), ":1\r\n");
  EXPECT_EQ(Run({"TYPE", "h"}), "+hash\r\n");
  EXPECT_EQ(Run({"TYPE", "s"}), "+set\r\n");
  EXPECT_EQ(Run({"SADD", "h", "x"}), kWrongType);
  EXPECT_EQ(Run({"HSET", "s", "f", "v"}), kWrongType);
  EXPECT_EQ(Run({"GET", "s"}), kWrongType);
  EXPECT_EQ(Run({"SMEMBERS", "h"}), kWrongType);
  EXPECT_EQ(Run({"HGET", "s", "f"}), kWrongType);
  EXPECT_EQ(Run({"SCARD", "h"}), kWrongType);
}

TEST_F(RespCommandsTest, SortedSets) {
  EXPECT_EQ(Run({"ZADD", "z", "1", "a", "2.5", "b", "inf", "c"}), ":3\r\n");
  EXPECT_EQ(Run({"ZADD", "z", "XX", "CH", "1", "a", "3", "b", "9", "new"}), ":1\r\n");
  EXPECT_EQ(Run({"ZRANGE", "z", "0", "-1", "WITHSCORES"}),
            "*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n3\r\n$1\r\nc\r\n$3\r\ninf\r\n");
  EXPECT_EQ(Run({"ZINCRBY", "z", "0.1", "a"}), "$18\r\n1.1000000000000001\r\n");
  EXPECT_EQ(Run({"ZADD", "z", "INCR", "-inf", "c"}), "-ERR resulting score is not a number (NaN)\r\n");
  EXPECT_EQ(Run({"ZADD", "z", "NX", "XX", "1", "a"}), "-ERR XX and NX options at the same time are not compatible\r\n");
  EXPECT_EQ(Run({"ZADD", "z", "1", "x", "nan", "y"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(Run({"ZCARD", "z"}), ":3\r\n");  // the refused writes changed nothing
  EXPECT_EQ(Run({"ZADD", "none", "XX", "1", "a"}), ":0\r\n");
  EXPECT_EQ(replica().Find("none"), nullptr);  // ZADD XX on a missing key does not create it
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "(1.1", "+inf"}), "*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "x", "1"}), "-ERR min or max is not a float\r\n");
  EXPECT_EQ(Run({"ZRANGE", "z", "0", "1", "LIMIT", "0", "1"}),
            "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n");
  EXPECT_EQ(Run({"ZREVRANK", "z", "a"}), ":2\r\n");
  EXPECT_EQ(Run({"ZSCORE", "z", "zz"}), "$-1\r\n");
  EXPECT_EQ(Run({"ZREM", "z", "zz"}), ":0\r\n");
  EXPECT_EQ(Run({"ZPOPMAX", "z"}), "*2\r\n$1\r\nc\r\n$3\r\ninf\r\n");
  EXPECT_EQ(Run({"ZUNIONSTORE", "u", "2", "z", "z", "WEIGHTS", "1", "2"}), ":2\r\n");
  EXPECT_EQ(Run({"ZSCORE", "u", "b"}), "$1\r\n9\r\n");
  EXPECT_EQ(Run({"TYPE", "u"}), "+zset\r\n");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "u"}), "$8\r\nlistpack\r\n");
  EXPECT_EQ(Run({"SET", "s", "v"}), "+OK\r\n");
  EXPECT_EQ(Run({"ZADD", "s", "1", "a"}), kWrongType);
  EXPECT_EQ(Run({"ZUNION", "2", "z", "s"}), kWrongType);
  EXPECT_EQ(Run({"ZREMRANGEBYRANK", "z", "0", "-1"}), ":2\r\n");
  EXPECT_EQ(Run({"EXISTS", "z"}), ":0\r\n");
}

TEST_F(RespCommandsTest, ZscanOfABigSetReturnsEveryMemberOnce) {
  std::vector<std::string> add = {"ZADD", "big"};
  for (int i = 0; i < 300; ++i) {
    add.push_back(std::to_string(i));
    add.push_back("m" + std::to_string(i));
  }
  EXPECT_EQ(Run(add), ":300\r\n");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "big"}), "$8\r\nskiplist\r\n");
  std::string cursor = "0";
  std::multiset<std::string> seen;
  int calls = 0;
  do {
    std::string reply = Run({"ZSCAN", "big", cursor, "COUNT", "7"});
    // *2 $n cursor *2k ($m member $s score)...
    size_t pos = reply.find("\r\n", 4) + 2;  // past "*2\r\n$n\r\n"
    size_t end = reply.find("\r\n", pos);
    cursor = reply.substr(pos, end - pos);
    pos = reply.find("\r\n", end + 2) + 2;  // past the array header
    bool member = true;
    while (pos < reply.size()) {
      size_t len_end = reply.find("\r\n", pos);
      size_t len = std::stoul(reply.substr(pos + 1, len_end - pos - 1));
      if (member) seen.insert(reply.substr(len_end + 2, len));
      member = !member;
      pos = len_end + 2 + len + 2;
    }
    ++calls;
  } while (cursor != "0" && calls < 1000);
  EXPECT_GT(calls, 10);
  EXPECT_EQ(seen.size(), 300u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 300u);
}

TEST_F(RespCommandsTest, RespThreeRepliesAfterHello) {
  std::string hello = Run({"HELLO", "3"});
  EXPECT_EQ(hello.substr(0, 4), "%7\r\n");
  EXPECT_NE(hello.find("$5\r\nproto\r\n:3\r\n"), std::string::npos);
  EXPECT_EQ(session_.protocol, 3);
  EXPECT_EQ(Run({"GET", "missing"}), "_\r\n");
  Run({"SADD", "s", "a"});
  EXPECT_EQ(Run({"SMEMBERS", "s"}), "~1\r\n$1\r\na\r\n");
  Run({"HSET", "h", "f", "v"});
  EXPECT_EQ(Run({"HGETALL", "h"}), "%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
  EXPECT_EQ(Run({"HELLO", "4"}), "-NOPROTO unsupported protocol version\r\n");
}

TEST_F(RespCommandsTest, KeyspaceCommandsSeeOnlyKeysWithAValue) {
  Run({"SET", "user:1", "a"});
  Run({"SET", "user:2", "b"});
  Run({"SADD", "room", "x"});
  Run({"INCR", "hits"});
  EXPECT_EQ(Run({"DBSIZE"}), ":4\r\n");
  EXPECT_EQ(Run({"KEYS", "user:*"}), "*2\r\n$6\r\nuser:1\r\n$6\r\nuser:2\r\n");
  EXPECT_EQ(Run({"EXISTS", "user:1", "user:1", "nope"}), ":2\r\n");
  EXPECT_EQ(Run({"DEL", "user:1", "room", "nope"}), ":2\r\n");
  EXPECT_EQ(Run({"EXISTS", "user:1", "room"}), ":0\r\n");
  EXPECT_EQ(Run({"TYPE", "room"}), "+none\r\n");
  EXPECT_EQ(Run({"GET", "user:1"}), "$-1\r\n");
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "100"}), "*2\r\n$1\r\n0\r\n*2\r\n$6\r\nuser:2\r\n$4\r\nhits\r\n");
  EXPECT_EQ(Run({"SCAN", "0", "MATCH", "h*", "TYPE", "string"}), "*2\r\n$1\r\n0\r\n*1\r\n$4\r\nhits\r\n");
  EXPECT_EQ(Run({"SCAN", "x"}), "-ERR invalid cursor\r\n");
  // Redis 7.0 reads cursors with strtoul: "" is 0, a leading space is not.
  EXPECT_EQ(Run({"SCAN", "", "MATCH", "h*"}), "*2\r\n$1\r\n0\r\n*1\r\n$4\r\nhits\r\n");
  EXPECT_EQ(Run({"SCAN", " 0"}), "-ERR invalid cursor\r\n");
  EXPECT_EQ(Run({"SCAN", "18446744073709551616"}), "-ERR invalid cursor\r\n");
  EXPECT_EQ(Run({"DECR", "hits"}), ":0\r\n");
  EXPECT_EQ(Run({"EXISTS", "hits"}), ":1\r\n") << "a counter at 0 still exists, as in Redis";
  EXPECT_EQ(Run({"FLUSHDB"}), "+OK\r\n");
  EXPECT_EQ(Run({"DBSIZE"}), ":0\r\n");
  // Deleted keys keep their type.
  EXPECT_EQ(Run({"SADD", "user:2", "x"}), kWrongType);
}

TEST_F(RespCommandsTest, ScanWalksEveryKeyInPages) {
  for (int i = 0; i < 35; ++i) Run({"SET", "k" + std::to_string(i), "v"});
  std::string cursor = "0";
  int pages = 0;
  size_t keys = 0;
  do {
    std::string reply = Run({"SCAN", cursor});
    ASSERT_EQ(reply.substr(0, 5), "*2\r\n$");
    size_t len_end = reply.find("\r\n", 5);
    size_t len = std::stoul(reply.substr(5, len_end - 5));
    cursor = reply.substr(len_end + 2, len);
    size_t array = reply.find('*', len_end + 2 + len);
    keys += std::stoul(reply.substr(array + 1));
    ++pages;
  } while (cursor != "0" && pages < 100);
  EXPECT_EQ(keys, 35u);
  EXPECT_EQ(pages, 4);
}

TEST_F(RespCommandsTest, AuthGatesEveryCommandWhenTokensExist) {
  RespCommands guarded(&node_, &env_, &stats_, {.api_tokens = {"secret-token-0123456789"}});
  RespSession s;
  EXPECT_EQ(Run({"GET", "k"}, &s, &guarded), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(Run({"AUTH", "wrong"}, &s, &guarded),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(Run({"AUTH", "default", "secret-token-0123456789"}, &s, &guarded), "+OK\r\n");
  EXPECT_EQ(Run({"GET", "k"}, &s, &guarded), "$-1\r\n");
  RespSession fresh;
  EXPECT_EQ(Run({"HELLO", "3", "AUTH", "default", "secret-token-0123456789"}, &fresh, &guarded).substr(0, 4), "%7\r\n");
  EXPECT_TRUE(fresh.authenticated);
}

TEST_F(RespCommandsTest, LocalWritesNameTheirKeyspaceEvent) {
  std::vector<std::string> events;
  {
    std::lock_guard lock(node_.mutex());
    replica().Subscribe([&](const ChangeEvent&) {
      events.push_back(commands_.current_event() ? commands_.current_event() : "?");
    });
  }
  Run({"SET", "a", "1"});
  Run({"SADD", "s", "x"});
  Run({"SREM", "s", "x"});
  Run({"INCRBY", "n", "2"});
  Run({"HSET", "h", "f", "v"});
  Run({"DEL", "a"});
  Run({"RENAME", "h", "h2"});  // the destination first: if it refuses, the source stays
  Run({"COPY", "h2", "h3"});
  EXPECT_EQ(events, (std::vector<std::string>{"set", "sadd", "srem", "incrby", "hset", "del", "rename_to",
                                              "rename_from", "copy_to"}));
  EXPECT_EQ(commands_.current_event(), nullptr);
}

// A node with small write limits: a write over them answers an error that
// starts "value too large" / "state too large" and names the flag, and a
// command of several writes (MSET, HSET) changes nothing.
TEST_F(RespCommandsTest, WritesOverTheSizeLimitsAreRefusedWhole) {
  std::unique_ptr<Store> store = NewMemoryStore();
  std::unique_ptr<Broker> broker = net_.Connect("us-west-2/a");
  SyncNode node(&env_, store.get(), broker.get(), &keys_,
                {.name = "us-west-2/a", .replica = {.max_value_bytes = 64, .max_state_bytes = 1024}});
  ASSERT_TRUE(node.Start().ok());
  RespServerStats stats;
  RespCommands commands(&node, &env_, &stats, {});
  RespSession session;
  auto run = [&](std::vector<std::string> args) {
    std::string out;
    RespWriter w(&out, session.protocol);
    std::lock_guard lock(node.mutex());
    commands.Execute(session, args, w);
    return out;
  };
  const std::string kValueTooLarge = "-ERR value too large (limit 64 bytes; --max-value-bytes)";
  const std::string kStateTooLarge = "-ERR state too large (limit 1024 bytes; --max-state-bytes)";
  // "blob" + 60 bytes is the limit.
  EXPECT_EQ(run({"SET", "blob", std::string(61, 'x')}).substr(0, kValueTooLarge.size()), kValueTooLarge);
  EXPECT_EQ(run({"GET", "blob"}), "$-1\r\n");
  EXPECT_EQ(run({"SET", "blob", std::string(60, 'x')}), "+OK\r\n");
  EXPECT_EQ(run({"MSET", "a", "1", "b", std::string(100, 'x')}).substr(0, kValueTooLarge.size()), kValueTooLarge);
  EXPECT_EQ(run({"GET", "a"}), "$-1\r\n") << "MSET is all or nothing";
  EXPECT_EQ(run({"HSET", "h", "f1", "v", "f2", std::string(100, 'x')}).substr(0, kValueTooLarge.size()),
            kValueTooLarge);
  EXPECT_EQ(run({"HGET", "h", "f1"}), "$-1\r\n") << "HSET is all or nothing";
  EXPECT_EQ(run({"SADD", "s", "ok", std::string(100, 'x')}).substr(0, kValueTooLarge.size()), kValueTooLarge);
  EXPECT_EQ(run({"SCARD", "s"}), ":0\r\n");
  // Fields that each fit but together make the state too big.
  std::vector<std::string> hset = {"HSET", "wide"};
  for (int i = 0; i < 40; ++i) {
    hset.push_back("field-" + std::to_string(i));
    hset.push_back(std::string(40, 'v'));
  }
  EXPECT_EQ(run(hset).substr(0, kStateTooLarge.size()), kStateTooLarge);
  EXPECT_EQ(run({"HLEN", "wide"}), ":0\r\n");
  EXPECT_EQ(run({"DBSIZE"}), ":1\r\n");  // only blob
  EXPECT_TRUE(node.Stop().ok());
}

TEST_F(RespCommandsTest, TransactionsQueueThenRunTogether) {
  EXPECT_EQ(Run({"EXEC"}), "-ERR EXEC without MULTI\r\n");
  EXPECT_EQ(Run({"DISCARD"}), "-ERR DISCARD without MULTI\r\n");
  EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(Run({"MULTI"}), "-ERR MULTI calls can not be nested\r\n");  // does not fail the transaction
  EXPECT_EQ(Run({"WATCH", "k"}), "-ERR WATCH inside MULTI is not allowed\r\n");
  EXPECT_EQ(Run({"SET", "k", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"INCR", "k"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"SADD", "k", "x"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"GET", "k"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"GET", "k"}, &other_), "$-1\r\n") << "queued, not run";
  uint64_t writes = replica().local_writes();
  EXPECT_EQ(Run({"EXEC"}), "*4\r\n+OK\r\n:2\r\n" + kWrongType + "$1\r\n2\r\n");
  EXPECT_EQ(replica().local_writes(), writes + 2);
  EXPECT_FALSE(session_.in_multi);

  EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "k", "9"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"DISCARD"}), "+OK\r\n");
  EXPECT_EQ(Run({"GET", "k"}), "$1\r\n2\r\n");
  EXPECT_EQ(Run({"EXEC", "x"}),
            "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n");
}

TEST_F(RespCommandsTest, QueueingErrorsAbortTheTransaction) {
  EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "k", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"FOO", "x"}), "-ERR unknown command 'FOO', with args beginning with: 'x' \r\n");
  EXPECT_EQ(Run({"GET"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(Run({"CLIENT", "NOPE"}), "-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n");
  EXPECT_EQ(Run({"EXEC"}), "-EXECABORT Transaction discarded because of previous errors.\r\n");
  EXPECT_EQ(Run({"GET", "k"}), "$-1\r\n");
  // In MULTI, EXEC with arguments discards too.
  EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(Run({"EXEC", "now"}).substr(0, 45), "-EXECABORT Transaction discarded because of: ");
  EXPECT_EQ(Run({"EXEC"}), "-ERR EXEC without MULTI\r\n");
}

TEST_F(RespCommandsTest, WatchFailsExecOnLocalChangesOnly) {
  // Another client's write.
  EXPECT_EQ(Run({"WATCH", "k", "j"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "k", "x"}, &other_), "+OK\r\n");
  EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "j", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"EXEC"}), "*-1\r\n");
  EXPECT_EQ(Run({"GET", "j"}), "$-1\r\n");
  // The watcher's own write, in RESP3.
  session_.protocol = 3;
  EXPECT_EQ(Run({"WATCH", "k"}), "+OK\r\n");
  EXPECT_EQ(Run({"DEL", "k"}), ":1\r\n");
  EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(Run({"EXEC"}), "_\r\n");
  session_.protocol = 2;
  // UNWATCH forgets; untouched keys run.
  EXPECT_EQ(Run({"WATCH", "k"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "k", "y"}, &other_), "+OK\r\n");
  EXPECT_EQ(Run({"UNWATCH"}), "+OK\r\n");
  EXPECT_EQ(Run({"WATCH", "k"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "unrelated", "1"}, &other_), "+OK\r\n");
  EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "k", "mine"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"EXEC"}), "*1\r\n+OK\r\n");
  // A change merged from another region does not fail EXEC.
  EXPECT_EQ(Run({"WATCH", "k"}), "+OK\r\n");
  {
    std::lock_guard lock(node_.mutex());
    RedisString remote;
    remote.Set(/*actor=*/77, HlcFromMillis(env_.WallMillis() + 60'000), "from-eu");
    ASSERT_TRUE(replica().ApplyRemote("k", AnyCrdt(remote), "eu-west-1/a").ok());
  }
  EXPECT_EQ(Run({"GET", "k"}), "$7\r\nfrom-eu\r\n");
  EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(Run({"GET", "k"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"EXEC"}), "*1\r\n$7\r\nfrom-eu\r\n");
  // A closed session's watches go away.
  EXPECT_EQ(Run({"WATCH", "k"}, &other_), "+OK\r\n");
  {
    std::lock_guard lock(node_.mutex());
    commands_.EndSession(other_);
  }
  EXPECT_EQ(Run({"SET", "k", "z"}), "+OK\r\n");
}

TEST_F(RespCommandsTest, RenameAndCopyWriteTheValueAfresh) {
  EXPECT_EQ(Run({"RENAME", "none", "x"}), "-ERR no such key\r\n");
  EXPECT_EQ(Run({"RENAMENX", "none", "x"}), "-ERR no such key\r\n");
  Run({"SET", "s", "hello"});
  Run({"SET", "n", "5"});
  Run({"INCRBY", "n", "2"});
  Run({"SADD", "set", "a", "b"});
  Run({"HSET", "h", "f", "v", "g", "w"});
  EXPECT_EQ(Run({"RENAME", "s", "s"}), "+OK\r\n");
  EXPECT_EQ(Run({"RENAMENX", "s", "s"}), ":0\r\n");
  EXPECT_EQ(Run({"RENAMENX", "s", "n"}), ":0\r\n");
  EXPECT_EQ(Run({"RENAME", "s", "t"}), "+OK\r\n");
  EXPECT_EQ(Run({"EXISTS", "s", "t"}), ":1\r\n");
  EXPECT_EQ(Run({"GET", "t"}), "$5\r\nhello\r\n");
  EXPECT_EQ(Run({"RENAME", "n", "t"}), "+OK\r\n");  // a string replaces a string
  EXPECT_EQ(Run({"GET", "t"}), "$1\r\n7\r\n");
  EXPECT_EQ(Run({"RENAME", "t", "set"}), kWrongType) << "a key keeps its type";
  EXPECT_EQ(Run({"GET", "t"}), "$1\r\n7\r\n");
  EXPECT_EQ(Run({"RENAMENX", "set", "set2"}), ":1\r\n");
  EXPECT_EQ(Run({"SCARD", "set2"}), ":2\r\n");

  EXPECT_EQ(Run({"COPY", "h", "h"}), "-ERR source and destination objects are the same\r\n");
  EXPECT_EQ(Run({"COPY", "none", "z"}), ":0\r\n");
  EXPECT_EQ(Run({"COPY", "h", "h2"}), ":1\r\n");
  EXPECT_EQ(Run({"HGET", "h2", "g"}), "$1\r\nw\r\n");
  EXPECT_EQ(Run({"COPY", "h", "h2"}), ":0\r\n");
  Run({"HSET", "h", "f", "changed"});
  EXPECT_EQ(Run({"COPY", "h", "h2", "REPLACE", "DB", "0"}), ":1\r\n");
  EXPECT_EQ(Run({"HGET", "h2", "f"}), "$7\r\nchanged\r\n");
  EXPECT_EQ(Run({"COPY", "h", "h3", "DB", "1"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(Run({"COPY", "h", "h3", "DB", "x"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"COPY", "h", "h3", "DB"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"COPY", "h", "h3", "NOW"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"EXISTS", "h3"}), ":0\r\n");
  EXPECT_EQ(Run({"TOUCH", "h", "h2", "none", "h"}), ":3\r\n");
}

TEST_F(RespCommandsTest, ObjectMemoryAndServerCommands) {
  Run({"SET", "i", "12"});
  Run({"SET", "e", "007"});
  Run({"SET", "r", std::string(45, 'x')});
  Run({"SADD", "ints", "1", "2"});
  Run({"SADD", "words", "a"});
  Run({"HSET", "h", "f", "v"});
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "i"}), "$3\r\nint\r\n");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "e"}), "$6\r\nembstr\r\n");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "r"}), "$3\r\nraw\r\n");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "ints"}), "$6\r\nintset\r\n");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "words"}), "$9\r\nhashtable\r\n");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "h"}), "$8\r\nlistpack\r\n");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "none"}), "$-1\r\n");
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "i"}), ":2147483647\r\n");
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "e"}), ":1\r\n");
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "e"}), ":0\r\n");
  EXPECT_EQ(Run({"OBJECT", "FREQ", "e"}).substr(0, 37), "-ERR An LFU maxmemory policy is not s");
  EXPECT_EQ(Run({"OBJECT", "ENCODING"}), "-ERR wrong number of arguments for 'object|encoding' command\r\n");
  EXPECT_EQ(Run({"OBJECT", "FOO"}), "-ERR unknown subcommand 'FOO'. Try OBJECT HELP.\r\n");
  EXPECT_EQ(Run({"OBJECT", "HELP"}).substr(0, 71),
            "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n");
  EXPECT_EQ(Run({"MEMORY", "USAGE", "none"}), "$-1\r\n");
  EXPECT_EQ(Run({"MEMORY", "USAGE", "h", "SAMPLES", "0"}).substr(0, 1), ":");
  EXPECT_EQ(Run({"MEMORY", "USAGE", "h", "SAMPLES", "-1"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"TIME"}).substr(0, 5), "*2\r\n$");
  EXPECT_EQ(Run({"LASTSAVE"}), ":" + std::to_string(env_.WallMillis() / 1000) + "\r\n");
  EXPECT_EQ(Run({"RANDOMKEY"}).substr(0, 1), "$");
  EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "KEA"}), "+OK\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "Q"}),
            "-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class "
            "character. Use 'Ag$lshzxeKEtmdn'.\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory", "1", "maxmemory", "2"}),
            "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "appendonly", "yes", "x"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"CONFIG", "RESETSTAT"}), "+OK\r\n");
  EXPECT_EQ(Run({"CLIENT", "KILL"}), "-ERR wrong number of arguments for 'client|kill' command\r\n");
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID", "0"}), "-ERR client-id should be greater than 0\r\n");
  EXPECT_EQ(Run({"CLIENT", "KILL", "1.2.3.4:5"}), "-ERR No such client\r\n");
  EXPECT_EQ(Run({"CLIENT", "KILL", "TYPE", "normal"}), ":0\r\n");  // SKIPME yes
  EXPECT_EQ(Run({"CLIENT", "NO-EVICT", "on"}), "+OK\r\n");
  EXPECT_EQ(Run({"CLIENT", "REPLY", "maybe"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"CLIENT", "REPLY", "OFF"}), "");
  EXPECT_TRUE(session_.reply_off);
  EXPECT_EQ(Run({"CLIENT", "REPLY", "ON"}), "+OK\r\n");
  RespSession empty;
  EXPECT_EQ(Run({"RANDOMKEY"}, &empty).substr(0, 1), "$");
  EXPECT_EQ(Run({"FLUSHDB"}), "+OK\r\n");
  EXPECT_EQ(Run({"RANDOMKEY"}), "$-1\r\n");
}

}  // namespace
}  // namespace regionsync
