// A move-only owner of a file descriptor.
//
//   ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(path, O_RDONLY | O_CLOEXEC));
//   read(fd.get(), buf, n);  // closed when `fd` goes out of scope
#ifndef MYDOCKER_LIB_BASE_UNIQUE_FD_H_
#define MYDOCKER_LIB_BASE_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace mydocker::base {

class UniqueFd {
 public:
  UniqueFd() = default;
  // Takes ownership of `fd`; -1 means "no fd".
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }

  // Gives up ownership without closing.
  [[nodiscard]] int release() { return std::exchange(fd_, -1); }

  // Closes the owned fd (if any) and takes `fd`. close(2) errors are ignored:
  // the fd is gone either way, and a write that mattered was fsync'd first.
  void reset(int fd = -1) {
    int old = std::exchange(fd_, fd);
    if (old >= 0) ::close(old);
  }

 private:
  int fd_ = -1;
};

}  // namespace mydocker::base

#endif  // MYDOCKER_LIB_BASE_UNIQUE_FD_H_
