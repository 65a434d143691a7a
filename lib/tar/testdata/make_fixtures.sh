#!/usr/bin/env bash
# Regenerates the tar fixtures in this directory (and the golden tar-split
# files in lib/tarsplit/testdata). The unit tests never run this: they read
# the checked-in outputs, so they stay hermetic.
#
# Needs: GNU tar (1.34 was used), Python 3's tarfile, git, setfattr, root (for
# mknod and chown), a filesystem with user.* xattrs, and the `tar-split` CLI
# (Debian package tar-split, 0.11.2) for the goldens.
#
#   lib/tar/testdata/make_fixtures.sh
#
# Every file's content is the first N bytes of "mydocker tar fixture\n"
# repeated, so the tests can recompute it. Times, owners and order are fixed
# so reruns give the same bytes (GNU tar fixtures depend on the tar version;
# sparse_pax.tar also holds GNU tar's pid in a header name).
#
#   python_ustar.tar  tarfile USTAR: every entry type, sizes 0/1/511/512/513,
#                     setuid, a 130-char path split into prefix + name
#   python_pax.tar    tarfile PAX: a global 'g' header, long path/linkpath,
#                     xattrs (binary, empty), mtime .25, uid/gid > 2^31,
#                     UTF-8 and JSON-escaped names
#   python_gnu.tar    tarfile GNU: 'L'/'K' records, base-256 uid/gid
#   gnu.tar           GNU tar --format=gnu: 'L'/'K', a non-UTF-8 name, a char
#                     device, fifo, hard link, 10000-byte file
#   gnu_posix.tar     GNU tar --format=posix --xattrs: PAX path, xattrs,
#                     nanosecond mtime
#   gnu_base256.tar   GNU tar, uid/gid 3000000/3000001 in base-256
#   gnu_v7.tar        GNU tar --format=v7 (no magic)
#   sparse_gnu.tar    GNU sparse type 'S'           (the reader refuses it)
#   sparse_pax.tar    PAX GNU.sparse.* 1.0 records  (the reader refuses it)
#   git_archive.tar   git archive: a pax_global_header first
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
golden=$here/../../tarsplit/testdata
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

content() {  # content SIZE PATH
  python3 -c 'import sys; n=int(sys.argv[1]); sys.stdout.buffer.write((b"mydocker tar fixture\n"*(n//21+1))[:n])' "$1" >"$2"
}

