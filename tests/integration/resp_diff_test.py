#!/usr/bin/env python3
"""Differential test of the Redis port: seeded random command sequences sent
over raw sockets to a real redis-server and to one regionsyncd region; every
reply must be byte-identical (error texts included), except the differences
DOCUMENTED_DIFFERENCES lists, and after each sequence both keyspaces must hold
the same keys with the same types and contents.

usage: resp_diff_test.py REGIONSYNCD [--seed S] [--seeds N] [--commands M] [--resp3]
  short mode (ctest): 3 seeds of 300 commands from a random base seed (printed);
  long mode: --seeds 200 --commands 2000, or REGIONSYNC_DIFF_SEEDS / REGIONSYNC_DIFF_COMMANDS.
Commands this regionsyncd does not know yet (COMMAND INFO answers nil) are
skipped and listed; REGIONSYNC_DIFF_STRICT=1 (or --strict) fails the run then.
A failure prints its seed, the command's index and how to re-run that seed alone."""
import argparse
import math
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Daemon, RespConnection, RespError  # noqa: E402
from resp_cli_test import REDIS_SERVER, RedisServer  # noqa: E402
import resp_diff_commands as commands  # noqa: E402


def is_error(v):
    return isinstance(v, RespError)


WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def key_bytes(k):
    return k.encode("utf-8", "surrogateescape") if isinstance(k, str) else k


def fixed_type(args, got, want, types):
    """regionsyncd answered WRONGTYPE where Redis replaced or recreated a key
    of another type: one of the command's keys holds (or held before a DEL) a
    type other than the command's."""
    if got != WRONGTYPE or is_error(want):
        return False
    family = commands.TYPE_OF.get(args[0].upper())
    return any(t not in (None, family) for t in (types(key_bytes(a)) for a in commands.key_args(args)))


def empty_key(args, got, want, types):
    return got == "ERR key must not be empty" and "" in commands.key_args(args) and not is_error(want)


def empty_field(args, got, want, types):
    return got == "ERR regionsync hashes do not support an empty field name" and "" in args[2:] and \
        not is_error(want)


def running_total(args, got, want, types):
    return isinstance(got, RespError) and \
        str(got).startswith("ERR increment or decrement would overflow this region's running total") and \
        not is_error(want)


def last_bits(args, got, want, types):
    """A ZINCRBY (or ZADD INCR) answered a score a few ulps from Redis's."""
    if args[0].upper() not in ("ZINCRBY", "ZADD") or not isinstance(got, str) or not isinstance(want, str):
        return False
    try:
        g, w = float(got), float(want)
    except ValueError:
        return False
    return g != w and math.isfinite(g) and math.isfinite(w) and abs(g - w) <= 4 * math.ulp(max(abs(g), abs(w)))


