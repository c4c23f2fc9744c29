// HTTP routes of the Bitwarden server double (identity under /identity, API under /api, test
// controls under /_admin).
#pragma once

#include <httplib.h>

#include "tests/doubles/bitwarden/double_state.h"

namespace ironward::bwdouble {

void InstallRoutes(httplib::Server& server, DoubleState& state);

}  // namespace ironward::bwdouble
