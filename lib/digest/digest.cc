#include "lib/digest/digest.h"

#include <openssl/evp.h>

#include <cstdlib>

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
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  // Allocation failure here means the process is out of memory; there is no
  // useful way to continue hashing without a context.
  if (ctx_->md == nullptr || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1) {
    std::abort();
  }
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::Update(absl::string_view data) {
  if (EVP_DigestUpdate(ctx_->md, data.data(), data.size()) != 1) std::abort();
}

Digest Sha256::Finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md, out, &len) != 1 || len != 32 ||
      EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1) {
    std::abort();
  }
  return Digest::FromBytes(
      absl::string_view(reinterpret_cast<const char*>(out), len));
}

}  // namespace mydocker::digest
