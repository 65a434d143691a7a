#include "lib/tar/reader.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "lib/base/status_macros.h"

namespace mydocker::tar {
namespace {

constexpr size_t kBlockSize = 512;

// Field offsets and lengths of a header block (POSIX ustar, plus the fields
// star and GNU put where ustar has its prefix).
struct FieldPos {
  size_t offset;
  size_t length;
};
constexpr FieldPos kName{0, 100};
constexpr FieldPos kMode{100, 8};
constexpr FieldPos kUid{108, 8};
constexpr FieldPos kGid{116, 8};
constexpr FieldPos kSize{124, 12};
constexpr FieldPos kMtime{136, 12};
constexpr FieldPos kChecksum{148, 8};
constexpr size_t kTypeflagOffset = 156;
constexpr FieldPos kLinkname{157, 100};
constexpr FieldPos kMagic{257, 6};
constexpr FieldPos kVersion{263, 2};
constexpr FieldPos kDevmajor{329, 8};
constexpr FieldPos kDevminor{337, 8};
constexpr FieldPos kUstarPrefix{345, 155};
constexpr FieldPos kStarPrefix{345, 131};
constexpr FieldPos kStarAtime{476, 12};
constexpr FieldPos kStarCtime{488, 12};
constexpr FieldPos kStarTrailer{508, 4};
constexpr FieldPos kGnuAtime{345, 12};
constexpr FieldPos kGnuCtime{357, 12};

enum class Format { kV7, kUstar, kStar, kGnu };

absl::string_view Field(const char* block, FieldPos f) {
  return absl::string_view(block + f.offset, f.length);
}

// A NUL-terminated string field; the whole field if it has no NUL.
std::string CString(absl::string_view field) {
  return std::string(field.substr(0, field.find('\0')));
}

// `s` quoted and escaped for an error message, cut if very long.
std::string Quote(absl::string_view s) {
  constexpr size_t kMax = 256;
  std::string out =
      absl::StrCat("\"", absl::CHexEscape(s.substr(0, kMax)), "\"");
  if (s.size() > kMax) out += "...";
  return out;
}

std::string DescribeTypeflag(char t) {
  if (t >= 0x21 && t <= 0x7e) return absl::StrCat("'", std::string(1, t), "'");
  return absl::StrFormat("0x%02x", static_cast<unsigned char>(t));
}

// An octal field as Go's archive/tar reads it: leading and trailing spaces
// and NULs are ignored, then digits up to the first NUL. nullopt for a bad
// digit or more than 64 bits. A value >= 2^63 wraps negative, as in Go.
std::optional<int64_t> ParseOctal(absl::string_view field) {
  static constexpr absl::string_view kPad(" \0", 2);
  size_t begin = field.find_first_not_of(kPad);
  if (begin == absl::string_view::npos) return 0;
  size_t end = field.find_last_not_of(kPad);
  field = field.substr(begin, end - begin + 1);
  field = field.substr(0, field.find('\0'));
  uint64_t x = 0;
  for (char c : field) {
    if (c < '0' || c > '7') return std::nullopt;
    if (x >> 61) return std::nullopt;  // x * 8 would overflow.
    x = x * 8 + static_cast<uint64_t>(c - '0');
  }
  return static_cast<int64_t>(x);
}

// GNU base-256: the high bit of the first byte marks it; the rest is a
// big-endian two's complement number. nullopt if it does not fit 64 bits.
std::optional<int64_t> ParseBase256(absl::string_view field) {
  const uint8_t inv = (static_cast<uint8_t>(field[0]) & 0x40) ? 0xff : 0x00;
  uint64_t x = 0;
  for (size_t i = 0; i < field.size(); ++i) {
    uint8_t c = static_cast<uint8_t>(field[i]) ^ inv;
    if (i == 0) c &= 0x7f;
    if (x >> 56) return std::nullopt;
    x = (x << 8) | c;
  }
  if (x >> 63) return std::nullopt;
  return inv ? ~static_cast<int64_t>(x) : static_cast<int64_t>(x);
}

std::optional<int64_t> ParseNumeric(absl::string_view field) {
  if (!field.empty() && (static_cast<uint8_t>(field[0]) & 0x80)) {
    return ParseBase256(field);
  }
  return ParseOctal(field);
}

// A decimal int64 with an optional sign, like Go's strconv.ParseInt(s, 10,
// 64): nothing else is allowed, not even spaces.
std::optional<int64_t> ParseDecimal(absl::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  uint64_t x = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (x > (limit - d) / 10) return std::nullopt;
    x = x * 10 + d;
  }
  return negative ? static_cast<int64_t>(0 - x) : static_cast<int64_t>(x);
}

// A PAX time "%d[.%d]": seconds, and up to 9 significant fraction digits
// (more are cut, fewer are padded). A negative time is normalised so that
// 0 <= nsec < 1e9, as Go's time.Unix does.
bool ParsePaxTime(absl::string_view s, int64_t* sec, int32_t* nsec) {
  size_t dot = s.find('.');
  absl::string_view whole = s.substr(0, dot);
  absl::string_view frac =
      dot == absl::string_view::npos ? absl::string_view() : s.substr(dot + 1);
  std::optional<int64_t> secs = ParseDecimal(whole);
  if (!secs) return false;
  int64_t n = 0;
  for (char c : frac) {
    if (c < '0' || c > '9') return false;
  }
  for (size_t i = 0; i < 9; ++i) {
    n = n * 10 + (i < frac.size() ? frac[i] - '0' : 0);
  }
  if (whole[0] == '-' && n > 0) {
    if (*secs == std::numeric_limits<int64_t>::min()) return false;
    *sec = *secs - 1;
    *nsec = static_cast<int32_t>(1000000000 - n);
  } else {
    *sec = *secs;
    *nsec = static_cast<int32_t>(n);
  }
  return true;
}

using PaxRecords = std::vector<std::pair<std::string, std::string>>;

constexpr absl::string_view kXattrPrefix = "SCHILY.xattr.";
constexpr absl::string_view kSparsePrefix = "GNU.sparse.";

// Splits the content of a PAX header into its "%d %s=%s\n" records, with
// the checks of Go's parsePAXRecord. Returns a message on error.
std::optional<std::string> ParsePaxRecords(absl::string_view data,
                                           PaxRecords* out) {
  out->clear();
  size_t at = 0;
  while (!data.empty()) {
    size_t sp = data.find(' ');
    if (sp == absl::string_view::npos) {
      return absl::StrCat("record at byte ", at, " has no length");
    }
    std::optional<int64_t> n = ParseDecimal(data.substr(0, sp));
    if (!n || *n < 5 || static_cast<uint64_t>(*n) > data.size() ||
        static_cast<int64_t>(sp) + 1 >= *n - 1) {
      return absl::StrCat("record at byte ", at, " has a bad length ",
                          Quote(data.substr(0, std::min<size_t>(sp, 32))));
    }
    size_t len = static_cast<size_t>(*n);
    if (data[len - 1] != '\n') {
      return absl::StrCat("record at byte ", at, " does not end in a newline");
    }
    absl::string_view rec = data.substr(sp + 1, len - 1 - (sp + 1));
    size_t eq = rec.find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return absl::StrCat("record at byte ", at, " has no key=value");
    }
    absl::string_view key = rec.substr(0, eq);
    absl::string_view value = rec.substr(eq + 1);
    bool string_field =
        key == "path" || key == "linkpath" || key == "uname" || key == "gname";
    if (string_field ? absl::StrContains(value, absl::string_view("\0", 1))
                     : absl::StrContains(key, absl::string_view("\0", 1))) {
      return absl::StrCat("record at byte ", at, " (", Quote(key),
                          ") contains a NUL");
    }
    out->emplace_back(std::string(key), std::string(value));
    data.remove_prefix(len);
    at += len;
  }
  return std::nullopt;
}

