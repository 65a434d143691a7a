#include "lib/tar/testing.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/base/status_macros.h"

namespace mydocker::tar::testing {
namespace {

void PutOctal(std::string* block, size_t offset, size_t length, int64_t v) {
  // length-1 digits and a NUL, as most tars write them.
  std::string digits = absl::StrFormat("%0*o", static_cast<int>(length - 1),
                                       static_cast<uint64_t>(v));
  SetField(block, offset, digits, length);
}

}  // namespace

void FixChecksum(std::string* block) {
  block->replace(148, 8, "        ");
  unsigned sum = 0;
  for (unsigned char c : *block) sum += c;
  block->replace(148, 8, absl::StrFormat("%06o", sum) + std::string("\0 ", 2));
}

void SetField(std::string* block, size_t offset, absl::string_view bytes,
              size_t length) {
  std::string value(bytes);
  if (value.size() < length) value.resize(length, '\0');
  block->replace(offset, value.size(), value);
  FixChecksum(block);
}

std::string Header(const HeaderFields& f) {
  std::string b(512, '\0');
  b.replace(0, std::min<size_t>(f.name.size(), 100), f.name.substr(0, 100));
  PutOctal(&b, 100, 8, f.mode);
  PutOctal(&b, 108, 8, f.uid);
  PutOctal(&b, 116, 8, f.gid);
  PutOctal(&b, 124, 12, f.size);
  PutOctal(&b, 136, 12, f.mtime);
  b[156] = f.typeflag;
  b.replace(157, std::min<size_t>(f.linkname.size(), 100),
            f.linkname.substr(0, 100));
  switch (f.magic) {
    case HeaderFields::Magic::kUstar:
      b.replace(257, 8,
                std::string("ustar\0"
                            "00",
                            8));
      break;
    case HeaderFields::Magic::kGnu:
      b.replace(257, 8, std::string("ustar  \0", 8));
      break;
    case HeaderFields::Magic::kV7:
      break;
  }
  if (f.magic != HeaderFields::Magic::kV7) {
    b.replace(265, 4, "user");
    b.replace(297, 5, "group");
    PutOctal(&b, 329, 8, f.devmajor);
    PutOctal(&b, 337, 8, f.devminor);
  }
  b.replace(345, std::min<size_t>(f.prefix.size(), 155),
            f.prefix.substr(0, 155));
  FixChecksum(&b);
  return b;
}

std::string Padded(absl::string_view content) {
  std::string out(content);
  out.resize((content.size() + 511) / 512 * 512, '\0');
  return out;
}

std::string File(absl::string_view name, absl::string_view content) {
  HeaderFields f;
  f.name = std::string(name);
  f.size = static_cast<int64_t>(content.size());
  return Header(f) + Padded(content);
}

std::string PaxRecord(absl::string_view key, absl::string_view value) {
  size_t size = key.size() + value.size() + 3;  // ' ', '=', '\n'
  size_t digits = std::to_string(size).size();
  size_t total = size + digits;
  if (std::to_string(total).size() != digits) ++total;
  return absl::StrCat(total, " ", key, "=", value, "\n");
}

std::string Pax(absl::string_view records, char typeflag) {
  HeaderFields f;
  f.name = typeflag == 'g' ? "pax_global_header" : "PaxHeaders.0/x";
  f.typeflag = typeflag;
  f.size = static_cast<int64_t>(records.size());
  return Header(f) + Padded(records);
}

std::string GnuLong(char typeflag, absl::string_view value) {
  HeaderFields f;
  f.name = "././@LongLink";
  f.typeflag = typeflag;
  f.size = static_cast<int64_t>(value.size() + 1);
  f.magic = HeaderFields::Magic::kGnu;
  return Header(f) + Padded(absl::StrCat(value, std::string(1, '\0')));
}

std::string EndMarker() { return std::string(1024, '\0'); }

std::string FixtureContent(size_t n) {
  static constexpr absl::string_view kLine = "mydocker tar fixture\n";
  std::string out;
  out.reserve(n + kLine.size());
  while (out.size() < n) out.append(kLine.data(), kLine.size());
  out.resize(n);
  return out;
}

std::string ReadRunfile(absl::string_view path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  std::string full =
      absl::StrCat(srcdir ? srcdir : ".", "/",
                   workspace ? workspace : "mydocker", "/", path);
  std::ifstream in(full, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read runfile %s\n", full.c_str());
    std::abort();
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Describe(const Entry& e) {
  std::vector<std::string> xattrs;
  for (const auto& [k, v] : e.xattrs) {
    xattrs.push_back(absl::StrCat(k, "=", absl::CHexEscape(v)));
  }
  return absl::StrFormat(
      "name=\"%s\" link=\"%s\" type=%d mode=%04o uid=%d gid=%d mtime=%d.%09d "
      "size=%d dev=%d,%d xattrs={%s}",
      absl::CHexEscape(e.name), absl::CHexEscape(e.linkname),
      static_cast<int>(e.type), e.mode, e.uid, e.gid, e.mtime_sec, e.mtime_nsec,
      e.size, e.devmajor, e.devminor, absl::StrJoin(xattrs, ","));
}

absl::Status RecordingHandler::Count() {
  if (calls_++ == fail_at_) return fail_status_;
  return absl::OkStatus();
}

void RecordingHandler::Add(std::string kind, absl::string_view payload) {
  bool mergeable = kind == "data" || kind == "raw";
  if (mergeable && kind == last_kind_) {
    events_.back().append(payload.data(), payload.size());
  } else {
    events_.push_back(absl::StrCat(kind, " ", payload));
  }
  last_kind_ = std::move(kind);
}

absl::Status RecordingHandler::OnEntry(const Entry& entry) {
  RETURN_IF_ERROR(Count());
  if (in_entry_) violations_.push_back("OnEntry inside an entry");
  if (archive_ended_) violations_.push_back("OnEntry after OnArchiveEnd");
  in_entry_ = true;
  data_left_ = entry.size;
  if (entry.type == EntryType::kRegular) contents_[entries_.size()] = "";
  entries_.push_back(entry);
  Add("entry", Describe(entry));
  return absl::OkStatus();
}

absl::Status RecordingHandler::OnData(absl::string_view chunk) {
  RETURN_IF_ERROR(Count());
  if (!in_entry_) violations_.push_back("OnData outside an entry");
  if (chunk.empty()) violations_.push_back("empty OnData");
  data_left_ -= static_cast<int64_t>(chunk.size());
  if (data_left_ < 0) violations_.push_back("OnData beyond entry.size");
  contents_[entries_.size() - 1].append(chunk.data(), chunk.size());
  stream_.append(chunk.data(), chunk.size());
  Add("data", chunk);
  return absl::OkStatus();
}

absl::Status RecordingHandler::OnEntryEnd() {
  RETURN_IF_ERROR(Count());
  if (!in_entry_) violations_.push_back("OnEntryEnd outside an entry");
  if (data_left_ != 0) violations_.push_back("OnEntryEnd before all data");
  in_entry_ = false;
  Add("end-entry", "");
  return absl::OkStatus();
}

absl::Status RecordingHandler::OnRaw(absl::string_view bytes) {
  RETURN_IF_ERROR(Count());
  if (in_entry_ && data_left_ > 0) {
    violations_.push_back("OnRaw in the middle of content");
  }
  if (bytes.empty()) violations_.push_back("empty OnRaw");
  stream_.append(bytes.data(), bytes.size());
  Add("raw", bytes);
  return absl::OkStatus();
}

absl::Status RecordingHandler::OnGlobalHeader(absl::string_view name) {
  RETURN_IF_ERROR(Count());
  if (in_entry_) violations_.push_back("OnGlobalHeader inside an entry");
  Add("global", name);
  return absl::OkStatus();
}

absl::Status RecordingHandler::OnArchiveEnd() {
  RETURN_IF_ERROR(Count());
  if (in_entry_) violations_.push_back("OnArchiveEnd inside an entry");
  if (archive_ended_) violations_.push_back("OnArchiveEnd twice");
  archive_ended_ = true;
  Add("end-archive", "");
  return absl::OkStatus();
}

absl::Status FeedInChunks(absl::string_view tar, size_t chunk_size,
                          Reader::Handler* handler, Limits limits) {
  Reader reader(handler, limits);
  if (chunk_size == 0) chunk_size = tar.size() + 1;
  for (size_t i = 0; i < tar.size(); i += chunk_size) {
    RETURN_IF_ERROR(reader.Feed(tar.substr(i, chunk_size)));
  }
  return reader.Finish();
}

}  // namespace mydocker::tar::testing