# Where regionsyncd's replies may differ from Redis 7.0's, and why. The kind
# says how the runner compares:
#   unordered  the same elements, in any order (the reply is sorted first);
#   pairs      the same field/value pairs, in any order;
#   random     Redis picks at random: the same reply shape and count, every
#              element taken from the key's value before the command; then the
#              key's value in Redis is set to regionsyncd's, which must be the
#              value before minus what was popped (SPOP);
#   scan       the cursor is the server's own: both are walked to cursor 0 and
#              the union of what they returned is compared;
#   refused    regionsyncd refuses the command with the error the third field
#              recognises (args, regionsyncd's reply, Redis's reply, the
#              key types): counted, not failed, and Redis's keyspace is then
#              set to regionsyncd's so the sequence goes on comparing;
#   rounded    a score in regionsyncd's reply is within a few ulps of Redis's
#              (the third field recognises it): counted, not failed, and the
#              keyspaces are made equal again, as for "refused";
#   not generated  commands or options the generators never send.
# Everything else must be byte-identical.
DOCUMENTED_DIFFERENCES = {
    "SMEMBERS": ("unordered", "Redis answers a hashtable-encoded set in hash order, regionsyncd in byte order"),
    "SINTER": ("unordered", "set order, as SMEMBERS"),
    "SUNION": ("unordered", "set order, as SMEMBERS"),
    "SDIFF": ("unordered", "set order, as SMEMBERS"),
    "KEYS": ("unordered", "Redis answers in hash-table order, regionsyncd in the order it first saw the keys"),
    "HKEYS": ("unordered", "Redis answers a listpack hash in insertion order, regionsyncd in byte order"),
    "HVALS": ("unordered", "field order, as HKEYS"),
    "HGETALL": ("pairs", "field order, as HKEYS"),
    "SPOP": ("random", "Redis pops random members"),
    "SRANDMEMBER": ("random", "Redis picks random members"),
    "HRANDFIELD": ("random", "Redis picks random fields"),
    "ZRANDMEMBER": ("random", "Redis picks random members"),
    "RANDOMKEY": ("random", "Redis picks a random key"),
    "SCAN": ("scan", "cursors are each server's own (regionsyncd: the order it first saw the keys)"),
    "SSCAN": ("scan", "cursors and element order are each server's own"),
    "HSCAN": ("scan", "cursors and field order are each server's own"),
    "ZSCAN": ("scan", "cursors are each server's own"),
    "a key's type is fixed": ("refused", "a key keeps its type in regionsyncd, also after DEL or FLUSHDB: "
                                         "SET/MSET over another type, or any write of another type on a deleted "
                                         "key, answer WRONGTYPE where Redis replaces or recreates the key "
                                         "(docs/redis.md, Types)", fixed_type),
    "empty key": ("refused", "regionsyncd refuses the empty key name: -ERR key must not be empty", empty_key),
    "empty hash field": ("refused", "regionsyncd refuses an empty hash field name", empty_field),
    "ZINCRBY rounding": ("rounded", "a region's ZINCRBYs of a member add up as its score's base plus one running "
                                    "total, (s + (a + b)), where Redis rounds after each step, ((s + a) + b): "
                                    "fractional chains can differ in the last bits (docs/redis.md, Sorted sets)",
                         last_bits),
    "running total": ("refused", "one region's increments of a key total at most 2^64 - 1 over its life (a "
                                 "counter slot; docs/redis.md, Strings and counters): INCRBY k -2^63, SET k 1, "
                                 "INCRBY k -2^63 is refused where Redis answers", running_total),
    "TTL": ("timing", "the servers run each command a moment apart: a time left may differ by the rounding"),
    "PTTL": ("timing", "as TTL, in milliseconds"),
    "EXPIRETIME": ("timing", "an expiry set by a relative time is the moment each server ran it"),
    "PEXPIRETIME": ("timing", "as EXPIRETIME, in milliseconds"),
    "small positive relative expiry times": ("not generated", "a key would expire during the run at a moment "
                                                              "that differs between the servers"),
    "values over 128 KiB, SETRANGE offsets near 512 MB": ("not generated", "regionsyncd's --max-value-bytes"),
    "SCAN-family cursors other than 0": ("not generated", "a cursor is a place in one server's walk; the "
                                                          "generators send 0 or cursors both refuse"),
    "SELECT n, MOVE, COPY ... DB n": ("not generated", "regionsyncd has database 0 only"),
    "lex ranges over mixed scores in a sorted set past 128 members or with members over 64 bytes":
        ("not generated", "Redis walks its skiplist there, whose answer over mixed scores depends on random "
                          "node levels; regionsyncd binary-searches (docs/redis.md, Sorted sets). Small sets "
                          "(Redis's listpack) are walked as Redis walks them and compared byte for byte"),
    "OBJECT ENCODING of a sorted set that shrank": ("not generated", "Redis keeps skiplist once converted; "
                                                                     "regionsyncd answers from the current size"),
    "OBJECT TIME INFO LASTSAVE DEBUG CONFIG": ("not generated", "server internals, not data"),
}
KIND = {name: entry[0] for name, entry in DOCUMENTED_DIFFERENCES.items()}
REFUSALS = {name: entry[2] for name, entry in DOCUMENTED_DIFFERENCES.items() if entry[0] in ("refused", "rounded")}

SHORT_SEEDS, SHORT_COMMANDS = 3, 300
MAX_REPORTS_PER_SEED = 10


def show(args):
    """A command as a Python list literal (binary arguments stay readable,
    long ones are abbreviated)."""
    return "[" + ", ".join(short(a) for a in args) + "]"


def short(value, limit=200):
    text = repr(value)
    return text if len(text) <= limit else "%s...(%d characters)" % (text[:limit], len(text))


