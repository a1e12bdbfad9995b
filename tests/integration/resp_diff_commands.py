"""Random command generators for resp_diff_test.py: each generator builds one
command (a list of str/bytes arguments) over a small keyspace, so that commands
hit existing keys, keys of the wrong type and missing keys, with the edge-case
values Redis parses strictly (empty and binary values, int64 bounds, floats
with spaces, inf, bad options, wrong arity).

A generated step is a list of (connection, args): connection 0 is the client
under test, 1 a second client (it writes to keys the first one WATCHes)."""

# The keyspace: a few keys per type, plus two keys any type may take.
KEYS = {
    "string": ["s1", "s2", "s3"],
    "set": ["set1", "set2", "set3"],
    "hash": ["h1", "h2"],
    "zset": ["z1", "z2", "z3"],
}
FREE_KEYS = ["", b"k\x00\r\n\xff"]
ALL_KEYS = [k for ks in KEYS.values() for k in ks] + FREE_KEYS
# Sorted sets whose members all have score 0, for the lex commands (Redis
# documents lex ranges for equal scores only): only ZADD with score 0 and
# removals write them, so they stay out of ALL_KEYS.
LEX_KEYS = ["zl1", "zl2"]
MISSING = "missing"  # mostly read, so mostly missing
TRACKED_KEYS = ALL_KEYS + LEX_KEYS + [MISSING]

BINARY = bytes(range(256))
WORDS = ["a", "b", "c", "hello", "", "a\r\nb", "x y"]
INTEGERS = ["0", "1", "-1", "2", "10", "42", "-7", "100", "9223372036854775807", "-9223372036854775808",
            "9223372036854775806", "-9223372036854775807"]
NOT_INTEGERS = ["007", " 1", "1 ", "+1", "1.5", "9223372036854775808", "-9223372036854775809", "abc", "", "0x10",
                "1e3", "-0"]
FLOATS = ["0.1", "1.5", "-2.5", "1e308", "-1e308", "1e-5", "inf", "-inf", "+inf", "3.0e2", "5", "-0", "0.0",
          " 1", "1 ", "abc", "nan", "1e309", "", "1.7976931348623157e308", "10.50", "0x10"]
MEMBERS = ["a", "b", "c", "d", "1", "2", "10", "-1", "", "m\r\n", b"\xff\x00", "aa", "ab"]
SCORES = ["0", "1", "-1", "1.5", "2", "10", "-0", "+inf", "-inf", "inf", "1e308", "0.1", "3e-5", "-2.5",
          "9007199254740993", "2", "1", "0"]
BAD_SCORES = ["abc", "nan", " 1", "1 ", "", "1e309x"]
COUNTS = ["0", "1", "2", "3", "5", "-1", "-2", "-5", "100", "9223372036854775807", "-9223372036854775808",
          "abc", "1.5", "99999999999999999999"]
INDEXES = ["0", "1", "2", "-1", "-2", "-3", "3", "5", "100", "-100", "9223372036854775807",
           "-9223372036854775808", "x"]
SCORE_RANGES = ["-inf", "+inf", "inf", "0", "1", "2", "(1", "(2", "1.5", "-1", "(-inf", "(+inf", "10", "abc",
                "(", "((1", "1e308"]
LEX_RANGES = ["-", "+", "[a", "(a", "[b", "(c", "[", "(", "[aa", "a", "[\xff", "(ab", "[d", "+x", "-\x00", "", "(\x00"]
PATTERNS = ["*", "s*", "set?", "h[12]", "*1", "z*", "[a-", "nomatch", "\\s1", "*\x00*", "?"]


