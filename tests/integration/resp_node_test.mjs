// The Redis-protocol port of regionsyncd through ioredis, the Node.js client
// most applications use: three connections (one per region) see each other's
// writes converge; a pipeline answers in order; multi() runs MULTI/EXEC (with
// WATCH); errors reach the client as
// ReplyError with Redis's wording; an expiry set with set(k, v, 'EX', n),
// moved with pexpire and removed with persist reaches every region (ttl and
// PEXPIRETIME agree everywhere), and a key past its expiry is gone everywhere;
// keyspace notifications of a change made in another region arrive on a
// subscribed connection.
//
// usage: NODE_PATH=<dir with ioredis> node resp_node_test.mjs PORT1 PORT2 PORT3
// (tests/integration/resp_node_test.py starts the cluster and runs this).
// Prints one line per failure and "resp_node_test: N checks passed, M failed";
// exits 1 on any failure.
import { createRequire } from "node:module";
import { isDeepStrictEqual, inspect } from "node:util";

// ESM imports ignore NODE_PATH; require() honours it.
const require = createRequire(import.meta.url);
const Redis = require("ioredis");
const { ReplyError } = Redis;

const ports = process.argv.slice(2).map(Number);
if (ports.length !== 3 || ports.some((p) => !Number.isInteger(p) || p <= 0)) {
  console.error("usage: node resp_node_test.mjs PORT1 PORT2 PORT3");
  process.exit(2);
}

let passed = 0;
const failed = [];
const show = (v) => inspect(v, { depth: 4, breakLength: Infinity });

function eq(what, got, want) {
  if (isDeepStrictEqual(got, want)) passed++;
  else failed.push(`${what}: got ${show(got)}, want ${show(want)}`);
}

function ok(what, cond, detail = "") {
  if (cond) passed++;
  else failed.push(`${what} ${detail}`);
}

