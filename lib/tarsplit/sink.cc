#include "lib/tarsplit/sink.h"

#include <string>
#include <utility>

#include "lib/base/file.h"

namespace mydocker::tarsplit {

Sink StringSink(std::string* out) {
  return [out](absl::string_view chunk) {
    out->append(chunk.data(), chunk.size());
    return absl::OkStatus();
  };
}

Sink FdSink(int fd, std::string what) {
  return [fd, what = std::move(what)](absl::string_view chunk) {
    return base::WriteAll(fd, chunk, what);
  };
}

}  // namespace mydocker::tarsplit
