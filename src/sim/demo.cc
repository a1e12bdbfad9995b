#include "regionsync/sim/demo.h"

#include <algorithm>
#include <iomanip>
#include <iterator>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "regionsync/sim/sim_cluster.h"

namespace regionsync {
namespace {

constexpr uint64_t kSecond = 1'000'000;
constexpr size_t kEast = 0, kWest = 1, kEu = 2;

// "us-east-1/a" -> "us-east-1".
std::string Region(std::string_view replica_name) {
  return std::string(replica_name.substr(0, replica_name.find('/')));
}

std::string Seconds(uint64_t micros) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << static_cast<double>(micros) / kSecond << " s";
  return s.str();
}

std::string Show(const Replica& r, const std::string& key) {
  const AnyCrdt* v = r.Find(key);
  if (v == nullptr) return "-";
  return ValueJson(*v).dump();
}

void Table(std::ostream& out, SimCluster& c, const std::vector<std::string>& keys) {
  out << "  " << std::left << std::setw(14) << "region";
  for (const std::string& k : keys) out << std::setw(k == "online" ? 34 : (k == "banner" ? 24 : 12)) << k;
  out << "\n";
  for (size_t i = 0; i < c.size(); ++i) {
    out << "  " << std::setw(14) << Region(c.name(i));
    for (const std::string& k : keys) out << std::setw(k == "online" ? 34 : (k == "banner" ? 24 : 12)) << Show(c.node(i).replica(), k);
    out << "\n";
  }
  out << "  -> " << (c.Converged() ? "all regions identical" : "regions differ") << "\n\n";
}

// Chapter 6: presence. Each user's client joins "lobby" through one region's
// replica and renews its lease, as a real client does, on a timer.
constexpr char kLobby[] = "lobby";
constexpr uint64_t kLeaseTtlMillis = 10'000;
constexpr uint64_t kRenewEvery = 3 * kSecond;

struct LobbyClient {
  std::string member;
  size_t region;  // the replica the client is connected to
  std::string meta;
};

// Joins, or renews, the client's member on its region's replica.
void Track(SimCluster& c, const LobbyClient& client) {
  SyncNode& node = c.node(client.region);
  std::lock_guard lock(node.mutex());
  (void)node.presence().Track(kLobby, client.member, client.meta, kLeaseTtlMillis);
}

// Renews every kRenewEvery of virtual time until the client's replica dies.
void KeepRenewing(SimCluster& c, const LobbyClient& client) {
  c.env().Schedule(kRenewEvery, [&c, client] {
    if (!c.up(client.region)) return;
    Track(c, client);
    KeepRenewing(c, client);
  });
}

std::vector<PresenceEntry> Lobby(SimCluster& c, size_t i) {
  std::lock_guard lock(c.node(i).mutex());
  return c.node(i).presence().List(kLobby);
}

std::set<std::string> LobbyMembers(SimCluster& c, size_t i) {
  std::set<std::string> members;
  for (const PresenceEntry& e : Lobby(c, i)) members.insert(e.member);
  return members;
}

// The members of the clients whose replica is up.
std::set<std::string> LiveMembers(SimCluster& c, const std::vector<LobbyClient>& clients) {
  std::set<std::string> members;
  for (const LobbyClient& client : clients) {
    if (c.up(client.region)) members.insert(client.member);
  }
  return members;
}

bool ListsAnyOf(SimCluster& c, size_t i, const std::set<std::string>& members) {
  std::set<std::string> listed = LobbyMembers(c, i);
  return std::ranges::any_of(members, [&](const std::string& m) { return listed.contains(m); });
}

// {"a", "b", "c"} -> "a, b and c".
std::string Join(const std::set<std::string>& names) {
  std::string out;
  size_t k = 0;
  for (const std::string& n : names) {
    if (k > 0) out += k + 1 == names.size() ? " and " : ", ";
    out += n;
    ++k;
  }
  return out;
}

// Each region's lobby count and entries (member@tracking region).
void LobbyTable(std::ostream& out, SimCluster& c) {
  out << "  " << std::left << std::setw(14) << "region" << std::setw(8) << "count" << "lobby\n";
  for (size_t i = 0; i < c.size(); ++i) {
    out << "  " << std::setw(14) << Region(c.name(i));
    if (!c.up(i)) {
      out << "(down)\n";
      continue;
    }
    std::lock_guard lock(c.node(i).mutex());
    const Presence& presence = c.node(i).presence();
    std::vector<PresenceEntry> entries = presence.List(kLobby);
    out << std::setw(8) << presence.Count(kLobby);
    for (size_t k = 0; k < entries.size(); ++k) {
      out << (k == 0 ? "" : " ") << entries[k].member << "@" << Region(entries[k].replica);
    }
    out << "\n";
  }
}

// Prints whether every live region lists exactly `expected`; returns it.
bool CheckLobby(std::ostream& out, SimCluster& c, const std::set<std::string>& expected) {
  bool ok = true;
  for (size_t i = 0; i < c.size(); ++i) ok = ok && (!c.up(i) || LobbyMembers(c, i) == expected);
  out << "  -> " << (ok ? "every live region lists exactly " : "FAILED: not every live region lists exactly ")
      << Join(expected) << "\n\n";
  return ok;
}

// Runs virtual time until no live region lists any of `gone` and prints, per
// live region, how long after `since` (virtual micros) that was. Returns false
// if one still lists some `deadline` micros after `since`.
bool WaitUntilDropped(std::ostream& out, SimCluster& c, const std::set<std::string>& gone, uint64_t since,
                      uint64_t deadline) {
  std::vector<size_t> waiting;
  for (size_t i = 0; i < c.size(); ++i) {
    if (c.up(i)) waiting.push_back(i);
  }
  while (!waiting.empty() && c.env().MonotonicMicros() - since < deadline) {
    c.RunFor(kSecond / 10);
    std::erase_if(waiting, [&](size_t i) {
      if (ListsAnyOf(c, i, gone)) return false;
      out << "     " << std::left << std::setw(12) << Region(c.name(i)) << "dropped them "
          << Seconds(c.env().MonotonicMicros() - since) << " after the crash\n";
      return true;
    });
  }
  for (size_t i : waiting) out << "     " << Region(c.name(i)) << " still lists them: FAILED\n";
  return waiting.empty();
}

// Users join in three regions, then us-east-1 dies. Returns false unless
// every live region lists, at each step, exactly the members it should.
bool PresenceChapter(std::ostream& out, SimCluster& c) {
  const std::vector<LobbyClient> clients = {{"alice", kEast, R"({"device":"phone"})"},
                                            {"bob", kEast, R"({"device":"laptop"})"},
                                            {"carol", kEu, R"({"device":"phone"})"},
                                            {"dave", kWest, R"({"device":"tablet"})"}};
  out << "6. Presence leases: alice and bob join \"lobby\" through us-east-1, carol through eu-west-1 and\n"
      << "   dave through us-west-2, for " << kLeaseTtlMillis / 1000 << " s; their clients renew every "
      << kRenewEvery / kSecond << " s.\n";
  for (const LobbyClient& client : clients) {
    Track(c, client);
    KeepRenewing(c, client);
  }
  c.RunFor(4 * kSecond);
  const std::set<std::string> everyone = LiveMembers(c, clients);
  LobbyTable(out, c);
  bool ok = CheckLobby(out, c, everyone);
  for (const PresenceEntry& e : Lobby(c, kEu)) {
    if (e.member != "alice") continue;
    out << "   eu-west-1's entry for alice: tracked by " << e.replica << ", meta " << e.meta << ", lease ends in "
        << Seconds((e.expires_at_millis - c.WallMillis(kEu)) * 1000) << ".\n\n";
  }

  c.Crash(kEast);
  const uint64_t crashed_at = c.env().MonotonicMicros();
  const std::set<std::string> survivors = LiveMembers(c, clients);
  std::set<std::string> gone;
  std::ranges::set_difference(everyone, survivors, std::inserter(gone, gone.end()));
  c.RunFor(kSecond);
  out << "   us-east-1 crashes: " << Join(gone) << " can no longer renew; nobody sends a remove.\n"
      << "   1 s later the other regions still list them (their leases have not ended):\n";
  LobbyTable(out, c);
  ok = CheckLobby(out, c, everyone) && ok;

  out << "   the other regions drop " << Join(gone) << " at their lease end, with no remove message:\n";
  ok = WaitUntilDropped(out, c, gone, crashed_at, 2 * kLeaseTtlMillis * 1000) && ok;
  c.RunFor(5 * kSecond);
  out << "   5 s later (" << Join(survivors) << " still renewing):\n";
  LobbyTable(out, c);
  return CheckLobby(out, c, survivors) && ok;
}

}  // namespace