// Polls fn() until it yields `want` or the deadline passes (no fixed sleeps).
async function eventually(what, fn, want, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  let got;
  for (;;) {
    try {
      got = await fn();
    } catch (e) {
      got = e;
    }
    if (isDeepStrictEqual(got, want)) {
      passed++;
      return true;
    }
    if (Date.now() >= deadline) {
      failed.push(`${what}: got ${show(got)}, want ${show(want)} (after ${timeoutMs} ms)`);
      return false;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

// The rejection of a promise (or null when it resolved).
async function rejection(promise) {
  try {
    await promise;
    return null;
  } catch (e) {
    return e;
  }
}

function connect(port) {
  return new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null, // a test wants the error, not a reconnect loop
  });
}

// Runs one group of checks; an exception fails the group, not the run.
async function section(name, fn) {
  try {
    await fn();
  } catch (e) {
    failed.push(`${name}: threw ${e && e.stack ? e.stack : show(e)}`);
  }
}

const clients = ports.map(connect);
const [east, west, eu] = clients;
const subscriber = connect(ports[1]);

async function main() {
  await section("connect", async () => {
    for (const c of clients) await c.connect();
    await subscriber.connect();
    eq("PING on every region", await Promise.all(clients.map((c) => c.ping())), ["PONG", "PONG", "PONG"]);
  });

  await section("convergence", async () => {
    const all = (fn) => Promise.all(clients.map(fn));
    for (const [i, c] of clients.entries()) {
      ok(`INCRBY in region ${i}`, typeof (await c.incrby("node:hits", i + 1)) === "number");
      ok(`INCR in region ${i}`, typeof (await c.incr("node:hits")) === "number");
    }
    await eventually("counter converges to the sum", () => all((c) => c.get("node:hits")), ["9", "9", "9"]);

    for (const [i, c] of clients.entries()) eq(`SADD in region ${i}`, await c.sadd("node:online", `user${i}`), 1);
    await eventually("set converges", () => all(async (c) => (await c.smembers("node:online")).sort()),
      Array(3).fill(["user0", "user1", "user2"]));

    for (const [i, c] of clients.entries()) eq(`HSET in region ${i}`, await c.hset("node:presence", `user${i}`, `r${i}`), 1);
    await eventually("hash converges", () => all((c) => c.hgetall("node:presence")),
      Array(3).fill({ user0: "r0", user1: "r1", user2: "r2" }));

    eq("SET", await east.set("node:flag", "on"), "OK");
    await eventually("register converges", () => all((c) => c.get("node:flag")), ["on", "on", "on"]);
  });

  await section("pipeline", async () => {
    const p = west.pipeline();
    const want = [];
    for (let i = 0; i < 200; i++) {
      p.set(`node:pk${i}`, `v${i}`).incr("node:pctr").get(`node:pk${i}`).sadd("node:pset", `m${i}`)
        .sismember("node:pset", `m${i % 2 ? i : i + 1}`);
      want.push([null, "OK"], [null, i + 1], [null, `v${i}`], [null, 1], [null, i % 2 ? 1 : 0]);
    }
    eq("pipeline of 1000 mixed commands answers in order", await p.exec(), want);
  });

  await section("errors", async () => {
    eq("SET string", await east.set("node:str", "x"), "OK");
    const e = await rejection(east.sadd("node:str", "y"));
    ok("WRONGTYPE is a ReplyError", e instanceof ReplyError, `(got ${show(e)})`);
    eq("WRONGTYPE message", e && e.message, "WRONGTYPE Operation against a key holding the wrong kind of value");
    const g = await rejection(east.get("node:online"));
    eq("GET on a set", g && g.message, "WRONGTYPE Operation against a key holding the wrong kind of value");
    const u = await rejection(east.call("FOOBAR", "a"));
    ok("unknown command is a ReplyError", u instanceof ReplyError, `(got ${show(u)})`);
    ok("unknown command message", u && u.message.startsWith("ERR unknown command 'FOOBAR'"), `(got ${show(u && u.message)})`);
    const a = await rejection(east.call("GET"));
    eq("wrong arity", a && a.message, "ERR wrong number of arguments for 'get' command");
    const n = await rejection(east.incrby("node:hits", "abc"));
    eq("INCRBY non-integer", n && n.message, "ERR value is not an integer or out of range");
    eq("connection still usable after errors", await east.ping(), "PONG");
    // An error inside a pipeline fails only its own command.
    const res = await east.pipeline().set("node:p2", "a").sadd("node:p2", "b").get("node:p2").exec();
    eq("pipeline with an error: first", res[0], [null, "OK"]);
    ok("pipeline with an error: second is a ReplyError", res[1][0] instanceof ReplyError, `(got ${show(res[1])})`);
    eq("pipeline with an error: third", res[2], [null, "a"]);
  });

  await section("multi", async () => {
    // MULTI ... EXEC: the replies of the queued commands, a runtime error in its place.
    const res = await east.multi().set("node:tx", "1").incr("node:tx").sadd("node:tx", "x").get("node:tx").exec();
    eq("multi: SET", res[0], [null, "OK"]);
    eq("multi: INCR", res[1], [null, 2]);
    ok("multi: WRONGTYPE inside EXEC is a ReplyError", res[2][0] instanceof ReplyError, `(got ${show(res[2])})`);
    eq("multi: GET", res[3], [null, "2"]);
    // A queueing error aborts the whole transaction.
    const aborted = await rejection(east.multi().set("node:tx2", "1").call("NOSUCHCOMMAND").exec());
    ok("multi: EXECABORT rejects", aborted instanceof ReplyError, `(got ${show(aborted)})`);
    ok("multi: EXECABORT message", aborted && aborted.message.startsWith("EXECABORT Transaction discarded"),
      `(got ${show(aborted && aborted.message)})`);
    eq("multi: nothing of an aborted transaction ran", await east.get("node:tx2"), null);
    // WATCH: another client's write makes EXEC answer null.
    const other = connect(ports[0]);
    await other.connect();
    eq("WATCH", await east.watch("node:watched"), "OK");
    eq("conflicting SET", await other.set("node:watched", "theirs"), "OK");
    eq("EXEC after a touched WATCH", await east.multi().set("node:watched", "mine").exec(), null);
    eq("the other client's value stays", await east.get("node:watched"), "theirs");
    eq("WATCH again", await east.watch("node:watched"), "OK");
    eq("EXEC untouched", await east.multi().set("node:watched", "mine").exec(), [[null, "OK"]]);
    await other.quit();
    // The transaction's writes reach the other regions.
    await eventually("EXEC's writes converge", () => Promise.all(clients.map((c) => c.mget("node:tx", "node:watched"))),
      Array(3).fill(["2", "mine"]));
  });

  await section("expiry", async () => {
    // docs/redis.md, "Expiry": an expiry is an absolute time replicated with
    // the key; every region answers ttl from it by its own clock.
    const all = (fn) => Promise.all(clients.map(fn));
    const pexpiretime = (c, key) => c.call("PEXPIRETIME", key);
    eq("set EX", await east.set("node:exp", "v", "EX", 100), "OK");
    const ttl = await east.ttl("node:exp");
    ok("ttl right after set EX 100", ttl > 90 && ttl <= 100, `(got ${show(ttl)})`);
    const at = await pexpiretime(east, "node:exp");
    ok("PEXPIRETIME is about 100 s ahead", Math.abs(at - (Date.now() + 100000)) < 5000, `(got ${show(at)})`);
    await eventually("the expiry reaches every region", () => all((c) => pexpiretime(c, "node:exp")), [at, at, at]);
    const ttls = await all((c) => c.ttl("node:exp"));
    ok("ttl in every region", ttls.every((t) => t > 90 && t <= 100), `(got ${show(ttls)})`);

    eq("pexpire in us-west-2", await west.pexpire("node:exp", 50000), 1);
    const shorter = await pexpiretime(west, "node:exp");
    ok("pexpire moved the expiry", shorter < at && shorter > Date.now() + 45000, `(got ${show(shorter)}, was ${at})`);
    await eventually("the moved expiry in every region", () => all((c) => pexpiretime(c, "node:exp")),
      [shorter, shorter, shorter]);
    const pttl = await eu.pttl("node:exp");
    ok("pttl in eu-west-1", pttl > 45000 && pttl <= 50000, `(got ${show(pttl)})`);

    eq("persist in eu-west-1", await eu.persist("node:exp"), 1);
    eq("persist again", await eu.persist("node:exp"), 0);
    await eventually("no expiry in any region", () => all((c) => c.ttl("node:exp")), [-1, -1, -1]);
    eq("the value stays everywhere", await all((c) => c.get("node:exp")), ["v", "v", "v"]);

    const short = "node:exp-short";
    eq("set PX 1500", await east.set(short, "v", "PX", 1500), "OK");
    await eventually("gone from every region after its expiry",
      () => all(async (c) => [await c.get(short), await c.ttl(short), await c.exists(short)]),
      Array(3).fill([null, -2, 0]));
    eq("pexpire on a missing key", await east.pexpire("node:exp-missing", 1000), 0);
    eq("persist on a missing key", await east.persist("node:exp-missing"), 0);
    eq("ttl of a missing key", await east.ttl("node:exp-missing"), -2);
  });

  await section("resp3", async () => {
    // ioredis 5 speaks RESP2 only (no protocol option; its parser does not
    // read RESP3 maps or pushes), so RESP3 is tested by resp_cli_test.py.
    console.log("SKIP RESP3: ioredis 5 has no RESP3 support");
  });

  await section("keyspace notifications", async () => {
    const got = [];
    subscriber.on("pmessage", (pattern, channel, message) => got.push([pattern, channel, message]));
    eq("PSUBSCRIBE count", await subscriber.psubscribe("__keyspace@0__:node:ks*"), 1);
    await east.sadd("node:ks-set", "a");
    await east.incrby("node:ks-ctr", 4);
    await eu.hset("node:ks-hash", "f", "v");
    await west.set("node:ks-local", "v");
    const want = [
      ["__keyspace@0__:node:ks*", "__keyspace@0__:node:ks-set", "sadd"],
      ["__keyspace@0__:node:ks*", "__keyspace@0__:node:ks-ctr", "incrby"],
      ["__keyspace@0__:node:ks*", "__keyspace@0__:node:ks-hash", "hset"],
      ["__keyspace@0__:node:ks*", "__keyspace@0__:node:ks-local", "set"],
    ];
    const have = () => want.every((w) => got.some((g) => isDeepStrictEqual(g, w)));
    await eventually("remote and local changes notify the subscriber in us-west-2", async () => have(), true);
    if (!have()) console.log("received:", show(got));
    eq("PUNSUBSCRIBE", await subscriber.punsubscribe("__keyspace@0__:node:ks*"), 0);
  });
}

await main();
await Promise.all([...clients, subscriber].map((c) => c.quit().catch(() => c.disconnect())));
for (const f of failed) console.log("FAIL", f);
console.log(`resp_node_test: ${passed} checks passed, ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);
