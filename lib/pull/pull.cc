#include "lib/pull/pull.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <semaphore>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/file_lock.h"
#include "lib/base/log.h"
#include "lib/base/status_macros.h"
#include "lib/compress/decompressor.h"
#include "lib/imagedb/distribution.h"
#include "lib/imagedb/imagedb.h"
#include "lib/layerdb/layer_store.h"
#include "lib/refstore/refstore.h"
#include "lib/registry/client.h"
#include "lib/registry/http.h"
#include "lib/store/paths.h"
#include "lib/tar/reader.h"
#include "lib/tar/tee_handler.h"
#include "lib/tarsplit/sink.h"
#include "lib/tarsplit/writer.h"

namespace mydocker::pull {
namespace {

constexpr int kLayerAttempts = 3;
constexpr int64_t kMaxConfigBytes = 8 << 20;

std::string Short(const digest::Digest& d) { return std::string(d.hex().substr(0, 12)); }

// Prefixes a status's message, keeping its code.
absl::Status Annotate(const absl::Status& s, absl::string_view prefix) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(prefix, ": ", s.message()));
}

// Feeds tar events to the layer applier.
class ApplierHandler : public tar::Reader::Handler {
 public:
  explicit ApplierHandler(archive::LayerApplier* applier) : applier_(applier) {}
  absl::Status OnEntry(const tar::Entry& e) override { return applier_->Begin(e); }
  absl::Status OnData(absl::string_view chunk) override { return applier_->Write(chunk); }
  absl::Status OnEntryEnd() override { return applier_->End(); }
  absl::Status OnRaw(absl::string_view) override { return absl::OkStatus(); }

 private:
  archive::LayerApplier* applier_;
};

// Hands a layer's decompressed bytes from its download thread (network,
// blob hash, inflate) to its extracting thread (diff-id hash, tar, files,
// tar-split): the two halves of a layer's work each get a core, so a big
// layer alone at the end of a pull no longer leaves one idle. Bounded, so a
// slow disk slows the download instead of filling memory.
class ChunkPipe {
 public:
  // Blocks while the pipe is full. After the consumer failed, returns its
  // error (and drops the chunk).
  absl::Status Push(absl::string_view bytes) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return chunks_.size() < kMaxChunks || !failed_.ok(); });
    if (!failed_.ok()) return failed_;
    chunks_.emplace_back(bytes);
    cv_.notify_all();
    return absl::OkStatus();
  }
  // No more chunks: Drain returns once it has consumed the rest.
  void Close() {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  // The layer is abandoned: Drain returns without the rest.
  void Abort() {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
    chunks_.clear();
    cv_.notify_all();
  }
  // The consumer's loop: `consume` on each chunk, in order, until Close (OK)
  // or until it fails (its error; Push fails from then on).
  absl::Status Drain(const std::function<absl::Status(absl::string_view)>& consume) {
    for (;;) {
      std::string chunk;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return !chunks_.empty() || closed_; });
        if (chunks_.empty()) return absl::OkStatus();
        chunk = std::move(chunks_.front());
        chunks_.pop_front();
        cv_.notify_all();
      }
      if (absl::Status s = consume(chunk); !s.ok()) {
        std::lock_guard<std::mutex> l(mu_);
        failed_ = s;
        chunks_.clear();
        cv_.notify_all();
        return s;
      }
    }
  }

 private:
  static constexpr size_t kMaxChunks = 16;  // Of up to 256 KiB (the inflate window).
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;
  bool closed_ = false;
  absl::Status failed_;
};

// Serialises Progress calls from the layer threads.
class SafeProgress {
 public:
  explicit SafeProgress(Progress* p) : p_(p) {}
  void Message(const std::string& line) {
    if (p_ == nullptr) return;
    std::lock_guard<std::mutex> l(mu_);
    p_->Message(line);
  }
  void Layer(const std::string& id, Progress::State s, int64_t cur, int64_t total) {
    if (p_ == nullptr) return;
    std::lock_guard<std::mutex> l(mu_);
    p_->Layer(id, s, cur, total);
  }