class Server:
    """One server under comparison: two clients for the sequence (the second
    writes to keys the first WATCHes) and an inspector that reads keyspaces."""

    def __init__(self, name, port, resp3):
        self.name = name
        self.port = port
        self.clients = [RespConnection(port, timeout=30), RespConnection(port, timeout=30)]
        self.inspector = RespConnection(port, timeout=30)
        if resp3:
            for c in self.clients:
                c.command("HELLO", "3")

    def send(self, client, args):
        """(decoded reply, raw bytes of the reply)."""
        c = self.clients[client]
        value = c.command(*args)
        return value, c.last_raw

    def pipeline(self, cmds):
        """Replies of `cmds` sent in one write on the inspector."""
        self.inspector.send(b"".join(RespConnection.encode(*c) for c in cmds))
        return [self.inspector.read_reply() for _ in cmds]

    def ask(self, *args):
        return self.inspector.command(*args)

    def close(self):
        for c in self.clients + [self.inspector]:
            c.close()


# ---- Keyspace reading and copying.

def all_keys(server):
    got = server.ask("KEYS", "*")
    return [] if isinstance(got, RespError) else got


def dump_key(server, key, enabled):
    """(type, contents) of one key, contents in a canonical order."""
    t = server.ask("TYPE", key)
    if t == "string":
        return t, server.ask("GET", key)
    if t == "set":
        return t, sorted(server.ask("SMEMBERS", key))
    if t == "hash":
        got = server.ask("HGETALL", key)
        pairs = got.items() if isinstance(got, dict) else zip(got[0::2], got[1::2])
        return t, sorted(pairs)
    if t == "zset" and "ZRANGE" in enabled:
        return t, server.ask("ZRANGE", key, "0", "-1", "WITHSCORES")
    return t, None


def expiry(server, key):
    """The key's PEXPIRETIME (-1: none, -2: no key)."""
    return server.ask("PEXPIRETIME", key)


def dump(server, enabled):
    """Every key's (type, contents, whether it has an expiry)."""
    keys = sorted(set(key_bytes(k) for k in all_keys(server)) | set(key_bytes(k) for k in commands.TRACKED_KEYS))
    return {k: dump_key(server, k, enabled) + (expiry(server, k) >= 0,) for k in keys}


def copy_key(redis, rs, key, enabled):
    """Sets `key` in Redis to what regionsyncd holds, with its expiry."""
    t, value = dump_key(rs, key, enabled)
    at = expiry(rs, key)
    redis.ask("DEL", key)
    if t == "string":
        redis.ask("SET", key, key_bytes(value))
    elif t == "set":
        redis.ask("SADD", key, *[key_bytes(m) for m in value])
    elif t == "hash":
        redis.ask("HSET", key, *[key_bytes(x) for pair in value for x in pair])
    elif t == "zset":
        redis.ask("ZADD", key, *[key_bytes(x) for i in range(0, len(value), 2) for x in (value[i + 1], value[i])])
    if at >= 0:
        redis.ask("PEXPIREAT", key, str(at))


def resync(redis, rs, enabled):
    """Makes Redis's keyspace equal to regionsyncd's (after a documented or a
    reported difference, so that the sequence goes on comparing)."""
    want, have = dump(rs, enabled), dump(redis, enabled)
    for k in sorted(set(want) | set(have)):
        if want.get(k) != have.get(k):
            copy_key(redis, rs, k, enabled)


# ---- Comparing one reply.

def normalised(kind, value):
    if is_error(value) or value is None:
        return value
    if kind == "unordered":
        return sorted(value, key=repr) if isinstance(value, list) else value
    if kind == "pairs":
        if isinstance(value, dict):
            return sorted(value.items(), key=repr)
        return sorted(zip(value[0::2], value[1::2]), key=repr)
    return value


def same_reply(name, got, want):
    """Compares (value, raw) replies of one command by its documented kind."""
    kind = KIND.get(name)
    if kind == "timing" and isinstance(got[0], int) and isinstance(want[0], int) and min(got[0], want[0]) >= 0:
        return abs(got[0] - want[0]) <= (1 if name in ("TTL", "EXPIRETIME") else 2000)
    if kind in ("unordered", "pairs"):
        # The RESP type (array, map, set) must match; the order need not.
        return got[1][:1] == want[1][:1] and normalised(kind, got[0]) == normalised(kind, want[0])
    return got[1] == want[1]


