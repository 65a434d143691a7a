// Internal to lib/container: Docker's word lists for generated names.
#ifndef MYDOCKER_LIB_CONTAINER_NAMES_DATA_H_
#define MYDOCKER_LIB_CONTAINER_NAMES_DATA_H_

#include <vector>

namespace mydocker::container::internal {

// moby pkg/namesgenerator's `left` (108 adjectives) and `right` (236
// surnames), in its order.
const std::vector<const char*>& NameAdjectives();
const std::vector<const char*>& NameSurnames();

}  // namespace mydocker::container::internal

#endif  // MYDOCKER_LIB_CONTAINER_NAMES_DATA_H_