// Applies PAX records to `entry` and `size` with Go's mergePAX rules (see
// reader.h). A key given twice counts once, where it last appears (Go keeps
// records in a map: the last value wins).
std::optional<std::string> ApplyPax(const PaxRecords& records, Entry* entry,
                                    int64_t* size) {
  std::map<absl::string_view, size_t> last;
  for (size_t i = 0; i < records.size(); ++i) last[records[i].first] = i;
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& [key, value] = records[i];
    if (last[key] != i) continue;
    if (absl::StartsWith(key, kXattrPrefix)) {
      entry->xattrs.emplace_back(key.substr(kXattrPrefix.size()), value);
      continue;
    }
    if (value.empty()) continue;  // Keep the header's value.
    auto bad = [&] {
      return absl::StrCat("bad PAX record ", key, "=", Quote(value));
    };
    if (key == "path") {
      entry->name = value;
    } else if (key == "linkpath") {
      entry->linkname = value;
    } else if (key == "uid" || key == "gid" || key == "size") {
      std::optional<int64_t> v = ParseDecimal(value);
      if (!v) return bad();
      (key == "uid" ? entry->uid : key == "gid" ? entry->gid : *size) = *v;
    } else if (key == "mtime") {
      if (!ParsePaxTime(value, &entry->mtime_sec, &entry->mtime_nsec)) {
        return bad();
      }
    } else if (key == "atime" || key == "ctime") {
      int64_t sec;
      int32_t nsec;
      if (!ParsePaxTime(value, &sec, &nsec)) return bad();
    }
  }
  return std::nullopt;
}