def elements_raw(raw):
    """The raw bytes of each element of an array reply."""
    parser = RespConnection.__new__(RespConnection)  # its parser only, no socket
    parser.buf = raw
    pos = raw.index(b"\r\n") + 2
    out = []
    while pos < len(raw):
        _, end = parser._parse(pos)
        out.append(raw[pos:end])
        pos = end
    return out


def same_exec(queued, got, want):
    """EXEC replies: element by element, each by its command's kind."""
    if not (isinstance(got[0], list) and isinstance(want[0], list)) or len(got[0]) != len(want[0]):
        return got[1] == want[1]
    if got[1].split(b"\r\n", 1)[0] != want[1].split(b"\r\n", 1)[0]:
        return False
    return all(same_reply(name, g, w) for name, g, w in
               zip(queued, zip(got[0], elements_raw(got[1])), zip(want[0], elements_raw(want[1]))))


def picked(value, with_values):
    """A random command's reply as a list of elements, or of (element, value)
    pairs (RESP2 flat, RESP3 nested)."""
    if value is None:
        return []
    if isinstance(value, dict):
        return list(value.items())
    if not isinstance(value, list):
        return [value]
    if with_values:
        if value and isinstance(value[0], list):
            return [tuple(p) for p in value]
        return list(zip(value[0::2], value[1::2]))
    return value


def random_reply_problem(args, before, got, want):
    """None when regionsyncd's reply to a random command is one Redis could
    have given, else what is wrong with it. `before` is the key's (type,
    contents) before the command, in Redis (equal to regionsyncd's)."""
    name = args[0].upper()
    if is_error(got[0]) or is_error(want[0]):
        return None if got[1] == want[1] else "different errors"
    if got[1][:1] != want[1][:1]:
        return "different reply types"
    with_values = len(args) > 3 and args[3].upper() in ("WITHVALUES", "WITHSCORES")
    g, w = picked(got[0], with_values), picked(want[0], with_values)
    if len(g) != len(w):
        return "%d elements, Redis %d" % (len(g), len(w))
    if name == "RANDOMKEY":
        return None
    t, contents = before
    if t == "hash":
        pool = dict(contents)
    elif t == "zset":
        pool = dict(zip(contents[0::2], contents[1::2]))
    else:
        pool = dict.fromkeys(contents or [])
    for e in g:
        element, value = e if with_values else (e, None)
        if element not in pool:
            return "%r was not in the key" % (element,)
        if with_values and (float(pool[element]) != float(value) if t == "zset" else pool[element] != value):
            return "%r has the value %r in the key" % (element, pool[element])
    elements = [e[0] for e in g] if with_values else g
    positive = len(args) > 2 and not args[2].startswith("-")
    if (name == "SPOP" or positive) and len(set(elements)) != len(elements):
        return "the same element twice"
    return None