class Gen:
    """One seeded stream of commands; `enabled` is the set of command names
    (upper case) the server under test knows."""

    def __init__(self, rng, enabled):
        self.rng = rng
        self.enabled = enabled
        # The commands that create keys come more often, so the keyspace fills.
        self.names = [n for n in sorted(FAMILY_OF) if n in enabled and n != "FLUSHDB"
                      for _ in range(WEIGHTS.get(n, 1))]

    # ---- Values.

    def pick(self, items):
        return self.rng.choice(items)

    def chance(self, p):
        return self.rng.random() < p

    def key(self, family=None):
        r = self.rng.random()
        if family is not None and r < 0.75:
            return self.pick(KEYS[family])
        if r < 0.97:
            return self.pick(ALL_KEYS)
        return MISSING

    def keys(self, family, lo=1, hi=3):
        return [self.key(family) for _ in range(self.rng.randint(lo, hi))]

    def value(self):
        r = self.rng.random()
        if r < 0.35:
            return self.pick(INTEGERS)
        if r < 0.45:
            return self.pick(NOT_INTEGERS)
        if r < 0.55:
            return self.pick(FLOATS)
        if r < 0.6:
            start = self.rng.randrange(256)
            return BINARY[start:start + self.rng.randint(0, 64)]
        if r < 0.62:
            return "v" * self.rng.choice([100, 1000, 5000])
        return self.pick(WORDS)

    def member(self):
        return self.pick(MEMBERS)

    def members(self, lo=1, hi=4):
        return [self.member() for _ in range(self.rng.randint(lo, hi))]

    def score(self):
        return self.pick(BAD_SCORES) if self.chance(0.05) else self.pick(SCORES)

    def integer(self):
        r = self.rng.random()
        if r < 0.6:
            return str(self.rng.randint(-10, 10))
        if r < 0.85:
            return self.pick(INTEGERS)
        return self.pick(NOT_INTEGERS)

    def count(self):
        return str(self.rng.randint(0, 4)) if self.chance(0.6) else self.pick(COUNTS)

    def index(self):
        return str(self.rng.randint(-4, 4)) if self.chance(0.7) else self.pick(INDEXES)

    def float_arg(self):
        return str(self.rng.randint(-3, 3)) if self.chance(0.3) else self.pick(FLOATS)

    def shuffled(self, opts):
        self.rng.shuffle(opts)
        return opts

    def scan_options(self, with_type=False):
        opts = []
        if self.chance(0.4):
            opts += [["MATCH", self.pick(PATTERNS + MEMBERS[:4])]]
        if self.chance(0.4):
            opts += [["COUNT", self.pick(["1", "2", "10", "1000", "0", "-1", "abc"])]]
        if with_type and self.chance(0.3):
            opts += [["TYPE", self.pick(["string", "set", "hash", "zset", "list", "none", "bogus"])]]
        if self.chance(0.03):
            opts += [["BOGUS"]]
        return [a for o in self.shuffled(opts) for a in o]

    def cursor(self):
        # Only 0 and cursors both servers refuse: a valid non-zero cursor
        # means a different place in each server's walk.
        return "0" if self.chance(0.9) else self.pick(["abc", " 1", "18446744073709551616", "", "1x"])

    # ---- Strings.

    def set_cmd(self):
        opts = []
        for o, p in (("NX", 0.2), ("XX", 0.2), ("GET", 0.25)):
            if self.chance(p):
                opts.append(self.pick([o, o.lower()]))
        if self.chance(0.03):
            opts.append(self.pick(["BOGUS", "NXX"]) if self.chance(0.5) else "GET")
        opts = self.shuffled(opts)
        if "TTL" in self.enabled and self.chance(0.3):
            opts += self.expiry_option(set_command=True)
            if self.chance(0.05):
                opts += self.expiry_option(set_command=True)  # two: a syntax error unless the same
        return ["SET", self.key("string"), self.value()] + opts

    # ---- Expiry. Relative times are long (no key expires during a run) or
    # not positive (the key is deleted at once); absolute ones far in the
    # future or in the past: both servers then answer the same.

    def seconds(self):
        return self.pick(["1000", "86400", "100000", "0", "-1", "-100", "x", "1.5", "9223372036854775807",
                          "-9223372036854775808", "9223372036854776"])

    def millis(self):
        return self.pick(["1000000", "86400000", "0", "-5", "x", "9223372036854775807", "-9223372036854775808"])

    def at_seconds(self):
        return self.pick(["4102444800", "4102444801", "5000000000", "1", "0", "-1", "x"])

    def at_millis(self):
        return self.pick(["4102444800000", "4102444800500", "5000000000000", "1", "0", "x"])

    def expiry_option(self, set_command):
        r = self.rng.random()
        if r < 0.1:
            return [self.pick(["KEEPTTL", "keepttl"] if set_command else ["PERSIST", "persist"])]
        if r < 0.12:
            return [self.pick(["KEEPTTL", "PERSIST", "EX"])]  # the wrong one, or no value
        name = self.pick(["EX", "PX", "EXAT", "PXAT", "ex", "pxat"])
        value = {"EX": self.seconds, "PX": self.millis, "EXAT": self.at_seconds, "PXAT": self.at_millis}[name.upper()]
        return [name, value()]

    def expire_flags(self):
        flags = [self.pick(["NX", "XX", "GT", "LT", "nx", "gt"]) for _ in range(self.pick([0, 0, 0, 1, 1, 2]))]
        if self.chance(0.03):
            flags.append(self.pick(["ZZ", "EX"]))
        return flags

    def expire_command(self, name):
        k = self.key()
        return {
            "EXPIRE": lambda: ["EXPIRE", k, self.seconds()] + self.expire_flags(),
            "PEXPIRE": lambda: ["PEXPIRE", k, self.millis()] + self.expire_flags(),
            "EXPIREAT": lambda: ["EXPIREAT", k, self.at_seconds()] + self.expire_flags(),
            "PEXPIREAT": lambda: ["PEXPIREAT", k, self.at_millis()] + self.expire_flags(),
            "TTL": lambda: ["TTL", k],
            "PTTL": lambda: ["PTTL", k],
            "EXPIRETIME": lambda: ["EXPIRETIME", k],
            "PEXPIRETIME": lambda: ["PEXPIRETIME", k],
            "PERSIST": lambda: ["PERSIST", k],
        }[name]()

    def pairs(self, family, make_value, lo=1, hi=3):
        out = []
        for _ in range(self.rng.randint(lo, hi)):
            out += [self.key(family), make_value()]
        return out

    def string_command(self, name):
        k = self.key("string")
        return {
            "GET": lambda: ["GET", k],
            "SET": self.set_cmd,
            "MGET": lambda: ["MGET"] + self.keys("string", 1, 4),
            "MSET": lambda: ["MSET"] + self.pairs("string", self.value),
            "MSETNX": lambda: ["MSETNX"] + self.pairs("string", self.value),
            "SETNX": lambda: ["SETNX", k, self.value()],
            "GETSET": lambda: ["GETSET", k, self.value()],
            "GETDEL": lambda: ["GETDEL", k],
            "APPEND": lambda: ["APPEND", k, self.value()],
            "STRLEN": lambda: ["STRLEN", k],
            "GETRANGE": lambda: ["GETRANGE", k, self.index(), self.index()],
            "SETRANGE": lambda: ["SETRANGE", k, self.pick([str(self.rng.randint(0, 20)), "0", "-1", "x",
                                                           "200"]), self.value()],
            "INCR": lambda: ["INCR", k],
            "DECR": lambda: ["DECR", k],
            "INCRBY": lambda: ["INCRBY", k, self.integer()],
            "DECRBY": lambda: ["DECRBY", k, self.integer()],
            "INCRBYFLOAT": lambda: ["INCRBYFLOAT", k, self.float_arg()],
            "SETEX": lambda: ["SETEX", k, self.seconds(), self.value()],
            "PSETEX": lambda: ["PSETEX", k, self.millis(), self.value()],
            "GETEX": lambda: ["GETEX", k] + (self.expiry_option(set_command=False) if self.chance(0.8) else []),
        }[name]()

    # ---- Sets.

    def set_command(self, name):
        k = self.key("set")
        store = lambda op: [op, self.key("set")] + self.keys("set")  # noqa: E731
        return {
            "SADD": lambda: ["SADD", k] + self.members(),
            "SREM": lambda: ["SREM", k] + self.members(),
            "SMEMBERS": lambda: ["SMEMBERS", k],
            "SISMEMBER": lambda: ["SISMEMBER", k, self.member()],
            "SMISMEMBER": lambda: ["SMISMEMBER", k] + self.members(),
            "SCARD": lambda: ["SCARD", k],
            "SINTER": lambda: ["SINTER"] + self.keys("set"),
            "SUNION": lambda: ["SUNION"] + self.keys("set"),
            "SDIFF": lambda: ["SDIFF"] + self.keys("set"),
            "SINTERSTORE": lambda: store("SINTERSTORE"),
            "SUNIONSTORE": lambda: store("SUNIONSTORE"),
            "SDIFFSTORE": lambda: store("SDIFFSTORE"),
            "SINTERCARD": self.sintercard,
            "SMOVE": lambda: ["SMOVE", k, self.key("set"), self.member()],
            "SPOP": lambda: ["SPOP", k] + ([self.count()] if self.chance(0.5) else []),
            "SRANDMEMBER": lambda: ["SRANDMEMBER", k] + ([self.count()] if self.chance(0.6) else []),
            "SSCAN": lambda: ["SSCAN", k, self.cursor()] + self.scan_options(),
        }[name]()

    def sintercard(self):
        keys = self.keys("set")
        n = str(len(keys)) if self.chance(0.85) else self.pick(["0", "-1", "5", "abc", str(len(keys) + 1)])
        tail = ["LIMIT", self.pick(["0", "1", "2", "-1", "abc"])] if self.chance(0.4) else []
        return ["SINTERCARD", n] + keys + tail

    # ---- Hashes.

    def field(self):
        return self.pick(MEMBERS[:9])

    def hash_command(self, name):
        k = self.key("hash")

        def field_values():
            out = []
            for _ in range(self.rng.randint(1, 3)):
                out += [self.field(), self.value()]
            return out[:-1] if self.chance(0.03) else out

        def randfield():
            args = ["HRANDFIELD", k]
            if self.chance(0.6):
                args.append(self.count())
                if self.chance(0.4):
                    args.append(self.pick(["WITHVALUES", "withvalues", "BOGUS"]))
            return args

        return {
            "HSET": lambda: ["HSET", k] + field_values(),
            "HMSET": lambda: ["HMSET", k] + field_values(),
            "HGET": lambda: ["HGET", k, self.field()],
            "HDEL": lambda: ["HDEL", k] + [self.field() for _ in range(self.rng.randint(1, 3))],
            "HGETALL": lambda: ["HGETALL", k],
            "HLEN": lambda: ["HLEN", k],
            "HINCRBY": lambda: ["HINCRBY", k, self.field(), self.integer()],
            "HINCRBYFLOAT": lambda: ["HINCRBYFLOAT", k, self.field(), self.float_arg()],
            "HMGET": lambda: ["HMGET", k] + [self.field() for _ in range(self.rng.randint(1, 4))],
            "HKEYS": lambda: ["HKEYS", k],
            "HVALS": lambda: ["HVALS", k],
            "HEXISTS": lambda: ["HEXISTS", k, self.field()],
            "HSETNX": lambda: ["HSETNX", k, self.field(), self.value()],
            "HSTRLEN": lambda: ["HSTRLEN", k, self.field()],
            "HSCAN": lambda: ["HSCAN", k, self.cursor()] + self.scan_options(),
            "HRANDFIELD": randfield,
        }[name]()

    # ---- Sorted sets.

    def lex_key(self):
        """Mostly an all-score-0 set; sometimes a set of mixed scores (small
        ones: Redis's listpack walk is defined, and regionsyncd follows it),
        another type or a missing key."""
        r = self.rng.random()
        if r < 0.7:
            return self.pick(LEX_KEYS)
        if r < 0.9:
            return self.pick(KEYS["zset"])
        return self.pick([k for k in ALL_KEYS if k not in KEYS["zset"]] + [MISSING])

    def lex_zadd(self):
        opts = [o for o, p in (("NX", 0.15), ("XX", 0.15), ("CH", 0.25)) if self.chance(p)]
        pairs = []
        for _ in range(self.rng.randint(1, 4)):
            pairs += ["0", self.member()]
        return ["ZADD", self.pick(LEX_KEYS)] + opts + pairs

    def zadd(self):
        if self.chance(0.2):
            return self.lex_zadd()
        opts = [o for o, p in (("NX", 0.15), ("XX", 0.15), ("GT", 0.15), ("LT", 0.15), ("CH", 0.25),
                               ("INCR", 0.15)) if self.chance(p)]
        if self.chance(0.03):
            opts.append("BOGUS")
        pairs = []
        for _ in range(self.rng.randint(1, 3)):
            pairs += [self.score(), self.member()]
        if self.chance(0.03):
            pairs = pairs[:-1]
        return ["ZADD", self.key("zset")] + self.shuffled(opts) + pairs

    def score_range(self):
        return self.pick(SCORE_RANGES) if self.chance(0.5) else self.pick(["-inf", "+inf", "0", "1", "2", "(1"])

    def lex_range(self):
        return self.pick(LEX_RANGES)

    def limit(self):
        return ["LIMIT", self.pick(["0", "1", "2", "-1"]), self.pick(["1", "2", "-1", "0", "10"])]

    def zrange(self):
        mode = self.pick(["index", "index", "BYSCORE", "BYLEX"])
        if mode == "index":
            args = ["ZRANGE", self.key("zset"), self.index(), self.index()]
        elif mode == "BYSCORE":
            args = ["ZRANGE", self.key("zset"), self.score_range(), self.score_range(), "BYSCORE"]
        else:
            args = ["ZRANGE", self.lex_key(), self.lex_range(), self.lex_range(), "BYLEX"]
        opts = []
        if self.chance(0.35):
            opts.append(["REV"])
        if self.chance(0.3 if mode != "index" else 0.05):
            opts.append(self.limit())
        if self.chance(0.35 if mode != "BYLEX" else 0.05):
            opts.append(["WITHSCORES"])
        if self.chance(0.03):
            opts.append([self.pick(["BYSCORE", "BYLEX", "BOGUS"])])
        return args[:4] + [a for o in self.shuffled(opts + ([args[4:]] if args[4:] else [])) for a in o]

    def zrangestore(self):
        args = self.zrange()
        if "WITHSCORES" in args and self.chance(0.8):
            args.remove("WITHSCORES")
        return ["ZRANGESTORE", self.key("zset")] + args[1:]

    def zrangebylex(self, name):
        args = [name, self.lex_key(), self.lex_range(), self.lex_range()]
        if self.chance(0.3):
            args += self.limit()
        if self.chance(0.03):
            args.append("WITHSCORES")
        return args

    def zcombine(self, name):
        """ZUNION / ZINTER / ZDIFF (numkeys first) and ZINTERCARD; sets count too."""
        keys = [self.key("zset") if self.chance(0.8) else self.key("set") for _ in range(self.rng.randint(1, 3))]
        n = str(len(keys)) if self.chance(0.9) else self.pick(["0", "-1", "abc", str(len(keys) + 1)])
        args = [name, n] + keys
        if name == "ZINTERCARD":
            if self.chance(0.4):
                args += ["LIMIT", self.pick(["0", "1", "2", "-1", "abc"])]
            return args
        if name != "ZDIFF" or self.chance(0.05):
            if self.chance(0.3):
                args += ["WEIGHTS"] + [self.pick(["1", "2", "-1", "0", "0.5", "inf", "abc"])
                                       for _ in range(len(keys) if self.chance(0.9) else len(keys) + 1)]
            if self.chance(0.3):
                args += ["AGGREGATE", self.pick(["SUM", "MIN", "MAX", "max", "AVG"])]
        if self.chance(0.5):
            args.append(self.pick(["WITHSCORES", "withscores"]) if self.chance(0.95) else "BOGUS")
        return args

    def zrangebyscore(self, name):
        args = [name, self.key("zset"), self.score_range(), self.score_range()]
        opts = []
        if self.chance(0.4):
            opts.append(["WITHSCORES"])
        if self.chance(0.3):
            opts.append(self.limit())
        return args + [a for o in self.shuffled(opts) for a in o]

    def zstore(self, name):
        keys = [self.key("zset") if self.chance(0.85) else self.key("set") for _ in range(self.rng.randint(1, 3))]
        n = str(len(keys)) if self.chance(0.9) else self.pick(["0", "-1", "abc", str(len(keys) + 1)])
        args = [name, self.key("zset"), n] + keys
        if self.chance(0.3):
            args += ["WEIGHTS"] + [self.pick(["1", "2", "-1", "0", "0.5", "inf", "abc"])
                                   for _ in range(len(keys) if self.chance(0.9) else len(keys) + 1)]
        if self.chance(0.3):
            args += ["AGGREGATE", self.pick(["SUM", "MIN", "MAX", "max", "AVG"])]
        if self.chance(0.03):
            args.append("WITHSCORES")
        return args

    def zset_command(self, name):
        k = self.key("zset")

        def with_count(cmd):
            return [cmd, k] + ([self.count()] if self.chance(0.5) else [])

        def randmember():
            args = ["ZRANDMEMBER", k]
            if self.chance(0.6):
                args.append(self.count())
                if self.chance(0.4):
                    args.append(self.pick(["WITHSCORES", "BOGUS"]))
            return args

        return {
            "ZADD": self.zadd,
            "ZINCRBY": lambda: ["ZINCRBY", k, self.score(), self.member()],
            "ZREM": lambda: ["ZREM", k] + self.members(),
            "ZSCORE": lambda: ["ZSCORE", k, self.member()],
            "ZMSCORE": lambda: ["ZMSCORE", k] + self.members(),
            "ZCARD": lambda: ["ZCARD", k],
            "ZCOUNT": lambda: ["ZCOUNT", k, self.score_range(), self.score_range()],
            "ZLEXCOUNT": lambda: ["ZLEXCOUNT", self.lex_key(), self.lex_range(), self.lex_range()],
            "ZRANGEBYLEX": lambda: self.zrangebylex("ZRANGEBYLEX"),
            "ZREVRANGEBYLEX": lambda: self.zrangebylex("ZREVRANGEBYLEX"),
            "ZREMRANGEBYLEX": lambda: ["ZREMRANGEBYLEX", self.lex_key(), self.lex_range(), self.lex_range()],
            "ZRANGESTORE": self.zrangestore,
            "ZUNION": lambda: self.zcombine("ZUNION"),
            "ZINTER": lambda: self.zcombine("ZINTER"),
            "ZDIFF": lambda: self.zcombine("ZDIFF"),
            "ZINTERCARD": lambda: self.zcombine("ZINTERCARD"),
            "ZDIFFSTORE": lambda: self.zstore("ZDIFFSTORE"),
            "ZRANGE": self.zrange,
            "ZRANGEBYSCORE": lambda: self.zrangebyscore("ZRANGEBYSCORE"),
            "ZREVRANGEBYSCORE": lambda: self.zrangebyscore("ZREVRANGEBYSCORE"),
            "ZREVRANGE": lambda: ["ZREVRANGE", k, self.index(), self.index()]
            + (["WITHSCORES"] if self.chance(0.4) else []),
            "ZRANK": lambda: ["ZRANK", k, self.member()],
            "ZREVRANK": lambda: ["ZREVRANK", k, self.member()],
            "ZREMRANGEBYSCORE": lambda: ["ZREMRANGEBYSCORE", k, self.score_range(), self.score_range()],
            "ZREMRANGEBYRANK": lambda: ["ZREMRANGEBYRANK", k, self.index(), self.index()],
            "ZPOPMIN": lambda: with_count("ZPOPMIN"),
            "ZPOPMAX": lambda: with_count("ZPOPMAX"),
            "ZRANDMEMBER": randmember,
            "ZSCAN": lambda: ["ZSCAN", k, self.cursor()] + self.scan_options(),
            "ZUNIONSTORE": lambda: self.zstore("ZUNIONSTORE"),
            "ZINTERSTORE": lambda: self.zstore("ZINTERSTORE"),
        }[name]()

    # ---- Keyspace.

    def keyspace_command(self, name):
        def many():
            return [self.key() for _ in range(self.rng.randint(1, 6))]

        def copy():
            args = ["COPY", self.key(), self.key()]
            if self.chance(0.4):
                args.append(self.pick(["REPLACE", "replace", "BOGUS"]))
            return args

        return {
            "EXISTS": lambda: ["EXISTS"] + many(),
            "TYPE": lambda: ["TYPE", self.key()],
            "DEL": lambda: ["DEL"] + many()[:3],
            "UNLINK": lambda: ["UNLINK"] + many()[:3],
            "RENAME": lambda: ["RENAME", self.key(), self.key()],
            "RENAMENX": lambda: ["RENAMENX", self.key(), self.key()],
            "COPY": copy,
            "TOUCH": lambda: ["TOUCH"] + many(),
            "RANDOMKEY": lambda: ["RANDOMKEY"],
            "DBSIZE": lambda: ["DBSIZE"],
            "KEYS": lambda: ["KEYS", self.pick(PATTERNS)],
            "SCAN": lambda: ["SCAN", self.cursor()] + self.scan_options(with_type=True),
            "FLUSHDB": lambda: ["FLUSHDB"] + ([self.pick(["ASYNC", "SYNC", "BOGUS"])] if self.chance(0.3) else []),
        }[name]()

    # ---- Transactions.

    def transaction(self):
        """WATCH ... MULTI ... EXEC/DISCARD, sometimes with a write of another
        client between WATCH and EXEC, sometimes broken on purpose."""
        steps = []
        watching = "WATCH" in self.enabled and self.chance(0.5)
        if watching:
            watched = [self.key() for _ in range(self.rng.randint(1, 3))]
            steps.append((0, ["WATCH"] + watched))
            if self.chance(0.6):
                # A command on a watched key (a write or not, changing it or not).
                writes = [n for n in TOUCHING_WRITES if n in self.enabled]
                write = self.pick(writes) if writes and self.chance(0.7) else None
                touch = FAMILY_OF[write](self, write) if write else self.single(plain=True)
                if len(touch) > 1:
                    touch[1] = self.pick(watched)
                steps.append((self.pick([0, 1]), touch))
            if "UNWATCH" in self.enabled and self.chance(0.15):
                steps.append((0, ["UNWATCH"]))
        steps.append((0, ["MULTI"]))
        for _ in range(self.rng.randint(0, 5)):
            r = self.rng.random()
            if r < 0.03:
                steps.append((0, ["MULTI"]))
            elif r < 0.06 and watching:
                steps.append((0, ["WATCH", self.key()]))
            elif r < 0.08:
                steps.append((0, ["NOSUCHCOMMAND", "x"]))
            elif r < 0.1:
                steps.append((0, ["GET"]))  # wrong arity: EXECABORT
            else:
                steps.append((0, self.single(plain=True)))
            if watching and self.chance(0.1):
                steps.append((1, self.single(plain=True)))
        steps.append((0, ["DISCARD"] if self.chance(0.2) else ["EXEC"]))
        return steps

    # ---- Dispatch.

    def single(self, plain=False):
        """One command of an enabled generator; `plain` leaves out the ones
        whose replies the runner cannot compare inside EXEC (random, SCAN)."""
        while True:
            # FLUSHDB empties everything: one in ~300 commands.
            name = "FLUSHDB" if "FLUSHDB" in self.enabled and self.chance(1 / 300) else self.pick(self.names)
            if plain and name in NOT_IN_TRANSACTIONS:
                continue
            args = FAMILY_OF[name](self, name)
            if self.chance(0.02):
                args = self.break_arity(args)
            if self.chance(0.1):
                args = [args[0].lower()] + args[1:]
            return args

    def break_arity(self, args):
        if len(args) > 1 and self.chance(0.7):
            return args[:self.rng.randrange(1, len(args))]
        return args + [self.value()]

    def step(self):
        r = self.rng.random()
        if "MULTI" in self.enabled and r < 0.04:
            return self.transaction()
        if r < 0.045:
            return [(0, [self.pick([c for c in ("EXEC", "DISCARD", "UNWATCH") if c in self.enabled] or ["PING"])])]
        return [(0, self.single())]