# --- Python tarfile: ustar, pax, gnu base-256 -------------------------------
python3 - "$here" <<'PY'
import io, sys, tarfile
out = sys.argv[1]
def content(n):
    return (b"mydocker tar fixture\n" * (n // 21 + 1))[:n]
MTIME = 1700000000

def info(name, type=tarfile.REGTYPE, size=0, mode=0o644, **kw):
    t = tarfile.TarInfo(name)
    t.type, t.size, t.mode, t.mtime = type, size, mode, MTIME
    t.uid, t.gid, t.uname, t.gname = 1000, 1000, "user", "group"
    for k, v in kw.items():
        setattr(t, k, v)
    return t

def common_members():
    m = [info("dir/", tarfile.DIRTYPE, mode=0o755)]
    for n in (0, 1, 511, 512, 513):
        m.append((info(f"dir/f{n}", size=n), content(n)))
    m += [
        info("dir/setuid", mode=0o4755),
        info("dir/link", tarfile.SYMTYPE, linkname="f1", mode=0o777),
        info("dir/hard", tarfile.LNKTYPE, linkname="dir/f1"),
        info("dir/fifo", tarfile.FIFOTYPE),
        info("dir/null", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666),
        info("dir/sda", tarfile.BLKTYPE, devmajor=8, devminor=0, mode=0o660),
    ]
    return m

def write(path, fmt, members, **kw):
    with tarfile.open(path, "w", format=fmt, **kw) as tf:
        for m in members:
            if isinstance(m, tuple):
                tf.addfile(m[0], io.BytesIO(m[1]))
            else:
                tf.addfile(m)

# ustar: the 'prefix' field carries the directory part of a 130-char path.
long_dir = "p" * 60 + "/" + "q" * 60
ustar = common_members() + [
    info(long_dir + "/", tarfile.DIRTYPE, mode=0o755),
    (info(long_dir + "/file.txt", size=21), content(21)),
]
write(f"{out}/python_ustar.tar", tarfile.USTAR_FORMAT, ustar)

# pax: long path and linkpath in 'x' records, xattrs, a fractional mtime, a
# uid too large for octal, and a global 'g' header at the start.
long_name = "d" * 50 + "/" + "n" * 150
pax = common_members() + [
    (info(long_name, size=5), content(5)),
    info("dir/longlink", tarfile.SYMTYPE, linkname="t" * 200, mode=0o777),
    (info("dir/xattrs", size=3, pax_headers={
        "SCHILY.xattr.user.mime_type": "text/plain",
        "SCHILY.xattr.security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00",
        "SCHILY.xattr.user.empty": "",
    }), content(3)),
    (info("dir/frac", size=2, mtime=1700000000.25), content(2)),
    info("dir/bigid", uid=3000000000, gid=3000000001),
    (info("dir/caf\u00e9", size=4), content(4)),
    # Characters Go's encoding/json escapes: <, >, &, ", \, controls, U+2028.
    (info("dir/esc<&>\"\\\x01\n\u2028", size=6), content(6)),
]
write(f"{out}/python_pax.tar", tarfile.PAX_FORMAT, pax,
      pax_headers={"comment": "made by make_fixtures.sh"})

# gnu: 'L' long names and 'K' long link names, base-256 uid/gid.
gnu = common_members() + [
    (info(long_name, size=7), content(7)),
    info("dir/longlink", tarfile.SYMTYPE, linkname="t" * 200, mode=0o777),
    info("dir/bigid", uid=3000000000, gid=3000000001),
]
write(f"{out}/python_gnu.tar", tarfile.GNU_FORMAT, gnu)
PY

# --- GNU tar: gnu, posix (pax), v7, sparse ----------------------------------
src=$work/src
mkdir -p "$src/tree/sub"
for n in 0 1 511 512 513 10000; do content "$n" "$src/tree/f$n"; done
content 33 "$src/tree/sub/$(printf 'x%.0s' {1..120})"     # name > 100 chars
ln -s "$(printf 'target%.0s' {1..20})" "$src/tree/longsym"  # target > 100 chars
ln -s f1 "$src/tree/sym"
ln "$src/tree/f1" "$src/tree/hard"
mkfifo "$src/tree/fifo"
mknod "$src/tree/zero" c 1 5
content 6 "$src/tree/$(printf 'latin1-\xff')"               # not UTF-8
content 9 "$src/tree/xattrs"
setfattr -n user.one -v first "$src/tree/xattrs"
setfattr -n user.two -v second "$src/tree/xattrs"
find "$src/tree" -exec touch -h -d '2023-11-14 22:13:20 UTC' {} +
touch -d '2023-11-14 22:13:20.123456789 UTC' "$src/tree/xattrs"  # PAX mtime
gtar() {
  tar -C "$src" --sort=name --owner=user:1000 --group=group:1000 "$@"
}
gtar --format=gnu -cf "$here/gnu.tar" tree
gtar --format=posix --xattrs --pax-option=delete=atime,delete=ctime \
  -cf "$here/gnu_posix.tar" tree
# A uid/gid of 3000000 does not fit 7 octal digits: GNU format goes base-256.
tar -C "$src" --sort=name --owner=big:3000000 --group=big:3000001 \
  --format=gnu -cf "$here/gnu_base256.tar" tree/f1 tree/sub

mkdir -p "$src/v7"
content 100 "$src/v7/file"
ln -s file "$src/v7/sym"
ln "$src/v7/file" "$src/v7/hard"
find "$src/v7" -exec touch -h -d '2023-11-14 22:13:20 UTC' {} +
tar -C "$src" --sort=name --owner=user:1000 --group=group:1000 \
  --format=v7 -cf "$here/gnu_v7.tar" v7

# Sparse files: refused by the reader, in both GNU encodings.
mkdir -p "$src/sparse"
truncate -s 1M "$src/sparse/holes"
printf 'data' | dd of="$src/sparse/holes" bs=1 seek=524288 conv=notrunc status=none
touch -d '2023-11-14 22:13:20 UTC' "$src/sparse/holes"
gtar --sparse --format=gnu -cf "$here/sparse_gnu.tar" sparse/holes
gtar --sparse --format=posix --pax-option=delete=atime,delete=ctime \
  -cf "$here/sparse_pax.tar" sparse/holes

# --- git archive: a pax global header ('g') first ---------------------------
(
  export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com \
    GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com \
    GIT_AUTHOR_DATE='1700000000 +0000' GIT_COMMITTER_DATE='1700000000 +0000' \
    GIT_CONFIG_NOSYSTEM=1 HOME=$work
  git init -q "$work/repo"
  cd "$work/repo"
  content 42 README
  mkdir -p src && content 600 src/main.c
  git add README src/main.c
  git commit -q -m fixture
  git archive --format=tar HEAD >"$here/git_archive.tar"
)

# --- golden tar-split files from the real tool ------------------------------
mkdir -p "$golden"
for t in "$here"/*.tar; do
  case $(basename "$t") in sparse_*) continue ;; esac
  tar-split disasm --no-stdout --output "$golden/$(basename "$t" .tar).tar-split.json.gz" "$t" 2>/dev/null
done
chmod 0644 "$here"/*.tar "$golden"/*.gz
echo "fixtures written to $here and goldens to $golden"