class Run:
    """One seeded sequence against both servers."""

    def __init__(self, opts, seed, redis, rs, enabled, resp3):
        self.opts, self.seed, self.redis, self.rs, self.enabled, self.resp3 = opts, seed, redis, rs, enabled, resp3
        self.failures = []
        self.documented = {}
        self.index = 0
        self.queued = [None, None]  # per client: command names queued in MULTI, None outside
        # A documented refusal (a write Redis made and regionsyncd refused)
        # may have touched a key some client WATCHes: until that client's
        # next EXEC, an EXEC that one server aborts is explained by it.
        self.refused_since_watch = False
        self.queued_args = [[], []]
        self.exec_args = []
        self.checked = 0
        self.last_type = {}
        self.types = {}

    def rerun(self):
        return "python3 tests/integration/resp_diff_test.py REGIONSYNCD --seed %d --commands %d%s" % (
            self.seed, self.opts.commands, " --resp3" if self.resp3 else "")

    def fail(self, args, got, want, why=""):
        text = ("seed %d, command %d: %s%s\n    regionsyncd: %s\n    redis:       %s\n    re-run: %s" %
                (self.seed, self.index, show(args), (" (" + why + ")") if why else "", short(got, 600), short(want, 600),
                 self.rerun()))
        self.failures.append((args[0].upper(), text))

    def note(self, what):
        self.documented[what] = self.documented.get(what, 0) + 1

    def observe_types(self):
        """Redis's TYPE of every key, and the last type each key had."""
        replies = self.redis.pipeline([["TYPE", k] for k in commands.TRACKED_KEYS])
        self.types = dict(zip(map(key_bytes, commands.TRACKED_KEYS), replies))
        for k, t in self.types.items():
            if t != "none":
                self.last_type[k] = t

    def note_created_types(self, replies):
        """A key a transaction created and emptied again (SADD k ... FLUSHDB
        inside one MULTI) had a type no TYPE between commands saw; the writes
        that succeeded in Redis tell it."""
        if not isinstance(replies, list):
            return
        for args, reply in zip(self.exec_args, replies):
            family = commands.TYPE_OF.get(args[0].upper())
            if is_error(reply) or family is None or args[0].upper() not in commands.CREATING_WRITES:
                continue
            for k in commands.created_keys(args):  # only a key no TYPE ever saw: else that type stays
                self.last_type.setdefault(key_bytes(k), family)

    def type_of(self, key):
        """The key's type in Redis, or the one it had before it was deleted."""
        t = self.types.get(key)
        return t if t not in (None, "none") else self.last_type.get(key)

    def refusal(self, args, got, want):
        """The DOCUMENTED_DIFFERENCES refusal that explains regionsyncd's reply,
        or None; for EXEC, one of the queued commands' replies."""
        pairs = [(args, got[0], want[0])]
        if args[0].upper() == "EXEC" and isinstance(got[0], list) and isinstance(want[0], list):
            pairs = list(zip(self.exec_args, got[0], want[0]))
        for a, g, w in pairs:
            for name, explains in REFUSALS.items():
                if explains(a, g, w, self.type_of):
                    return name
        return None

    def command(self, client, args):
        self.index += 1
        name = args[0].upper()
        queued = self.queued[client]
        kind = KIND.get(name) if queued is None else None
        if kind == "scan":
            return self.scan(client, args)
        before = dump_key(self.redis, args[1], self.enabled) if kind == "random" and len(args) > 1 else None
        want = self.redis.send(client, args)
        got = self.rs.send(client, args)
        if queued is not None and name not in ("EXEC", "DISCARD", "MULTI", "WATCH"):
            queued.append(name)
            self.queued_args[client].append(args)
        if queued is not None and name == "EXEC":
            self.exec_args = self.queued_args[client]
            ok = same_exec(queued, got, want)
            self.note_created_types(want[0])
        elif kind == "random":
            problem = random_reply_problem(args, before, got, want)
            if problem is None and name == "SPOP" and not is_error(got[0]) and before[0] == "set":
                left = sorted(set(before[1]) - set(picked(got[0], False)))
                after = dump_key(self.rs, args[1], self.enabled)
                if after != (("set", left) if left else ("none", None)):
                    problem = "left %r in the set, want %r" % (after, left)
            if problem is None:
                self.note(name)
                resync(self.redis, self.rs, self.enabled)
                ok = True
            else:
                self.fail(args, got[0], want[0], problem)
                ok = None
        else:
            ok = same_reply(name, got, want)
        if name == "MULTI" and want[0] == "OK":
            self.queued[client], self.queued_args[client] = [], []
        elif name in ("EXEC", "DISCARD") and queued is not None:
            self.queued[client] = None
        if ok is False and name == "EXEC" and self.refused_since_watch and (got[0] is None or want[0] is None):
            ok = True
            self.note("a refused write touched a watched key")
            resync(self.redis, self.rs, self.enabled)
        if name in ("EXEC", "DISCARD", "UNWATCH"):
            self.refused_since_watch = False
        if ok is False:
            refusal = self.refusal(args, got, want)
            if refusal is not None:
                self.refused_since_watch = True
                self.note(refusal)
                resync(self.redis, self.rs, self.enabled)
            else:
                why = "queued: " + ", ".join(show(a) for a in self.exec_args) if name == "EXEC" else ""
                self.fail(args, got[1], want[1], why)
                self.recover()
        self.observe_types()

    def scan(self, client, args):
        """Walks both servers' cursors to 0; compares what they returned."""
        got_all, want_all = [], []
        cmd = list(args)
        cursor_at = 1 if args[0].upper() == "SCAN" else 2
        for server, out in ((self.rs, got_all), (self.redis, want_all)):
            for _ in range(10000):
                reply = server.send(client, cmd)
                if not isinstance(reply[0], list):
                    out.append(reply[1])
                    break
                cursor, items = reply[0]
                if args[0].upper() in ("HSCAN", "ZSCAN"):
                    out.extend(zip(items[0::2], items[1::2]))
                else:
                    out.extend(items)
                if cursor == "0":
                    break
                cmd[cursor_at] = cursor
            cmd = list(args)
        if sorted(set(got_all), key=repr) != sorted(set(want_all), key=repr):
            self.fail(args, got_all, want_all, "the union of a full cursor walk")
        else:
            self.note(args[0].upper())

    def recover(self):
        """After a reported difference: both servers back to one state."""
        for s in (self.redis, self.rs):
            for c in s.clients:
                c.command("DISCARD")
                if "UNWATCH" in self.enabled:
                    c.command("UNWATCH")
        self.queued = [None, None]
        resync(self.redis, self.rs, self.enabled)

    def compare_keyspaces(self, when):
        want, got = dump(self.redis, self.enabled), dump(self.rs, self.enabled)
        for k in sorted(set(want) | set(got)):
            if want.get(k, ("none", None, False)) != got.get(k, ("none", None, False)):
                self.failures.append(("keyspace", "seed %d, keyspace %s: key %r\n    regionsyncd: %s\n"
                                      "    redis:       %s\n    re-run: %s" %
                                      (self.seed, when, k, short(got.get(k), 600), short(want.get(k), 600), self.rerun())))
        if want != got:
            resync(self.redis, self.rs, self.enabled)

    def run(self):
        gen = commands.Gen(random.Random(self.seed), self.enabled)
        self.observe_types()
        while self.index < self.opts.commands and len(self.failures) < MAX_REPORTS_PER_SEED:
            for client, args in gen.step():
                self.command(client, args)
            if self.index // 100 != self.checked:
                self.checked = self.index // 100
                if all(q is None for q in self.queued):
                    self.compare_keyspaces("after command %d" % self.index)
        if self.queued != [None, None]:
            for s in (self.redis, self.rs):
                for c in s.clients:
                    c.command("DISCARD")
        self.compare_keyspaces("at the end")
        return self.failures


