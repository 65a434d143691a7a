// `inspect` of a container: the ContainerJSON dockerd 20.10's
// GET /containers/{id}/json returns (moby api/types ContainerJSON, built by
// daemon/inspect.go), from the container's records.
#ifndef MYDOCKER_LIB_ENGINE_INSPECT_H_
#define MYDOCKER_LIB_ENGINE_INSPECT_H_

#include "absl/status/statusor.h"
#include "lib/container/record.h"
#include "lib/container/store.h"

namespace mydocker::engine {

// The inspect object of `c` (as loaded, refreshed by the caller).
absl::StatusOr<container::Json> InspectContainer(const container::Store& store,
                                                 const container::Container& c);

}  // namespace mydocker::engine

#endif  // MYDOCKER_LIB_ENGINE_INSPECT_H_
