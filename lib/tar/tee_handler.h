// A tar::Reader::Handler that passes every event on to several handlers.
//
// The layer pipeline parses a layer once and gives each event both to the
// layer applier and to the tar-split writer:
//
//   TeeHandler tee({&applier, &tar_split_writer});
//   tar::Reader reader(&tee);
//
// Handlers are called in the order given; the first error stops the event
// (later handlers do not see it) and is returned as is.
#ifndef MYDOCKER_LIB_TAR_TEE_HANDLER_H_
#define MYDOCKER_LIB_TAR_TEE_HANDLER_H_

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/tar/entry.h"
#include "lib/tar/reader.h"

namespace mydocker::tar {

class TeeHandler : public Reader::Handler {
 public:
  // The handlers must outlive the TeeHandler.
  explicit TeeHandler(std::vector<Reader::Handler*> handlers)
      : handlers_(std::move(handlers)) {}

  absl::Status OnEntry(const Entry& entry) override;
  absl::Status OnData(absl::string_view chunk) override;
  absl::Status OnEntryEnd() override;
  absl::Status OnRaw(absl::string_view bytes) override;
  absl::Status OnGlobalHeader(absl::string_view name) override;
  absl::Status OnArchiveEnd() override;

 private:
  std::vector<Reader::Handler*> handlers_;
};

}  // namespace mydocker::tar

#endif  // MYDOCKER_LIB_TAR_TEE_HANDLER_H_