def known_commands(rs):
    """The commands regionsyncd knows, by COMMAND INFO (nil: unknown)."""
    names = commands.ALL_COMMANDS
    got = rs.ask("COMMAND", "INFO", *names)
    if not isinstance(got, list):
        return set()
    return {n for n, info in zip(names, got) if info is not None}


def command_info_problems(redis, rs, enabled):
    """COMMAND INFO of every known command: name, arity, flags and the legacy
    key range (the first 6 fields; Redis 7 adds ACL categories, tips, key
    specs and subcommands, which regionsyncd does not send) must be Redis's.
    Cluster-aware clients find a command's keys by them."""
    names = sorted(n for n in commands.ALL_COMMANDS if n in enabled)
    want, got = redis.ask("COMMAND", "INFO", *names), rs.ask("COMMAND", "INFO", *names)
    problems = []
    for name, w, g in zip(names, want, got):
        w6, g6 = list(w[:6]), list(g[:6])
        w6[2], g6[2] = sorted(w6[2]), sorted(g6[2])  # flags: a set
        if w6 != g6:
            problems.append(("COMMAND INFO", "COMMAND INFO %s: regionsyncd %r, Redis %r" % (name, g6, w6)))
    return problems


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("regionsyncd")
    p.add_argument("--seed", type=int, help="the first seed (default: random, printed)")
    p.add_argument("--seeds", type=int, default=int(os.environ.get("REGIONSYNC_DIFF_SEEDS", 0)) or None,
                   help="how many seeds (default %d; 1 with --seed)" % SHORT_SEEDS)
    p.add_argument("--commands", type=int, default=int(os.environ.get("REGIONSYNC_DIFF_COMMANDS", SHORT_COMMANDS)),
                   help="commands per seed (default %d)" % SHORT_COMMANDS)
    p.add_argument("--resp3", action="store_true", help="every seed in RESP3 (default: the last seed only)")
    p.add_argument("--self-check", action="store_true",
                   help="compare redis-server with a second redis-server (tests this test)")
    p.add_argument("--strict", action="store_true", default=os.environ.get("REGIONSYNC_DIFF_STRICT") == "1",
                   help="fail when a command is skipped (REGIONSYNC_DIFF_STRICT=1)")
    opts = p.parse_args()
    if opts.seeds is None:
        opts.seeds = 1 if opts.seed is not None else SHORT_SEEDS
    if opts.seed is None:
        opts.seed = random.SystemRandom().randrange(1, 1 << 31)
    return opts


