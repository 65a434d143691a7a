#include "lib/digest/digest.h"

// SHA256_Init/Update/Final: shared by OpenSSL and BoringSSL, as the EVP
// calls are, but without them. OpenSSL 3's EVP loads and initialises its
// providers on first use, 1-2 ms that every `run` paid twice (the command
// and its monitor each hash a few bytes); these run the same assembly (SHA
// extensions, AVX2) from the first call. OpenSSL 3 marks them deprecated,
// in favour of EVP, for exactly that provider indirection.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace mydocker::digest {

absl::StatusOr<Digest> Digest::Parse(absl::string_view s) {
  constexpr absl::string_view kPrefix = "sha256:";
  bool ok = s.size() == kPrefix.size() + 64 && s.substr(0, 7) == kPrefix;
  for (size_t i = kPrefix.size(); ok && i < s.size(); ++i) {
    char c = s[i];
    ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
  if (!ok) {
    // Bound the echo: the input may be hostile and huge.
    absl::string_view shown = s.substr(0, 80);
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid digest \"", absl::CHexEscape(shown),
        s.size() > shown.size() ? "...\"" : "\"",
        ": want sha256: and 64 lower-case hex digits"));
  }
  return Digest(std::string(s));
}

Digest Digest::FromBytes(absl::string_view raw32) {
  return Digest(absl::StrCat("sha256:", absl::BytesToHexString(raw32)));
}

Digest Digest::Of(absl::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.Finish();
}

struct Sha256::Ctx {
  SHA256_CTX sha;
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  if (SHA256_Init(&ctx_->sha) != 1) std::abort();
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::Update(absl::string_view data) {
  if (SHA256_Update(&ctx_->sha, data.data(), data.size()) != 1) std::abort();
}

Digest Sha256::Finish() {
  unsigned char out[SHA256_DIGEST_LENGTH];
  if (SHA256_Final(out, &ctx_->sha) != 1 || SHA256_Init(&ctx_->sha) != 1) {
    std::abort();
  }
  return Digest::FromBytes(
      absl::string_view(reinterpret_cast<const char*>(out), sizeof(out)));
}

}  // namespace mydocker::digest
