// The demo is many users' first look at the product: it must keep telling a
// true story. RunDemo checks its own outcome (its return value); this also
// checks what the presence chapter reports, for a few seeds.
#include "regionsync/sim/demo.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>

namespace regionsync {
namespace {

TEST(DemoTest, CrashedRegionsMembersDisappearAtTheirLeaseEndAndSurvivorsStay) {
  for (uint64_t seed : {1, 7, 42}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::ostringstream out;
    ASSERT_EQ(RunDemo(out, seed), 0) << out.str();
    const std::string text = out.str();
    EXPECT_EQ(text.find("FAILED"), std::string::npos);
    EXPECT_NE(text.find("  -> every live region lists exactly carol and dave\n"), std::string::npos);
    // Both surviving regions drop alice and bob by themselves, once the lease
    // in force at the crash ends: at most the 10 s TTL after it, and at least
    // TTL - renewal period (3 s) - one held-renewal interval (1 s).
    const std::regex dropped(R"((us-west-2|eu-west-1) +dropped them ([0-9.]+) s after the crash)");
    int regions = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), dropped); it != std::sregex_iterator(); ++it) {
      double seconds = std::stod((*it)[2].str());
      EXPECT_GE(seconds, 6.0) << (*it)[1];
      EXPECT_LE(seconds, 10.1) << (*it)[1];
      ++regions;
    }
    EXPECT_EQ(regions, 2);
  }
}

}  // namespace
}  // namespace regionsync