// The fields of one header block, before any record is applied.
struct Header {
  char typeflag = 0;
  std::string name;  // With the ustar/star prefix applied.
  std::string linkname;
  int64_t mode = 0, uid = 0, gid = 0, size = 0, mtime = 0;
  int64_t devmajor = 0, devminor = 0;
};

bool IsAscii(absl::string_view s) {
  return std::none_of(s.begin(), s.end(),
                      [](char c) { return static_cast<uint8_t>(c) >= 0x80; });
}

// Verifies the checksum of `block` and decodes it. `where` names the header
// for messages.
absl::StatusOr<Header> ParseHeader(const char* block, absl::string_view where) {
  // The checksum is the sum of all bytes with the checksum field taken as
  // spaces; some old tars summed signed chars, and both are accepted.
  uint32_t unsigned_sum = 0;
  int32_t signed_sum = 0;
  for (size_t i = 0; i < kBlockSize; ++i) {
    char c = (i >= kChecksum.offset && i < kChecksum.offset + kChecksum.length)
                 ? ' '
                 : block[i];
    unsigned_sum += static_cast<uint8_t>(c);
    signed_sum += static_cast<int8_t>(c);
  }
  std::optional<int64_t> stored = ParseOctal(Field(block, kChecksum));
  if (!stored || (*stored != unsigned_sum && *stored != signed_sum)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: header checksum mismatch (stored %s, computed 0%o): not a tar "
        "archive, or a damaged one",
        where, Quote(Field(block, kChecksum)), unsigned_sum));
  }

  Format format = Format::kV7;
  absl::string_view magic = Field(block, kMagic);
  if (magic == absl::string_view("ustar\0", 6)) {
    format = Field(block, kStarTrailer) == absl::string_view("tar\0", 4)
                 ? Format::kStar
                 : Format::kUstar;
  } else if (magic == "ustar " &&
             Field(block, kVersion) == absl::string_view(" \0", 2)) {
    format = Format::kGnu;
  }

  Header h;
  h.typeflag = block[kTypeflagOffset];
  h.name = CString(Field(block, kName));
  h.linkname = CString(Field(block, kLinkname));
  struct Numeric {
    FieldPos pos;
    const char* what;
    int64_t* out;
  };
  std::vector<Numeric> numerics = {
      {kMode, "mode", &h.mode},    {kUid, "uid", &h.uid},
      {kGid, "gid", &h.gid},       {kSize, "size", &h.size},
      {kMtime, "mtime", &h.mtime},
  };
  int64_t ignored_time;
  if (format != Format::kV7) {
    numerics.push_back({kDevmajor, "devmajor", &h.devmajor});
    numerics.push_back({kDevminor, "devminor", &h.devminor});
  }
  if (format == Format::kStar) {
    numerics.push_back({kStarAtime, "atime", &ignored_time});
    numerics.push_back({kStarCtime, "ctime", &ignored_time});
  }
  for (const Numeric& n : numerics) {
    std::optional<int64_t> v = ParseNumeric(Field(block, n.pos));
    if (!v) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": bad ", n.what, " field ", Quote(Field(block, n.pos))));
    }
    *n.out = *v;
  }

  std::string prefix;
  switch (format) {
    case Format::kV7:
      break;
    case Format::kUstar:
      prefix = CString(Field(block, kUstarPrefix));
      break;
    case Format::kStar:
      prefix = CString(Field(block, kStarPrefix));
      break;
    case Format::kGnu: {
      // GNU keeps atime/ctime where ustar has its prefix. Go before 1.8
      // wrote a prefix there in GNU headers; like Go, fall back to reading
      // a prefix when those fields are not numbers.
      bool times_ok = true;
      for (FieldPos f : {kGnuAtime, kGnuCtime}) {
        if (block[f.offset] != 0 && !ParseNumeric(Field(block, f))) {
          times_ok = false;
        }
      }
      if (!times_ok) {
        std::string p = CString(Field(block, kUstarPrefix));
        if (IsAscii(p)) prefix = std::move(p);
      }
      break;
    }
  }
  if (!prefix.empty()) h.name = absl::StrCat(prefix, "/", h.name);
  return h;
}

