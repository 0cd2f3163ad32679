#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# mkimage.py - OCI images and layer tars for tests/integration/bundle-image.bats,
# well-formed or hostile, written by hand (no registry, no image tools).
#
#   mkimage.py layout OUT [--tag T] [--config JSON] [--platform OS/ARCH] LAYER...
#       an OCI image layout in directory OUT with one manifest (tagged T in
#       index.json); LAYER is FILE.tar[:gzip|:zstd] (compressed here, with
#       the matching media type) or FILE.tar:media=TYPE (raw, any type).
#       JSON is merged into the image config's "config" object (which has
#       PATH in Env and Cmd ["sh"], as busybox's image).
#   mkimage.py multiarch OUT LAYOUT:OS/ARCH...
#       a layout whose index.json holds one nested index naming the
#       manifests of the given one-image layouts as those platforms.
#   mkimage.py break LAYOUT WHAT
#       damage the layout's first layer: digest (a byte of the blob changed),
#       size (descriptor one byte short), missing (blob removed), mediatype
#       (an unknown media type), diffid (config's diff_id changed), or its
#       config: config-digest (a byte of the config changed).
#   mkimage.py tar OUT KIND TARGET
#       a layer tar of the given KIND (see HOSTILE below); TARGET is an
#       absolute host path the hostile ones try to reach.
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

try:
    import zstandard
except ImportError:
    zstandard = None

TAR = "application/vnd.oci.image.layer.v1.tar"


def blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(f"{layout}/blobs/sha256", exist_ok=True)
    with open(f"{layout}/blobs/sha256/{d}", "wb") as f:
        f.write(data)
    return {"digest": f"sha256:{d}", "size": len(data)}


