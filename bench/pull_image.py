#!/usr/bin/python3
"""The image bench/pull pulls, and the single-core limit it is measured against.

Usage:
  bench/pull_image.py build --out DIR [--debs CACHEDIR]
      Writes the OCI layout DIR/layout (tag "latest") unless DIR/RECIPE shows
      it was already built from the same recipe and .debs; DIR/info.json
      describes it (layer sizes compressed and uncompressed).
  bench/pull_image.py limit DIR [--repeat N]
      Times, on one core and from memory, what a pull cannot avoid doing to
      each layer: sha256 of the blob, gunzip, sha256 of the tar. Prints
      "<largest layer s> <all layers s>", each the best of N runs (a limit:
      anything else on the machine can only add to it).

The image has five gzip layers built the way testdata/mkimages builds its
test images (it is imported, not copied): the files of a few Debian packages
per layer, plus one layer of incompressible "assets" from a fixed seed, so
the mix is roughly what a real image carries: shared libraries, executables,
Python and Perl sources, data files, already-compressed media.

Determinism: the same .debs give the same bytes (see testdata/mkimages); the
asset layer is SHAKE-256 of fixed names. The .debs come from `apt-get
download` into CACHEDIR (default DIR/debs) the first time.
"""

import argparse
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import tempfile
import time
import zlib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_mkimages():
    """testdata/mkimages as a module (it is a script without .py)."""
    path = os.path.join(REPO, "testdata", "mkimages")
    loader = importlib.machinery.SourceFileLoader("mkimages", path)
    spec = importlib.util.spec_from_loader("mkimages", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


mk = load_mkimages()

# Bump when the recipe changes in a way the lists below do not show.
RECIPE_VERSION = 1

# Layer -> Debian packages whose files it carries, bottom layer first.
PACKAGE_LAYERS = [
    ("base system", ["libc6", "libssl3", "libstdc++6", "coreutils", "bash",
                     "libgcc-s1", "zlib1g"]),
    ("language runtimes", ["python3.11-minimal", "libpython3.11-minimal",
                           "libpython3.11-stdlib", "perl-base", "libperl5.36",
                           "perl-modules-5.36"]),
    ("a big shared library", ["libllvm14"]),
    ("data files", ["libicu72", "vim-runtime"]),
]
# The top layer: incompressible files (think JPEGs, fonts, .so.gz), sizes in KiB.
ASSET_FILES = [(f"srv/assets/{i:03d}.bin", 64 << (i % 5)) for i in range(40)]
ASSET_SEED = b"mydocker bench/pull assets v1"


def package_layer(debs, name, packages):
    layer = mk.Layer(f"bench/pull: {name} ({' '.join(packages)})")
    with tempfile.TemporaryDirectory(prefix="bench-pull-") as tmp:
        mk.extract_debs(debs, packages, tmp)
        paths = []
        for dirpath, dirnames, filenames in os.walk(tmp):
            for n in dirnames + filenames:
                paths.append(os.path.relpath(os.path.join(dirpath, n), tmp))
        for path in sorted(paths):
            layer.add_from_host(path, os.path.join(tmp, path))
    return layer


def asset_layer():
    layer = mk.Layer("bench/pull: incompressible assets from a fixed seed")
    for path, kib in ASSET_FILES:
        data = hashlib.shake_256(ASSET_SEED + path.encode()).digest(kib << 10)
        layer.file(path, data)
    return layer


def recipe(debs):
    """What the image is made of; a different recipe means a rebuild."""
    return {
        "version": RECIPE_VERSION,
        "gzip_level": mk.GZIP_LEVEL,
        "zlib": zlib.ZLIB_RUNTIME_VERSION,  # Another zlib may compress differently.
        "layers": [[name, [os.path.basename(debs.get(p)) for p in packages]]
                   for name, packages in PACKAGE_LAYERS],
        "assets": ASSET_FILES,
        "seed": ASSET_SEED.decode(),
    }


def build(out, debs_dir):
    debs = mk.DebCache(debs_dir)
    want = mk.canonical_json(recipe(debs)).decode()
    stamp = os.path.join(out, "RECIPE")
    layout = os.path.join(out, "layout")
    try:
        with open(stamp) as f:
            if f.read() == want and os.path.exists(os.path.join(layout, "index.json")):
                return
    except FileNotFoundError:
        pass
    print("bench/pull: building the image (once; cached in %s)" % out, file=sys.stderr)
    layers, info = [], []
    for name, packages in PACKAGE_LAYERS:
        layers.append(package_layer(debs, name, packages))
    layers.append(asset_layer())
    built = []
    for layer in layers:
        tar = layer.tar()
        b = mk.BuiltLayer(mk.Blob(mk.MT_LAYER["gzip"], mk.gzip_compress(tar)),
                          mk.sha256(tar), layer.created_by)
        built.append(b)
        info.append({"digest": b.blob.digest, "compressed": len(b.blob.data),
                     "uncompressed": len(tar), "created_by": b.created_by})
    image = mk.Image(built, {"Env": mk.DEFAULT_ENV, "Cmd": ["sh"]})
    mk.write_layout(layout, image.manifest_blob(), image.blobs())
    with open(os.path.join(out, "info.json"), "w") as f:
        json.dump({"manifest": image.manifest_blob().digest,
                   "config": image.config_blob().digest, "layers": info}, f, indent=1)
    with open(stamp, "w") as f:
        f.write(want)


def unavoidable_work(blob):
    """sha256(blob), gunzip, sha256(tar): what every pull does to a layer."""
    blob_hash = hashlib.sha256()
    tar_hash = hashlib.sha256()
    inflate = zlib.decompressobj(wbits=31)  # gzip framing
    view = memoryview(blob)
    step = 1 << 16  # About what a socket read hands over.
    for pos in range(0, len(view), step):
        chunk = view[pos:pos + step]
        blob_hash.update(chunk)
        tar_hash.update(inflate.decompress(chunk))
    tar_hash.update(inflate.flush())
    return blob_hash.hexdigest(), tar_hash.hexdigest()


def limit(out, repeat):
    with open(os.path.join(out, "info.json")) as f:
        info = json.load(f)
    blob_dir = os.path.join(out, "layout", "blobs", "sha256")
    blobs = []
    for layer in info["layers"]:
        with open(os.path.join(blob_dir, layer["digest"].split(":", 1)[1]), "rb") as f:
            blobs.append(f.read())
    largest = max(range(len(blobs)), key=lambda i: info["layers"][i]["uncompressed"])

    def timed(indices):
        start = time.perf_counter()
        for i in indices:
            unavoidable_work(blobs[i])
        return time.perf_counter() - start

    one = min(timed([largest]) for _ in range(repeat))
    every = min(timed(range(len(blobs))) for _ in range(repeat))
    print(f"{one:.3f} {every:.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--out", required=True)
    b.add_argument("--debs")
    l = sub.add_parser("limit")
    l.add_argument("out")
    l.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    try:
        if args.command == "build":
            os.makedirs(args.out, exist_ok=True)
            build(args.out, args.debs or os.path.join(args.out, "debs"))
        else:
            limit(args.out, args.repeat)
    except mk.BuildError as err:
        print(f"bench/pull_image.py: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