bool IsZeroBlock(const char* block) {
  return std::all_of(block, block + kBlockSize, [](char c) { return c == 0; });
}

}  // namespace

Reader::Reader(Handler* handler, Limits limits)
    : handler_(handler), limits_(limits) {}

absl::Status Reader::Feed(absl::string_view bytes) {
  if (!status_.ok()) return status_;
  if (state_ == State::kFinished) {
    return absl::FailedPreconditionError("tar: Feed after Finish");
  }
  status_ = Consume(bytes);
  return status_;
}

absl::Status Reader::Finish() {
  if (!status_.ok()) return status_;
  absl::Status s;
  switch (state_) {
    case State::kHeader:
      if (block_len_ != 0) {
        s = absl::DataLossError(absl::StrFormat(
            "tar: input ends inside the header block at offset %d (%d of "
            "512 bytes)",
            block_offset_, block_len_));
      } else {
        s = EndArchive();
      }
      break;
    case State::kRecord:
      s = absl::DataLossError(absl::StrFormat(
          "tar: input ends inside the metadata record of header %s at "
          "offset %d (%d more bytes expected)",
          Quote(record_header_name_), block_offset_, remaining_));
      break;
    case State::kData:
      s = absl::DataLossError(absl::StrFormat(
          "tar entry %s at offset %d: input ends inside its content (%d of "
          "%d bytes missing)",
          Quote(entry_name_), block_offset_, remaining_, content_size_));
      break;
    case State::kPadding:
      // Go accepts this too: all content was delivered.
      s = EndArchive();
      break;
    case State::kTrailing:
      break;
    case State::kFinished:
      s = absl::FailedPreconditionError("tar: Finish called twice");
      break;
  }
  status_ = s;
  if (s.ok()) state_ = State::kFinished;
  return s;
}

absl::Status Reader::Consume(absl::string_view bytes) {
  while (!bytes.empty()) {
    switch (state_) {
      case State::kHeader: {
        if (block_len_ == 0) block_offset_ = offset_;
        size_t n = std::min(kBlockSize - block_len_, bytes.size());
        std::memcpy(block_ + block_len_, bytes.data(), n);
        block_len_ += n;
        RETURN_IF_ERROR(Raw(bytes.substr(0, n)));
        bytes.remove_prefix(n);
        if (block_len_ == kBlockSize) {
          block_len_ = 0;
          RETURN_IF_ERROR(OnBlock());
        }
        break;
      }
      case State::kRecord: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(
            static_cast<uint64_t>(remaining_), bytes.size()));
        record_.append(bytes.data(), n);
        remaining_ -= static_cast<int64_t>(n);
        RETURN_IF_ERROR(Raw(bytes.substr(0, n)));
        bytes.remove_prefix(n);
        if (remaining_ == 0) RETURN_IF_ERROR(OnRecordComplete());
        break;
      }
      case State::kData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(
            static_cast<uint64_t>(remaining_), bytes.size()));
        remaining_ -= static_cast<int64_t>(n);
        offset_ += n;
        RETURN_IF_ERROR(handler_->OnData(bytes.substr(0, n)));
        bytes.remove_prefix(n);
        if (remaining_ == 0) {
          ExpectPadding(content_size_);
          RETURN_IF_ERROR(handler_->OnEntryEnd());
        }
        break;
      }
      case State::kPadding: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(
            static_cast<uint64_t>(remaining_), bytes.size()));
        remaining_ -= static_cast<int64_t>(n);
        if (remaining_ == 0) state_ = State::kHeader;
        RETURN_IF_ERROR(Raw(bytes.substr(0, n)));
        bytes.remove_prefix(n);
        break;
      }
      case State::kTrailing:
        RETURN_IF_ERROR(Raw(bytes));
        bytes = absl::string_view();
        break;
      case State::kFinished:
        return absl::FailedPreconditionError("tar: Feed after Finish");
    }
  }
  return absl::OkStatus();
}