def write_index(layout, manifests):
    with open(f"{layout}/index.json", "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": manifests}, f)
    with open(f"{layout}/oci-layout", "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


def cmd_layout(out, args):
    tag, extra, plat, layers = "latest", {}, "linux/amd64", []
    while args:
        a = args.pop(0)
        if a == "--tag":
            tag = args.pop(0)
        elif a == "--config":
            extra = json.loads(args.pop(0))
        elif a == "--platform":
            plat = args.pop(0)
        else:
            layers.append(a)
    os.makedirs(out, exist_ok=True)
    descs, diff_ids = [], []
    for spec in layers:
        path, _, how = spec.partition(":")
        with open(path, "rb") as f:
            raw = f.read()
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        if how == "gzip":
            data, mt = gzip.compress(raw, mtime=0), TAR + "+gzip"
        elif how == "zstd":
            data, mt = zstandard.ZstdCompressor().compress(raw), TAR + "+zstd"
        elif how.startswith("media="):
            data, mt = raw, how[len("media="):]
        else:
            data, mt = raw, TAR
        descs.append(dict(mediaType=mt, **blob(out, data)))
    os_, arch = plat.split("/")
    config = {"architecture": arch, "os": os_,
              "config": dict({"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                              "Cmd": ["sh"]}, **extra),
              "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    cdesc = dict(mediaType="application/vnd.oci.image.config.v1+json", **blob(out, json.dumps(config).encode()))
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": cdesc, "layers": descs}
    mdesc = dict(mediaType="application/vnd.oci.image.manifest.v1+json", **blob(out, json.dumps(manifest).encode()),
                 annotations={"org.opencontainers.image.ref.name": tag})
    write_index(out, [mdesc])


def cmd_multiarch(out, specs):
    manifests = []
    for spec in specs:
        layout, plat = spec.rsplit(":", 1)
        with open(f"{layout}/index.json") as f:
            m = json.load(f)["manifests"][0]
        for d in os.listdir(f"{layout}/blobs/sha256"):
            with open(f"{layout}/blobs/sha256/{d}", "rb") as f:
                blob(out, f.read())
        os_, arch = plat.split("/")
        manifests.append({"mediaType": m["mediaType"], "digest": m["digest"], "size": m["size"],
                          "platform": {"os": os_, "architecture": arch}})
    nested = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}
    idesc = dict(mediaType="application/vnd.oci.image.index.v1+json", **blob(out, json.dumps(nested).encode()),
                 annotations={"org.opencontainers.image.ref.name": "latest"})
    write_index(out, [idesc])


def load(layout, digest):
    with open(f"{layout}/blobs/sha256/{digest.split(':')[1]}", "rb") as f:
        return f.read()


def cmd_break(layout, what):
    with open(f"{layout}/index.json") as f:
        index = json.load(f)
    mdesc = index["manifests"][0]
    manifest = json.loads(load(layout, mdesc["digest"]))
    layer = manifest["layers"][0]
    path = f"{layout}/blobs/sha256/{layer['digest'].split(':')[1]}"
    if what == "digest":
        data = bytearray(load(layout, layer["digest"]))
        data[len(data) // 2] ^= 0xFF
        with open(path, "wb") as f:
            f.write(data)
        return
    if what == "missing":
        os.unlink(path)
        return
    if what == "size":
        layer["size"] -= 1
    elif what == "mediatype":
        layer["mediaType"] = "application/vnd.example.layer.v1.tar+lz4"
    elif what in ("diffid", "config-digest"):
        cpath = f"{layout}/blobs/sha256/{manifest['config']['digest'].split(':')[1]}"
        config = json.loads(load(layout, manifest["config"]["digest"]))
        if what == "config-digest":
            config["config"]["Env"] = ["PATH=/evil"]
            with open(cpath, "w") as f:
                json.dump(config, f)
            return
        config["rootfs"]["diff_ids"][0] = "sha256:" + "0" * 64
        manifest["config"].update(blob(layout, json.dumps(config).encode()))
    else:
        sys.exit(f"mkimage.py: unknown damage {what}")
    mdesc.update(blob(layout, json.dumps(manifest).encode()))
    with open(f"{layout}/index.json", "w") as f:
        json.dump(index, f)


# ---- layer tars ---------------------------------------------------------------

def add(tf, name, kind=tarfile.REGTYPE, data=b"", linkname="", size=None, pax=None, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.type, ti.linkname, ti.mode, ti.mtime = kind, linkname, mode, 1700000000
    ti.size = len(data) if size is None else size
    if pax:
        ti.pax_headers = pax
    tf.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def hostile(kind, target):
    """(tar bytes) for one hostile layer kind; target: an absolute host path."""
    buf = io.BytesIO()
    tf = tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT)
    add(tf, "ok-file", data=b"fine\n")
    up = "../" * 12
    if kind == "absolute":
        add(tf, target, data=b"escaped\n")
    elif kind == "dotdot":
        add(tf, up + target.lstrip("/"), data=b"escaped\n")
    elif kind == "dotdot-inside":
        add(tf, "a/../b", data=b"x")
    elif kind == "symlink-then-file":
        add(tf, "evil", tarfile.SYMTYPE, linkname=os.path.dirname(target))
        add(tf, "evil/" + os.path.basename(target), data=b"escaped\n")
    elif kind == "relative-symlink-then-file":
        add(tf, "evil", tarfile.SYMTYPE, linkname=up + os.path.dirname(target).lstrip("/"))
        add(tf, "evil/" + os.path.basename(target), data=b"escaped\n")
    elif kind == "dir-then-symlink-then-file":
        add(tf, "d", tarfile.DIRTYPE, mode=0o755)
        add(tf, "d", tarfile.SYMTYPE, linkname=os.path.dirname(target))
        add(tf, "d/" + os.path.basename(target), data=b"escaped\n")
    elif kind == "hardlink-outside":
        add(tf, "victim-link", tarfile.LNKTYPE, linkname=target)
    elif kind == "hardlink-dotdot":
        add(tf, "victim-link", tarfile.LNKTYPE, linkname=up + target.lstrip("/"))
    elif kind == "hardlink-through-symlink":
        add(tf, "evil", tarfile.SYMTYPE, linkname=os.path.dirname(target))
        add(tf, "victim-link", tarfile.LNKTYPE, linkname="evil/" + os.path.basename(target))
    elif kind == "whiteout-through-symlink":
        add(tf, "evil", tarfile.SYMTYPE, linkname=os.path.dirname(target))
        add(tf, "evil/.wh." + os.path.basename(target))
    elif kind == "trusted-xattr":
        add(tf, "redirected", tarfile.DIRTYPE, mode=0o755,
            pax={"SCHILY.xattr.trusted.overlay.redirect": "/etc"})
    elif kind == "huge-member":
        # then a header claiming 8 GiB that the stream does not hold
        head = buf.getvalue()[:tf.offset]
        ti = tarfile.TarInfo("huge")
        ti.size, ti.mtime = 8 << 30, 1700000000
        return head + ti.tobuf(tarfile.PAX_FORMAT) + b"z" * 4096
    else:
        sys.exit(f"mkimage.py: unknown tar kind {kind}")
    tf.close()
    return buf.getvalue()


def cmd_tar(out, kind, target):
    if kind == "truncated":
        data = hostile_plain(1 << 16)[:512 + 20000]
    elif kind == "garbage-header":
        data = hostile_plain(100)
        end = 512 + 512  # header and data block of the first member
        data = data[:end] + b"\x07" * 512 + b"\0" * 1024
    elif kind == "big":
        data = hostile_plain(2 << 20)
    else:
        data = hostile(kind, target)
    with open(out, "wb") as f:
        f.write(data)


def hostile_plain(size):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        add(tf, "file", data=b"z" * size)
    return buf.getvalue()


def main(argv):
    if len(argv) >= 2 and argv[0] == "layout":
        cmd_layout(argv[1], argv[2:])
    elif len(argv) >= 3 and argv[0] == "multiarch":
        cmd_multiarch(argv[1], argv[2:])
    elif len(argv) == 3 and argv[0] == "break":
        cmd_break(argv[1], argv[2])
    elif len(argv) == 4 and argv[0] == "tar":
        cmd_tar(argv[1], argv[2], argv[3])
    else:
        sys.exit("usage: mkimage.py layout|multiarch|break|tar ... (see the file)")


if __name__ == "__main__":
    main(sys.argv[1:])