 private:
  Progress* p_;
  std::mutex mu_;
};

struct LayerJob {
  LayerJob(manifest::Descriptor blob, digest::Digest diff_id, digest::Digest chain_id)
      : blob(std::move(blob)), diff_id(std::move(diff_id)), chain_id(std::move(chain_id)) {}

  manifest::Descriptor blob;
  manifest::Compression compression = manifest::Compression::kGzip;
  digest::Digest diff_id;
  digest::Digest chain_id;
  std::optional<digest::Digest> parent;
  LayerJob* parent_job = nullptr;  // The job of the layer below, if any.

  // Set by the job's thread, read by its child's thread and the puller.
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  absl::Status status;

  void Finish(absl::Status s) {
    std::lock_guard<std::mutex> l(mu);
    status = std::move(s);
    finished = true;
    cv.notify_all();
  }
  absl::Status Wait() {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return finished; });
    return status;
  }
};

class Puller {
 public:
  Puller(const reference::Reference& ref, const Options& options, Progress* progress)
      : ref_(ref),
        options_(options),
        progress_(progress),
        layers_(options.root),
        images_(options.root),
        dist_(options.root),
        refs_(options.root),
        slots_(options.config.max_concurrent_downloads) {}

  absl::StatusOr<Result> Run();

 private:
  // Finds an endpoint that has the manifest; fills repo_ and returns it.
  absl::StatusOr<registry::FetchedManifest> Resolve(registry::HttpClient& http);
  absl::StatusOr<std::string> FetchConfig(registry::HttpClient& http,
                                          const manifest::Descriptor& d);
  void RunLayer(LayerJob& job);
  absl::Status ProduceLayer(registry::HttpClient& http, LayerJob& job);
  absl::StatusOr<layerdb::PendingLayer> Download(registry::HttpClient& http,
                                                 const LayerJob& job);

  const reference::Reference& ref_;
  const Options& options_;
  SafeProgress progress_;
  layerdb::LayerStore layers_;
  imagedb::ImageDb images_;
  imagedb::DistributionMetadata dist_;
  refstore::RefStore refs_;
  std::unique_ptr<registry::Repository> repo_;
  std::counting_semaphore<64> slots_;
  std::atomic<bool> cancel_{false};
};

absl::StatusOr<registry::FetchedManifest> Puller::Resolve(registry::HttpClient& http) {
  ASSIGN_OR_RETURN(std::optional<registry::Credentials> creds,
                   registry::LoadCredentials(options_.credentials_path, ref_.domain));
  std::string wanted = ref_.digest ? ref_.digest->str() : ref_.tag;
  std::vector<registry::Endpoint> endpoints =
      registry::EndpointsFor(ref_.domain, options_.config);
  absl::Status last;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    const registry::Endpoint& ep = endpoints[i];
    bool more = i + 1 < endpoints.size();
    auto repo = std::make_unique<registry::Repository>(ep, ref_.path, creds);
    repo->set_fallback_follows(more);
    absl::StatusOr<registry::FetchedManifest> m = repo->GetManifest(http, wanted);
    if (m.ok()) {
      repo->set_fallback_follows(false);  // The blobs have no other way.
      repo_ = std::move(repo);
      return m;
    }
    last = m.status();
    // A mirror that fails for any reason is skipped, as Docker does; the
    // https try of an insecure registry only for a transport failure.
    bool next = more && (ep.mirror || absl::IsUnavailable(m.status()));
    base::LogDebug("%s: %s%s", ep.base_url, m.status().message(),
                   next ? " (trying the next endpoint)" : "");
    if (!next) break;
  }
  return last;
}