absl::Status Reader::Raw(absl::string_view bytes) {
  offset_ += bytes.size();
  if (state_ != State::kTrailing) {
    metadata_bytes_ += bytes.size();
    if (metadata_bytes_ > static_cast<uint64_t>(limits_.max_metadata_size)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "tar: more than %d bytes of headers and records before offset %d "
          "without an entry",
          limits_.max_metadata_size, offset_));
    }
  }
  return handler_->OnRaw(bytes);
}

void Reader::ExpectPadding(int64_t content_size) {
  remaining_ = (kBlockSize - static_cast<uint64_t>(content_size) % kBlockSize) %
               kBlockSize;
  state_ = remaining_ > 0 ? State::kPadding : State::kHeader;
}

std::string Reader::HeaderContext() const {
  return absl::StrFormat("tar header %s at offset %d",
                         Quote(CString(Field(block_, kName))), block_offset_);
}

absl::Status Reader::EndArchive() {
  if (ended_) return absl::OkStatus();
  ended_ = true;
  return handler_->OnArchiveEnd();
}

absl::Status Reader::OnBlock() {
  if (IsZeroBlock(block_)) {
    if (saw_zero_block_) {
      state_ = State::kTrailing;
      return EndArchive();
    }
    saw_zero_block_ = true;
    return absl::OkStatus();
  }
  if (saw_zero_block_) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "tar: a header at offset %d follows a zero block (a damaged "
        "end-of-archive marker?)",
        block_offset_));
  }
  ASSIGN_OR_RETURN(Header h, ParseHeader(block_, HeaderContext()));
  const std::string where = absl::StrFormat("tar header %s at offset %d",
                                            Quote(h.name), block_offset_);

  switch (h.typeflag) {
    case 'x':
    case 'g':
    case 'L':
    case 'K': {
      if (h.size < 0 || h.size > limits_.max_record_size) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s: %s record of %d bytes (the limit is %d)", where,
            DescribeTypeflag(h.typeflag), h.size, limits_.max_record_size));
      }
      record_type_ = h.typeflag;
      record_header_name_ = h.name;
      record_.clear();
      record_.reserve(static_cast<size_t>(h.size));
      content_size_ = h.size;
      remaining_ = h.size;
      state_ = State::kRecord;
      if (remaining_ == 0) return OnRecordComplete();
      return absl::OkStatus();
    }
    default:
      break;
  }

  Entry e;
  e.name = std::move(h.name);
  e.linkname = std::move(h.linkname);
  e.mode = static_cast<uint32_t>(h.mode & 07777);
  e.uid = h.uid;
  e.gid = h.gid;
  e.mtime_sec = h.mtime;
  int64_t size = h.size;
  if (have_pax_) {
    if (std::optional<std::string> err = ApplyPax(pax_, &e, &size)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", *err));
    }
  }
  if (have_long_name_) e.name = long_name_;
  if (have_long_link_) e.linkname = long_link_;
  const std::string entry_where = absl::StrFormat("tar entry %s at offset %d",
                                                  Quote(e.name), block_offset_);
  if (pending_sparse_) {
    // GNU's PAX sparse formats keep the real name in a record of their own.
    std::string name = e.name;
    for (const auto& [key, value] : pax_) {
      if (key == "GNU.sparse.name") name = value;
    }
    return absl::UnimplementedError(absl::StrFormat(
        "tar entry %s at offset %d: sparse files (PAX GNU.sparse.* records) "
        "are not supported",
        Quote(name), block_offset_));
  }
  pax_.clear();
  long_name_.clear();
  long_link_.clear();
  have_pax_ = have_long_name_ = have_long_link_ = false;

  bool has_content = false;
  switch (h.typeflag) {
    case '0':
    case '7':
      e.type = EntryType::kRegular;
      has_content = true;
      break;
    case '\0':
      // Archives older than ustar mark directories with a trailing slash.
      if (absl::EndsWith(e.name, "/")) {
        e.type = EntryType::kDirectory;
      } else {
        e.type = EntryType::kRegular;
        has_content = true;
      }
      break;
    case '1':
      e.type = EntryType::kHardlink;
      break;
    case '2':
      e.type = EntryType::kSymlink;
      break;
    case '3':
      e.type = EntryType::kCharDevice;
      break;
    case '4':
      e.type = EntryType::kBlockDevice;
      break;
    case '5':
      e.type = EntryType::kDirectory;
      break;
    case '6':
      e.type = EntryType::kFifo;
      break;
    case 'S':
      return absl::UnimplementedError(absl::StrCat(
          entry_where, ": sparse files (GNU type 'S') are not supported"));
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(entry_where, ": unsupported entry type ",
                       DescribeTypeflag(h.typeflag)));
  }
  if (has_content) {
    if (size < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(entry_where, ": negative size ", size));
    }
    e.size = size;
  }
  if (e.uid < 0 || e.gid < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(entry_where, ": negative owner ", e.uid, ":", e.gid));
  }
  if (e.type == EntryType::kCharDevice || e.type == EntryType::kBlockDevice) {
    constexpr int64_t kMax = std::numeric_limits<uint32_t>::max();
    if (h.devmajor < 0 || h.devmajor > kMax || h.devminor < 0 ||
        h.devminor > kMax) {
      return absl::InvalidArgumentError(
          absl::StrCat(entry_where, ": device number ", h.devmajor, ",",
                       h.devminor, " out of range"));
    }
    e.devmajor = static_cast<uint32_t>(h.devmajor);
    e.devminor = static_cast<uint32_t>(h.devminor);
  }
  return StartEntry(std::move(e));
}