int RunDemo(std::ostream& out, uint64_t seed) {
  SimCluster c(seed, {"us-east-1/a", "us-west-2/a", "eu-west-1/a"});
  const std::vector<std::string> keys = {"sessions", "online", "banner", "dark-mode"};
  auto r = [&](size_t i) -> Replica& { return c.node(i).replica(); };

  out << "regionsync demo: 3 regions, in-process broker, virtual time (seed " << seed << ")\n\n";

  out << "1. Normal operation: every region writes locally; deltas fan out.\n";
  (void)r(kEast).Increment("sessions", 10);
  (void)r(kWest).Increment("sessions", 5);
  (void)r(kEu).Increment("sessions", 2);
  (void)r(kEast).Add("online", "alice");
  (void)r(kEu).Add("online", "bob");
  (void)r(kWest).Set("banner", "welcome");
  (void)r(kEu).Enable("dark-mode");
  c.RunUntilConverged(10 * kSecond);
  Table(out, c, keys);

  out << "2. Split brain: us-east-1 is cut off; both sides keep accepting writes.\n";
  c.network().Partition({{"us-east-1/a"}, {"us-west-2/a", "eu-west-1/a"}});
  (void)r(kEast).Increment("sessions", 3);
  (void)r(kEast).Remove("online", "alice");
  (void)r(kWest).Add("online", "alice");  // concurrent re-add: add wins
  (void)r(kWest).Increment("sessions", -1);
  (void)r(kEu).Set("banner", "maintenance at 22:00");
  (void)r(kEast).Disable("dark-mode");
  (void)r(kWest).Enable("dark-mode");  // concurrent enable: enable wins
  c.RunFor(3 * kSecond);
  out << "   during the partition:\n";
  Table(out, c, keys);
  c.network().Heal();
  c.RunUntilConverged(30 * kSecond);
  out << "   after heal (sessions 10+5+2+3-1, alice re-added concurrently stays, enable wins):\n";
  Table(out, c, keys);

  out << "3. Duplicate storm: the broker delivers 90% of messages twice and delays them.\n";
  c.network().SetFaults({.duplicate = 0.9, .min_delay_micros = 0, .max_delay_micros = 300'000});
  for (int i = 0; i < 20; ++i) (void)r(i % 3).Increment("sessions", 1);
  (void)r(kWest).Add("online", "carol");
  c.RunFor(2 * kSecond);
  c.network().SetFaults({});
  c.RunUntilConverged(30 * kSecond);
  out << "   20 increments, each counted once despite " << c.network().stats().duplicated << " duplicates so far:\n";
  Table(out, c, keys);

  out << "4. Broker outage: publishing fails; regions keep serving; the outbox holds the backlog.\n";
  c.network().SetOutage(true);
  (void)r(kEu).Increment("sessions", 100);
  (void)r(kEast).Add("online", "dave");
  (void)r(kWest).Set("banner", "back to normal");
  c.RunFor(2 * kSecond);
  out << "   during the outage (eu-west-1 outbox: " << r(kEu).outbox_keys() << " keys waiting):\n";
  Table(out, c, keys);
  c.network().SetOutage(false);
  c.RunUntilConverged(30 * kSecond);
  out << "   after recovery the backlog drained:\n";
  Table(out, c, keys);

  out << "5. Missed messages: eu-west-1 is cut off and its copies of the messages are lost.\n";
  c.network().Partition({{"eu-west-1/a"}, {"us-east-1/a", "us-west-2/a"}});
  (void)r(kEast).Increment("sessions", 7);
  (void)r(kWest).Remove("online", "bob");
  c.RunFor(2 * kSecond);
  out << "   eu-west-1 missed them:\n";
  Table(out, c, keys);
  c.network().Heal();
  bool converged = c.RunUntilConverged(30 * kSecond);
  out << "   anti-entropy repaired eu-west-1 with no operator action:\n";
  Table(out, c, keys);

  bool presence_ok = PresenceChapter(out, c);

  out << (!converged     ? "FAILED: regions differ"
          : !presence_ok ? "FAILED: presence leases did not end as they should"
                         : "All regions identical; presence leases ended as they should")
      << ". Bytes published: " << c.BytesPublished() << "\n";
  return converged && presence_ok ? 0 : 1;
}

}  // namespace regionsync
