#include "lib/tar/tee_handler.h"

#include "lib/base/status_macros.h"

namespace mydocker::tar {

absl::Status TeeHandler::OnEntry(const Entry& entry) {
  for (Reader::Handler* h : handlers_) RETURN_IF_ERROR(h->OnEntry(entry));
  return absl::OkStatus();
}

absl::Status TeeHandler::OnData(absl::string_view chunk) {
  for (Reader::Handler* h : handlers_) RETURN_IF_ERROR(h->OnData(chunk));
  return absl::OkStatus();
}

absl::Status TeeHandler::OnEntryEnd() {
  for (Reader::Handler* h : handlers_) RETURN_IF_ERROR(h->OnEntryEnd());
  return absl::OkStatus();
}

absl::Status TeeHandler::OnRaw(absl::string_view bytes) {
  for (Reader::Handler* h : handlers_) RETURN_IF_ERROR(h->OnRaw(bytes));
  return absl::OkStatus();
}

absl::Status TeeHandler::OnGlobalHeader(absl::string_view name) {
  for (Reader::Handler* h : handlers_) RETURN_IF_ERROR(h->OnGlobalHeader(name));
  return absl::OkStatus();
}

absl::Status TeeHandler::OnArchiveEnd() {
  for (Reader::Handler* h : handlers_) RETURN_IF_ERROR(h->OnArchiveEnd());
  return absl::OkStatus();
}

}  // namespace mydocker::tar
