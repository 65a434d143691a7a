// Content digests ("sha256:<64 hex>") and a streaming SHA-256.
//
// All of mydocker's hashing goes through here, so the crypto library stays
// behind one seam: this uses only the EVP calls OpenSSL and BoringSSL share.
//
//   Sha256 h;
//   h.Update(chunk1);
//   h.Update(chunk2);
//   Digest d = h.Finish();              // d.str() == "sha256:9f86d08..."
//   ASSIGN_OR_RETURN(Digest want, Digest::Parse(manifest_layer_digest));
//   if (d != want) return absl::DataLossError(...);
#ifndef MYDOCKER_LIB_DIGEST_DIGEST_H_
#define MYDOCKER_LIB_DIGEST_DIGEST_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mydocker::digest {

// A validated content digest. Only sha256 is accepted: it is what Docker
// and OCI registries use, and accepting an algorithm we cannot verify would
// let unverified bytes in.
class Digest {
 public:
  // Parses "sha256:" followed by 64 lower-case hex digits. InvalidArgument,
  // quoting the input, for anything else.
  static absl::StatusOr<Digest> Parse(absl::string_view s);
  // From 32 raw bytes.
  static Digest FromBytes(absl::string_view raw32);
  // The digest of `data`, in one call.
  static Digest Of(absl::string_view data);

  const std::string& str() const { return str_; }    // "sha256:<hex>"
  absl::string_view hex() const { return absl::string_view(str_).substr(7); }
  absl::string_view algorithm() const { return "sha256"; }

  bool operator==(const Digest& o) const { return str_ == o.str_; }
  bool operator!=(const Digest& o) const { return str_ != o.str_; }
  bool operator<(const Digest& o) const { return str_ < o.str_; }

 private:
  explicit Digest(std::string s) : str_(std::move(s)) {}
  std::string str_;
};

// Incremental SHA-256.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void Update(absl::string_view data);
  // The digest of everything passed to Update. The hasher is reset after.
  Digest Finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace mydocker::digest

#endif  // MYDOCKER_LIB_DIGEST_DIGEST_H_