absl::Status Reader::StartEntry(Entry entry) {
  metadata_bytes_ = 0;
  entry_name_ = entry.name;
  content_size_ = entry.size;
  remaining_ = entry.size;
  state_ = remaining_ > 0 ? State::kData : State::kHeader;
  RETURN_IF_ERROR(handler_->OnEntry(entry));
  if (remaining_ == 0) return handler_->OnEntryEnd();
  return absl::OkStatus();
}

absl::Status Reader::OnRecordComplete() {
  const std::string where = absl::StrFormat(
      "tar %s header %s at offset %d", DescribeTypeflag(record_type_),
      Quote(record_header_name_), block_offset_);
  // A 1 MiB buffer is not kept around for the rest of the stream.
  std::string data = std::move(record_);
  record_ = std::string();
  ExpectPadding(content_size_);

  switch (record_type_) {
    case 'L':
      long_name_ = CString(data);
      have_long_name_ = true;
      return absl::OkStatus();
    case 'K':
      long_link_ = CString(data);
      have_long_link_ = true;
      return absl::OkStatus();
    case 'x': {
      if (std::optional<std::string> err = ParsePaxRecords(data, &pax_)) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": ", *err));
      }
      have_pax_ = true;
      pending_sparse_ =
          std::any_of(pax_.begin(), pax_.end(), [](const auto& r) {
            return absl::StartsWith(r.first, kSparsePrefix);
          });
      return absl::OkStatus();
    }
    case 'g': {
      PaxRecords records;
      if (std::optional<std::string> err = ParsePaxRecords(data, &records)) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": ", *err));
      }
      // Checked like an entry's records, then dropped (see reader.h).
      Entry scratch;
      scratch.name = record_header_name_;
      int64_t size = 0;
      if (std::optional<std::string> err = ApplyPax(records, &scratch, &size)) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": ", *err));
      }
      pax_.clear();
      long_name_.clear();
      long_link_.clear();
      have_pax_ = have_long_name_ = have_long_link_ = pending_sparse_ = false;
      metadata_bytes_ = 0;
      return handler_->OnGlobalHeader(scratch.name);
    }
  }
  return absl::InternalError(absl::StrCat(where, ": not a record type"));
}

}  // namespace mydocker::tar