FAMILY_OF = {}
for _name in ("GET SET MGET MSET MSETNX SETNX GETSET GETDEL APPEND STRLEN GETRANGE SETRANGE INCR DECR INCRBY "
              "DECRBY INCRBYFLOAT SETEX PSETEX GETEX").split():
    FAMILY_OF[_name] = Gen.string_command
for _name in "EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME PERSIST".split():
    FAMILY_OF[_name] = Gen.expire_command
for _name in ("SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SINTER SUNION SDIFF SINTERSTORE SUNIONSTORE SDIFFSTORE "
              "SINTERCARD SMOVE SPOP SRANDMEMBER SSCAN").split():
    FAMILY_OF[_name] = Gen.set_command
for _name in ("HSET HMSET HGET HDEL HGETALL HLEN HINCRBY HINCRBYFLOAT HMGET HKEYS HVALS HEXISTS HSETNX HSTRLEN HSCAN "
              "HRANDFIELD").split():
    FAMILY_OF[_name] = Gen.hash_command
for _name in ("ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZCOUNT ZLEXCOUNT ZRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE ZREVRANGE "
              "ZRANK ZREVRANK ZREMRANGEBYSCORE ZREMRANGEBYRANK ZPOPMIN ZPOPMAX ZRANDMEMBER ZSCAN ZUNIONSTORE "
              "ZINTERSTORE ZRANGEBYLEX ZREVRANGEBYLEX ZREMRANGEBYLEX ZRANGESTORE ZUNION ZINTER ZDIFF ZINTERCARD "
              "ZDIFFSTORE").split():
    FAMILY_OF[_name] = Gen.zset_command
