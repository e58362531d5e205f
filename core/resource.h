// Everything about one resource, for callers outside core's request path (tools, tests,
// benchmarks): decoding (core/decode.h), the stored value (core/stored_value.h), index
// entries (core/index_entries.h), projection (core/projection.h) and rendering
// (core/render.h). Files of core include the one they need, never this umbrella, so that
// projection -> filter -> index entries stays a one-way chain.
#pragma once

#include "core/clock.h"
#include "core/decode.h"
#include "core/index_entries.h"
#include "core/projection.h"
#include "core/render.h"
#include "core/stored_value.h"
