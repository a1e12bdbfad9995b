// The demo story: three regions (us-east-1, us-west-2, eu-west-1) in one
// process over the in-process broker, in virtual time. Walks through normal
// operation, split brain, a duplicate storm, a broker outage with backlog, a
// region that missed messages and, last, presence leases outliving a crashed
// region only until their lease end, printing each region's values after
// every step. Returns 0 when all regions end identical and every live region
// lists exactly the members still renewing, 1 otherwise.
#pragma once

#include <cstdint>
#include <ostream>

namespace regionsync {

int RunDemo(std::ostream& out, uint64_t seed = 1);

}  // namespace regionsync