for _name in "EXISTS TYPE DEL UNLINK RENAME RENAMENX COPY TOUCH RANDOMKEY DBSIZE KEYS SCAN FLUSHDB".split():
    FAMILY_OF[_name] = Gen.keyspace_command

WEIGHTS = {"SET": 4, "MSET": 2, "INCR": 2, "SADD": 5, "HSET": 5, "ZADD": 6}
TRANSACTION_COMMANDS = ["MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH"]
# Every command the test covers (COMMAND INFO is asked about these).
ALL_COMMANDS = sorted(FAMILY_OF) + TRANSACTION_COMMANDS
RANDOM_COMMANDS = {"SPOP", "SRANDMEMBER", "HRANDFIELD", "ZRANDMEMBER", "RANDOMKEY"}
SCAN_COMMANDS = {"SCAN", "SSCAN", "HSCAN", "ZSCAN"}
TOUCHING_WRITES = ["SET", "SADD", "HSET", "ZADD", "DEL", "INCR", "SREM", "HDEL", "ZREM", "APPEND", "EXPIRE",
                   "PERSIST"]
NOT_IN_TRANSACTIONS = RANDOM_COMMANDS | SCAN_COMMANDS
# The Redis type each data command works on (keyspace commands: any).
TYPE_OF = {name: {Gen.string_command: "string", Gen.set_command: "set", Gen.hash_command: "hash",
                  Gen.zset_command: "zset"}.get(fn) for name, fn in FAMILY_OF.items()}


