// The token grammar of Docker image references (distribution/reference), as
// hand-written matchers for Parse (reference.cc). Each accepts exactly the
// strings its pattern below matches in full (RE2::FullMatch, Latin-1), so a
// byte >= 0x80 never matches.
//
// Matchers rather than regexes because compiling the regexes cost ~0.35 ms
// in every `mydocker run`; these allocate nothing and need no set-up:
//
//   if (!internal::IsTag(tag)) return Invalid(...);
//
// reference_test.cc checks every matcher against RE2 and its pattern.
#ifndef MYDOCKER_LIB_REFERENCE_GRAMMAR_H_
#define MYDOCKER_LIB_REFERENCE_GRAMMAR_H_

#include "absl/strings/string_view.h"

namespace mydocker::reference::internal {

// One element of a repository path: lower-case alphanumerics, joined by one
// '.', one or two '_', or any number of '-'.
// [a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*
bool IsPathComponent(absl::string_view s);

// Registry host and optional port: DNS-like labels (upper case allowed, as
// in Docker), which also covers dotted IPv4, or an IPv6 address in brackets.
// (?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?
bool IsDomain(absl::string_view s);

// A tag, 1 to 128 bytes.
// [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
bool IsTag(absl::string_view s);

// Any digest Docker's grammar accepts, whatever the algorithm.
// [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}
bool IsDigestShape(absl::string_view s);

// An image ID without its "sha256:" prefix.
// [a-f0-9]{64}
bool IsIdentifier(absl::string_view s);

}  // namespace mydocker::reference::internal

#endif  // MYDOCKER_LIB_REFERENCE_GRAMMAR_H_
