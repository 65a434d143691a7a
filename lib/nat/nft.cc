#include "lib/nat/nft.h"

#include <sys/mman.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/const_init.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "lib/base/unique_fd.h"
#include "lib/nat/nft_api.h"

namespace mydocker::nat {
namespace {

ABSL_CONST_INIT absl::Mutex nft_mutex(absl::kConstInit);

absl::StatusCode CodeFor(absl::string_view error) {
  if (absl::StrContains(error, "File exists") ||
      absl::StrContains(error, "overlaps")) {
    return absl::StatusCode::kAlreadyExists;
  }
  if (absl::StrContains(error, "No such file or directory")) {
    return absl::StatusCode::kNotFound;
  }
  if (absl::StrContains(error, "Operation not permitted") ||
      absl::StrContains(error, "Permission denied")) {
    return absl::StatusCode::kPermissionDenied;
  }
  if (absl::StrContains(error, "syntax error")) {
    return absl::StatusCode::kInternal;
  }
  return absl::StatusCode::kFailedPrecondition;
}

// Runs `script` in a fresh context; returns the output buffer.
absl::StatusOr<std::string> Run(absl::string_view script,
                                absl::string_view what) {
  ASSIGN_OR_RETURN(const NftApi* nft, Nft());
  absl::MutexLock lock(&nft_mutex);
  auto free_ctx = [nft](nft_ctx* ctx) { nft->ctx_free(ctx); };
  std::unique_ptr<nft_ctx, decltype(free_ctx)> ctx(nft->ctx_new(kNftCtxDefault),
                                                   free_ctx);
  if (ctx == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("nft: ", what, ": cannot create a libnftables context"));
  }
  if (nft->ctx_buffer_output(ctx.get()) != 0 ||
      nft->ctx_buffer_error(ctx.get()) != 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("nft: ", what, ": cannot buffer libnftables output"));
  }
  // The script goes in as a file (a memfd, by its /proc/self/fd name), not
  // as a buffer: nft 1.0.6 merges the element commands of one set into one
  // netlink message, and for buffer input it then quotes the first merged
  // command as the culprit of an error ("File exists" for port 92 when 91
  // was taken); for file input it quotes the right line.
  base::UniqueFd file(memfd_create("mydocker-nft", MFD_CLOEXEC));
  if (file.get() < 0) {
    return base::ErrnoStatus(errno, "nft: ", what, ": memfd_create");
  }
  RETURN_IF_ERROR(base::WriteAll(file.get(), script, "nft script"));
  const std::string path = absl::StrCat("/proc/self/fd/", file.get());
  if (nft->run_cmd_from_filename(ctx.get(), path.c_str()) != 0) {
    const char* errors = nft->ctx_get_error_buffer(ctx.get());
    return NftErrorStatus(errors ? errors : "", what);
  }
  const char* out = nft->ctx_get_output_buffer(ctx.get());
  return std::string(out ? out : "");
}

}  // namespace

absl::Status NftErrorStatus(absl::string_view errors, absl::string_view what) {
  std::vector<absl::string_view> lines = absl::StrSplit(errors, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    // "Error: ..." or, for a script read from a file, "file:1:2-3: Error: ...".
    size_t at = lines[i].find("Error: ");
    if (at == absl::string_view::npos) continue;
    absl::string_view error = lines[i].substr(at);
    std::string message = absl::StrCat("nft: ", what, ": ", error);
    // The next line, if any, is the command the error is about.
    if (i + 1 < lines.size()) {
      absl::string_view cmd = absl::StripAsciiWhitespace(lines[i + 1]);
      if (!cmd.empty() && !absl::StartsWith(cmd, "^")) {
        absl::StrAppend(&message, " (in `", cmd, "`)");
      }
    }
    return absl::Status(CodeFor(error), message);
  }
  absl::string_view text = absl::StripAsciiWhitespace(errors);
  return absl::FailedPreconditionError(
      absl::StrCat("nft: ", what, ": ",
                   text.empty() ? "failed without a message"
                                : text.substr(0, text.find('\n'))));
}

absl::Status RunNft(absl::string_view script, absl::string_view what) {
  return Run(script, what).status();
}

absl::StatusOr<std::string> NftOutput(absl::string_view cmd,
                                      absl::string_view what) {
  return Run(cmd, what);
}

}  // namespace mydocker::nat