# The writes that create their key (its type: TYPE_OF) when they succeed.
CREATING_WRITES = set("SET SETEX PSETEX SETNX GETSET APPEND SETRANGE INCR DECR INCRBY DECRBY INCRBYFLOAT MSET MSETNX SADD SMOVE "
                      "SINTERSTORE SUNIONSTORE SDIFFSTORE HSET HMSET HSETNX HINCRBY HINCRBYFLOAT ZADD ZINCRBY "
                      "ZUNIONSTORE ZINTERSTORE ZDIFFSTORE ZRANGESTORE".split())


def created_keys(args):
    """The keys a CREATING_WRITES command writes."""
    name = args[0].upper()
    if name in ("MSET", "MSETNX"):
        return args[1::2]
    if name == "SMOVE":
        return args[2:3]
    return args[1:2]


def key_args(args):
    """The arguments of a command that name keys."""
    name = args[0].upper()
    if name in ("MSET", "MSETNX"):
        return args[1::2]
    if name in ("MGET", "DEL", "UNLINK", "EXISTS", "TOUCH", "WATCH", "SINTER", "SUNION", "SDIFF", "SINTERSTORE",
                "SUNIONSTORE", "SDIFFSTORE"):
        return args[1:]
    if name in ("SMOVE", "RENAME", "RENAMENX", "COPY"):
        return args[1:3]
    if name in ("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"):
        return args[1:2] + args[3:]
    if name in ("ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD"):
        return args[2:]
    if name == "ZRANGESTORE":
        return args[1:3]
    if name == "SINTERCARD":
        return args[2:]
    return args[1:2]