absl::StatusOr<std::string> Puller::FetchConfig(registry::HttpClient& http,
                                                const manifest::Descriptor& d) {
  if (d.size > kMaxConfigBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("image config ", d.digest.str(), ": ", d.size,
                     " bytes is over the limit of ", kMaxConfigBytes));
  }
  std::string bytes;
  RETURN_IF_ERROR(repo_->FetchBlob(http, d.digest, [&](absl::string_view chunk) {
    if (bytes.size() + chunk.size() > static_cast<size_t>(d.size)) {
      return absl::DataLossError("more bytes than the manifest says");
    }
    bytes.append(chunk.data(), chunk.size());
    return absl::OkStatus();
  }));
  if (static_cast<int64_t>(bytes.size()) != d.size ||
      digest::Digest::Of(bytes) != d.digest) {
    return absl::DataLossError(
        absl::StrCat("image config ", d.digest.str(), ": digest mismatch"));
  }
  return bytes;
}

absl::StatusOr<layerdb::PendingLayer> Puller::Download(registry::HttpClient& http,
                                                       const LayerJob& job) {
  const std::string id = Short(job.blob.digest);
  ASSIGN_OR_RETURN(layerdb::PendingLayer pending, layers_.Begin());
  ASSIGN_OR_RETURN(archive::LayerApplier applier,
                   archive::LayerApplier::Create(pending.diff_dir(), options_.limits));
  ASSIGN_OR_RETURN(base::UniqueFd split_fd,
                   base::OpenFile(pending.tar_split_path(),
                                  O_WRONLY | O_CREAT | O_EXCL, 0644));
  tarsplit::TarSplitWriter split(
      tarsplit::FdSink(split_fd.get(), pending.tar_split_path()));
  ApplierHandler apply(&applier);
  tar::TeeHandler tee({&apply, &split});
  tar::Reader reader(&tee);
  digest::Sha256 diff_hash;
  ChunkPipe pipe;
  absl::Status extracted;
  std::thread extractor;
  try {
    extractor = std::thread([&] {
      extracted = pipe.Drain([&](absl::string_view tar_bytes) {
        diff_hash.Update(tar_bytes);
        return reader.Feed(tar_bytes);
      });
    });
  } catch (const std::system_error& e) {
    return base::ErrnoStatus(e.code().value(), "start a thread");
  }
  // Every way out of here stops and joins it first: it uses what is above.
  absl::Cleanup stop_extractor = [&] {
    pipe.Abort();
    extractor.join();
  };
  ASSIGN_OR_RETURN(std::unique_ptr<compress::Decompressor> decompress,
                   compress::Decompressor::Create(
                       job.compression,
                       [&](absl::string_view tar_bytes) { return pipe.Push(tar_bytes); },
                       // The blob digest and the diff id below check
                       // every byte; gzip's CRC would only repeat them.
                       {.verify_gzip_crc = false}));
  digest::Sha256 blob_hash;
  int64_t received = 0;
  const int64_t total = job.blob.size;
  // If the layer cannot be extracted, keep reading (within the manifest's
  // size) to hash the whole blob: a corrupted download is then reported as
  // what it is, a digest mismatch, not as the gzip or tar error it causes.
  absl::Status extract_error;
  progress_.Layer(id, Progress::State::kDownloading, 0, total);
  RETURN_IF_ERROR(repo_->FetchBlob(http, job.blob.digest, [&](absl::string_view chunk) {
    if (cancel_.load()) return absl::CancelledError("another layer failed");
    received += static_cast<int64_t>(chunk.size());
    if (received > total) {
      return absl::DataLossError(absl::StrCat(
          "the registry sent more than the manifest's ", total, " bytes"));
    }
    blob_hash.Update(chunk);
    progress_.Layer(id, Progress::State::kDownloading, received, total);
    if (extract_error.ok()) extract_error = decompress->Feed(chunk);
    return absl::OkStatus();
  }));
  progress_.Layer(id, Progress::State::kExtracting, received, total);
  if (received != total) {
    return absl::DataLossError(absl::StrCat("truncated: got ", received,
                                            " of ", total, " bytes"));
  }
  if (digest::Digest got = blob_hash.Finish(); got != job.blob.digest) {
    return absl::DataLossError(absl::StrCat("digest mismatch: content is ", got.str()));
  }
  RETURN_IF_ERROR(extract_error);
  RETURN_IF_ERROR(decompress->Finish());
  pipe.Close();
  extractor.join();
  std::move(stop_extractor).Cancel();
  RETURN_IF_ERROR(extracted);
  RETURN_IF_ERROR(reader.Finish());
  RETURN_IF_ERROR(applier.Finish());
  RETURN_IF_ERROR(split.Finish());
  if (fsync(split_fd.get()) < 0) {
    return base::ErrnoStatus(errno, "fsync ", pending.tar_split_path());
  }
  if (digest::Digest got = diff_hash.Finish(); got != job.diff_id) {
    return absl::DataLossError(absl::StrCat(
        "uncompressed content has diff id ", got.str(),
        ", the image config says ", job.diff_id.str()));
  }
  return pending;
}

