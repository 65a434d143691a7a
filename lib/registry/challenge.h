// WWW-Authenticate challenges (RFC 7235), as registries send them on 401.
//
//   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",
//          scope="repository:library/nginx:pull"
//   Basic realm="Registry Realm"
//
//   std::vector<Challenge> cs = ParseChallenges(header_value);
//   for (const Challenge& c : cs) if (c.scheme == "bearer") ... c.Param("realm")
#ifndef MYDOCKER_LIB_REGISTRY_CHALLENGE_H_
#define MYDOCKER_LIB_REGISTRY_CHALLENGE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace mydocker::registry {

struct Challenge {
  std::string scheme;                         // Lower-cased: "bearer", "basic".
  std::map<std::string, std::string> params;  // Keys lower-cased, values unquoted.

  // The value of parameter `name` (lower case), or "" if absent.
  std::string Param(absl::string_view name) const;
};

// Parses every challenge in one or more WWW-Authenticate header values.
// Tolerant as browsers are: a malformed parameter ends that challenge's
// parameters but keeps what was parsed; an unparsable header yields nothing.
std::vector<Challenge> ParseChallenges(absl::string_view header);

}  // namespace mydocker::registry

#endif  // MYDOCKER_LIB_REGISTRY_CHALLENGE_H_
