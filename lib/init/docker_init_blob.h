// The static docker-init's bytes, compiled in from the generated
// docker_init_blob.cc. Internal to lib/init: use embedded.h.
#ifndef MYDOCKER_LIB_INIT_DOCKER_INIT_BLOB_H_
#define MYDOCKER_LIB_INIT_DOCKER_INIT_BLOB_H_

#include <cstddef>

namespace mydocker::init::internal {

extern const char kDockerInit[];  // kDockerInitSize bytes, then a NUL.
extern const std::size_t kDockerInitSize;

}  // namespace mydocker::init::internal

#endif  // MYDOCKER_LIB_INIT_DOCKER_INIT_BLOB_H_
