// Docker's parsers for sizes and CPU counts on the command line.
//
//   ASSIGN_OR_RETURN(int64_t mem, ParseBytes("512m"));        // 536870912
//   ASSIGN_OR_RETURN(int64_t swap, ParseMemorySwap("-1"));    // -1
//   ASSIGN_OR_RETURN(int64_t nano, ParseCpus("1.5"));         // 1500000000
#ifndef MYDOCKER_LIB_SPEC_UNITS_H_
#define MYDOCKER_LIB_SPEC_UNITS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::spec {

// Go's strconv.Atoi: an optional sign, then decimal digits only, in int64
// range. False (and `*out` untouched) otherwise.
bool ParseGoInt(absl::string_view s, int64_t* out);

// go-units RAMInBytes, as `--memory`, `--shm-size` and friends use it:
// a decimal number (fractions allowed: "1.5g"), an optional space, then an
// optional unit k, m, g, t or p (any case, binary: k = 1024), optionally
// followed by "i" and/or "b" ("512m", "512MiB", "1 GB", "100" bytes). The
// product is truncated to whole bytes. InvalidArgument "invalid size:
// '<s>'" for anything else, and for a value that does not fit in int64.
absl::StatusOr<int64_t> ParseBytes(absl::string_view s);

// `--memory-swap`: "-1" (unlimited) or a ParseBytes size.
absl::StatusOr<int64_t> ParseMemorySwap(absl::string_view s);

// `--cpus` (docker/cli opts.ParseCPUs): a rational number, as a decimal
// ("1.5", ".5", "2e-1") or a fraction ("3/2"), converted to nano-CPUs,
// which must come out whole. InvalidArgument "failed to parse <s> as a
// rational number", or "value is too precise" (more than 9 decimals), or
// "value out of range" if it does not fit in int64. Negative values parse;
// the builder rejects them.
absl::StatusOr<int64_t> ParseCpus(absl::string_view s);

}  // namespace mydocker::spec

#endif  // MYDOCKER_LIB_SPEC_UNITS_H_