absl::Status Puller::ProduceLayer(registry::HttpClient& http, LayerJob& job) {
  const std::string id = Short(job.blob.digest);
  // One producer per chain id across processes: a second pull of the same
  // layer waits here, then finds it registered.
  ASSIGN_OR_RETURN(base::FileLock lock,
                   store::Lock(options_.root, absl::StrCat("layer-", job.chain_id.hex()),
                               base::FileLock::kExclusive));
  if (layers_.Has(job.chain_id)) {
    progress_.Layer(id, Progress::State::kAlreadyExists, 0, 0);
  } else {
    absl::StatusOr<layerdb::PendingLayer> pending;
    progress_.Layer(id, Progress::State::kWaiting, 0, job.blob.size);
    slots_.acquire();
    for (int attempt = 1;; ++attempt) {
      pending = Download(http, job);
      // A dropped connection mid-stream starts the layer again from scratch;
      // anything else (bad data, a full disk) is final.
      if (pending.ok() || !absl::IsUnavailable(pending.status()) ||
          attempt == kLayerAttempts || cancel_.load()) {
        break;
      }
      progress_.Layer(id, Progress::State::kRetrying, 0, job.blob.size);
      base::LogInfo("layer %s: %s; retrying", job.blob.digest.str(),
                    pending.status().message());
    }
    slots_.release();
    RETURN_IF_ERROR(pending.status());
    // Layers register parent first. The parent's job finishing is all that
    // is needed: either it registered the parent or found it registered.
    if (job.parent_job != nullptr && !job.parent_job->Wait().ok()) {
      return absl::CancelledError("the layer below it failed");
    }
    absl::StatusOr<layerdb::Layer> layer =
        layers_.Commit(*std::move(pending), job.diff_id, job.parent);
    if (!layer.ok() && !absl::IsAlreadyExists(layer.status())) return layer.status();
  }
  RETURN_IF_ERROR(dist_.Add(job.blob.digest, job.diff_id, ref_.Name()));
  progress_.Layer(id, Progress::State::kComplete, job.blob.size, job.blob.size);
  return absl::OkStatus();
}

void Puller::RunLayer(LayerJob& job) {
  registry::HttpClient http(options_.config.HttpClientOptions());
  absl::Status s = ProduceLayer(http, job);
  if (!s.ok()) cancel_.store(true);
  job.Finish(Annotate(s, absl::StrCat("layer ", job.blob.digest.str())));
}

