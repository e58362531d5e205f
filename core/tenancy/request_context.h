// Who is asking, for which tenant, and under which rules: what every use case of core
// takes first. Built by core::Gate from a request's credentials (core/tenancy/gate.h), or by a
// tool for its own calls. Copyable; a copy may travel to another thread with its request.
#pragma once

#include <cstdint>
#include <string>

#include "core/base/clock.h"
#include "core/base/ids.h"
#include "core/tenancy/tenant_settings.h"

namespace scimd::core {

struct RequestContext {
  TenantId tenant = 0;
  std::string tenant_name;  // for logs
  TenantSettings settings;
  std::string token_id;        // public id of the token that authenticated (never a secret)
  std::string client_address;  // the peer's IP address, as the server saw it
  const Clock* clock = &Clock::System();
  // Whether the caller may wait for other writers. False on a reactor thread: a write that
  // meets a lock held by another transaction is retried kInlineBusyAttempts times without
  // pausing, then fails with Busy so that the caller re-runs it where waiting is allowed
  // (a blocking thread, may_wait = true), and the reactor never sleeps on a lock.
  bool may_wait = false;

  int64_t NowMicros() const { return clock->NowMicros(); }
};

}  // namespace scimd::core