class Region:
    """The server under test: a fresh one-region regionsyncd per seed
    (regionsyncd keeps deleted keys' types, so a seed must not see the keys
    of the seeds before it)."""

    def __init__(self, binary):
        self.binary = binary
        self.daemon = None

    def start(self):
        self.daemon = Daemon(self.binary, ["--replica-id", "us-east-1/a"])
        self.daemon.start()
        return self.daemon.resp_port

    def stop(self, failures, seed):
        try:
            if self.daemon.stop() != 0:
                failures.append(("daemon", "seed %d: regionsyncd did not exit 0 on SIGTERM" % seed))
        finally:
            self.daemon.cleanup()

    def log(self):
        return self.daemon.read_log() if self.daemon else ""


class SecondRedis:
    """--self-check: a second redis-server in place of regionsyncd, with every
    command enabled; any difference then is a bug of this test."""

    def __init__(self):
        self.redis = RedisServer()

    def start(self):
        RespConnection(self.redis.port).command("FLUSHALL")
        return self.redis.port

    def stop(self, failures, seed):
        pass

    def log(self):
        return ""


def run_seed(opts, seed, redis_port, port, failures, documented):
    """One seed; returns the commands this target does not know."""
    resp3 = opts.resp3 or (opts.seeds > 1 and seed == opts.seed + opts.seeds - 1)
    servers = [Server("redis", redis_port, resp3), Server("regionsyncd", port, resp3)]
    try:
        servers[0].ask("FLUSHALL")
        enabled = known_commands(servers[1])
        if seed == opts.seed:
            failures += command_info_problems(servers[0], servers[1], enabled)
        run = Run(opts, seed, servers[0], servers[1], enabled, resp3)
        got = run.run()
        print("seed %d%s: %d commands, %d differences" % (seed, " (RESP3)" if resp3 else "", run.index, len(got)))
        failures += got
        for k, v in run.documented.items():
            documented[k] = documented.get(k, 0) + v
        return [n for n in commands.ALL_COMMANDS if n not in enabled]
    finally:
        for s in servers:
            s.close()


def report(opts, failures, documented, skipped, seconds):
    print("compared without byte identity (DOCUMENTED_DIFFERENCES): " +
          ", ".join("%s %d" % kv for kv in sorted(documented.items())))
    if skipped:
        print("SKIPPED (regionsyncd answers COMMAND INFO with nil): %s" % " ".join(skipped))
        if opts.strict:
            failures.append(("strict", "REGIONSYNC_DIFF_STRICT=1: %d commands skipped" % len(skipped)))
    by_command = {}
    for name, text in failures:
        by_command.setdefault(name, []).append(text)
    for name in sorted(by_command):
        texts = by_command[name]
        for text in texts[:3]:
            print("FAIL", text)
        if len(texts) > 3:
            print("FAIL %s: %d more like this" % (name, len(texts) - 3))
    print("resp_diff_test: seeds %d..%d, %d commands each, %.1f s, %d failures" % (
        opts.seed, opts.seed + opts.seeds - 1, opts.commands, seconds, len(failures)))


def main():
    opts = parse_args()
    if REDIS_SERVER is None:
        print("FAIL redis-server not found (Debian package redis-server; scripts/test installs it)")
        return 1
    started = time.monotonic()
    redis = RedisServer()
    failures, documented, skipped = [], {}, []
    target = None
    try:
        target = SecondRedis() if opts.self_check else Region(opts.regionsyncd)
        for seed in range(opts.seed, opts.seed + opts.seeds):
            try:
                port = target.start()
                skipped = run_seed(opts, seed, redis.port, port, failures, documented)
            except (AssertionError, OSError) as e:
                failures.append(("error", "seed %d: %s: %s\n%s" % (seed, type(e).__name__, e, target.log())))
            finally:
                target.stop(failures, seed)
    finally:
        redis.stop()
        if isinstance(target, SecondRedis):
            target.redis.stop()
    report(opts, failures, documented, skipped, time.monotonic() - started)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