absl::StatusOr<Result> Puller::Run() {
  registry::HttpClient http(options_.config.HttpClientOptions());
  ASSIGN_OR_RETURN(registry::FetchedManifest top, Resolve(http));
  progress_.Message(absl::StrCat(ref_.digest ? ref_.digest->str() : ref_.tag,
                                 ": Pulling from ", ref_.path));
  registry::FetchedManifest image_manifest = top;
  ASSIGN_OR_RETURN(manifest::Kind kind, manifest::Classify(top.content_type, top.bytes));
  if (kind == manifest::Kind::kIndex) {
    ASSIGN_OR_RETURN(manifest::Index index, manifest::ParseIndex(top.bytes));
    ASSIGN_OR_RETURN(manifest::Descriptor d,
                     manifest::SelectPlatform(index, options_.platform));
    ASSIGN_OR_RETURN(image_manifest, repo_->GetManifest(http, d.digest.str()));
    ASSIGN_OR_RETURN(manifest::Kind inner,
                     manifest::Classify(image_manifest.content_type, image_manifest.bytes));
    if (inner != manifest::Kind::kManifest) {
      return absl::InvalidArgumentError(absl::StrCat(
          "manifest list entry ", d.digest.str(), " is not an image manifest"));
    }
  }
  ASSIGN_OR_RETURN(manifest::ImageManifest m, manifest::ParseManifest(image_manifest.bytes));
  ASSIGN_OR_RETURN(std::string config_bytes, FetchConfig(http, m.config));
  ASSIGN_OR_RETURN(manifest::ImageConfig config, manifest::ParseConfig(config_bytes));
  if (config.diff_ids.size() != m.layers.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the manifest has ", m.layers.size(), " layers but the image config ",
        config.diff_ids.size(), " diff ids"));
  }
  const digest::Digest image_id = m.config.digest;
  std::vector<digest::Digest> chains = layerdb::ChainIds(config.diff_ids);

  // Clear what interrupted pulls left, if no other command is using the
  // store right now; then hold it shared so nobody clears under us.
  if (absl::StatusOr<base::FileLock> excl =
          store::TryLock(options_.root, store::kLayerStoreLock, base::FileLock::kExclusive);
      excl.ok()) {
    if (absl::Status s = layers_.CleanUp(); !s.ok()) {
      base::LogWarn("cleaning up the layer store: %s", s.ToString());
    }
  }
  ASSIGN_OR_RETURN(base::FileLock shared,
                   store::Lock(options_.root, store::kLayerStoreLock, base::FileLock::kShared));

  std::vector<std::unique_ptr<LayerJob>> jobs;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    auto job = std::make_unique<LayerJob>(m.layers[i], config.diff_ids[i], chains[i]);
    ASSIGN_OR_RETURN(job->compression, manifest::LayerCompression(m.layers[i].media_type));
    if (i > 0) {
      job->parent = chains[i - 1];
      job->parent_job = jobs[i - 1].get();
    }
    jobs.push_back(std::move(job));
  }
  {
    std::vector<std::thread> threads;
    for (auto& job : jobs) {
      threads.emplace_back([this, j = job.get()] { RunLayer(*j); });
    }
    for (std::thread& t : threads) t.join();
  }
  // The first real failure, not the cancellations it caused.
  absl::Status failed;
  for (auto& job : jobs) {
    if (!job->status.ok() && (failed.ok() || absl::IsCancelled(failed))) {
      failed = job->status;
    }
  }
  RETURN_IF_ERROR(failed);

  ASSIGN_OR_RETURN(digest::Digest stored, images_.Put(config_bytes));
  if (stored != image_id) {
    return absl::InternalError("image id differs from the config digest");
  }
  Result result{ref_, top.digest, image_id, true};
  reference::Reference by_digest = ref_;
  by_digest.tag.clear();
  by_digest.digest = top.digest;
  RETURN_IF_ERROR(refs_.Update([&](refstore::Repositories& repos) -> absl::Status {
    std::optional<digest::Digest> before = repos.Get(ref_);
    result.new_image = !before || *before != image_id;
    RETURN_IF_ERROR(repos.Set(by_digest, image_id));
    if (!ref_.tag.empty() && !ref_.digest) RETURN_IF_ERROR(repos.Set(ref_, image_id));
    return absl::OkStatus();
  }));
  return result;
}

}  // namespace

absl::StatusOr<Result> Pull(const reference::Reference& ref, const Options& options,
                            Progress* progress) {
  Puller puller(ref, options, progress);
  absl::StatusOr<Result> r = puller.Run();
  if (!r.ok()) return Annotate(r.status(), ref.String());
  return r;
}

}  // namespace mydocker::pull
