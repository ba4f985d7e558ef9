#!/usr/bin/env python3
"""gen.py - hostile inputs for tests/hostile.bats and tests/bad-input.bats.

Standard library only: msgpack is written by hand (the few types needed) and
zstd frames are built from raw and RLE blocks (RFC 8878 §3.1.1.2), so a frame
can declare gigabytes of output in a few hundred KiB of input. Only `repeat`
runs the zstd CLI, to compress real records.

    gen.py stream KIND OUT [ARG]   edge streams (see STREAMS below)
    gen.py ndjson KIND OUT [ARG]   NDJSON for trace-cat --encode
    gen.py json KIND OUT [ARG]     JSON static graphs for trace-merge --static
    gen.py ci KIND OUT [ARG]       GCC .ci (VCG) static graphs
    gen.py etl KIND IN OUT         patch a recorded .etl (IN) into OUT
    gen.py flips IN PREFIX N SEED  N seeded copies of IN with 1-4 bytes changed

Every generated file is small (at most a few MiB) unless its KIND says
otherwise; the sizes that matter are the ones the file declares.
"""
import struct
import subprocess
import sys

MiB = 1 << 20
GiB = 1 << 30

# ---- msgpack (the subset the stream uses) ----


def mp_uint(v):
    if v < 0x80:
        return bytes([v])
    if v < 1 << 8:
        return b"\xcc" + struct.pack(">B", v)
    if v < 1 << 16:
        return b"\xcd" + struct.pack(">H", v)
    if v < 1 << 32:
        return b"\xce" + struct.pack(">I", v)
    return b"\xcf" + struct.pack(">Q", v)


def mp_str_head(n):
    if n < 32:
        return bytes([0xA0 | n])
    if n < 1 << 8:
        return b"\xd9" + struct.pack(">B", n)
    if n < 1 << 16:
        return b"\xda" + struct.pack(">H", n)
    return b"\xdb" + struct.pack(">I", n)


def mp_str(s):
    b = s.encode() if isinstance(s, str) else s
    return mp_str_head(len(b)) + b


def mp_bin(b):
    n = len(b)
    if n < 1 << 8:
        return b"\xc4" + struct.pack(">B", n) + b
    if n < 1 << 16:
        return b"\xc5" + struct.pack(">H", n) + b
    return b"\xc6" + struct.pack(">I", n) + b


def mp_array_head(n):
    if n < 16:
        return bytes([0x90 | n])
    if n < 1 << 16:
        return b"\xdc" + struct.pack(">H", n)
    return b"\xdd" + struct.pack(">I", n)


def mp_map_head(n):
    if n < 16:
        return bytes([0x80 | n])
    if n < 1 << 16:
        return b"\xde" + struct.pack(">H", n)
    return b"\xdf" + struct.pack(">I", n)


def mp(v):
    """Pack int (>= 0), bool, str, bytes (bin), list, dict (str keys)."""
    if isinstance(v, bool):
        return b"\xc3" if v else b"\xc2"
    if isinstance(v, int):
        return mp_uint(v)
    if isinstance(v, str):
        return mp_str(v)
    if isinstance(v, (bytes, bytearray)):
        return mp_bin(bytes(v))
    if isinstance(v, list):
        return mp_array_head(len(v)) + b"".join(mp(x) for x in v)
    if isinstance(v, dict):
        return mp_map_head(len(v)) + b"".join(mp(k) + mp(x) for k, x in v.items())
    raise TypeError(type(v))


def record(rtype, body, *ext):
    return mp([rtype, body] + list(ext))


def header(**extra):
    body = {"format": "tracemerge-edges", "major": 1, "minor": 0, "producer": "hostile"}
    body.update(extra)
    return record(1, body)


def defs():
    """STRINGS, MODULE, NODES: two nodes app!main (1) and app!f (2)."""
    return (record(2, {"base": 1, "s": ["app", "main", "f"]}) +
            record(3, {"id": 1, "name": 1}) +
            record(4, {"base": 1, "module": [1, 1], "symbol": [2, 3]}))


def edges(n, caller=1, callee=2, count=1, first=1000, last=2000):
    return record(7, {
        "n": n,
        "caller": struct.pack("<I", caller) * n,
        "callee": struct.pack("<I", callee) * n,
        "count": struct.pack("<Q", count) * n,
        "first": struct.pack("<Q", first) * n,
        "last": struct.pack("<Q", last) * n,
    })


def trailer(records, nedges):
    return record(15, {"records": records, "edges": nedges, "strings": 3, "modules": 1,
                       "nodes": 2})


# ---- zstd frames without a compressor ----

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BLOCK = 128 * 1024


def frame_head(window_log=17):
    # Frame_Header_Descriptor 0: no content size, not single-segment, no
    # checksum, no dictionary; then the Window_Descriptor (exponent only).
    return ZSTD_MAGIC + b"\x00" + bytes([(window_log - 10) << 3])


def block_head(last, btype, size):
    v = (1 if last else 0) | (btype << 1) | (size << 3)
    return struct.pack("<I", v)[:3]


def raw_blocks(data, last):
    out = bytearray()
    if not data:
        return bytes(block_head(last, 0, 0))
    for i in range(0, len(data), BLOCK):
        chunk = data[i:i + BLOCK]
        out += block_head(last and i + BLOCK >= len(data), 0, len(chunk)) + chunk
    return bytes(out)


def rle_blocks(byte, total, last):
    """total bytes of `byte`, 4 bytes of input per 128 KiB of output."""
    full, rest = divmod(total, BLOCK)
    one = block_head(False, 1, BLOCK) + bytes([byte])
    out = bytearray(one * full)
    if rest:
        out += block_head(False, 1, rest) + bytes([byte])
    if last:	# the Last_Block bit of the final block header
        out[len(out) - 4] |= 1
    return bytes(out)


def frame_parts(parts):
    """One frame from a list of bytes (raw blocks) and (byte, count) tuples
    (RLE blocks)."""
    out = bytearray(frame_head())
    for i, p in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(p, tuple):
            out += rle_blocks(p[0], p[1], last)
        else:
            out += raw_blocks(p, last)
    return bytes(out)


def frame(data):
    return frame_head() + raw_blocks(data, True)


def frame_then_rle(data, byte, total):
    """One frame: `data` as raw blocks, then `total` bytes of `byte`."""
    if total == 0:
        return frame(data)
    return frame_head() + raw_blocks(data, False) + rle_blocks(byte, total, True)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


# ---- streams ----

def size_arg(s, default):
    if s is None:
        return default
    mult = {"K": 1 << 10, "M": MiB, "G": GiB}
    if s[-1] in mult:
        return int(s[:-1]) * mult[s[-1]]
    return int(s)


def stream(kind, out, arg):
    """
    str4g    a STRINGS record whose string declares 2^32-1 bytes, followed by
             ARG (default 100M) bytes of zeros in the same frame
    bin4g    a header key whose bin value declares 2^32-1 bytes, then ARG zeros
    arr32    a STRINGS record whose array declares 2^32-1 elements (then zeros)
    map32    a header key whose map declares 2^32-1 pairs (then zeros)
    edges4g  an EDGES record with n = 2^32-1 (a complete, small record)
    nest     ARG (default 100000) nested arrays under an unknown header key
    zeros    a valid segment opening, then an unknown record type 9 whose body
             is a bin declaring 2^32-1 bytes and ARG (default 10G) zeros: a
             ~300 KiB file that decompresses to ARG bytes
    fcs      a frame header declaring a 2^62-byte single-segment frame
    window   a frame header asking for a 2^31-byte window
    strbomb  a valid stream whose one segment defines ARG (default 2048)
             strings of 1 MiB each, all the same ('a' * 1 MiB), 32 to a STRINGS
             record (under the record limit): ~40 bytes of input per MiB
    nodebomb a valid stream whose one segment defines ARG (default 64M) nodes,
             4096 to a NODES record, compressed with the zstd CLI
    repeat   a valid stream: one segment of ARG (default 50000) identical EDGES
             records of 4096 edges, compressed with the zstd CLI
    major2   a valid segment with major version 2
    """
    pad = size_arg(arg, 100 * MiB)
    pre = header() + defs()
    if kind == "str4g":
        rec = b"\x92\x02\x82" + mp("base") + mp(4) + mp("s") + b"\x91" + b"\xdb\xff\xff\xff\xff"
        write(out, frame_then_rle(pre + rec, 0x61, pad))
    elif kind == "bin4g":
        rec = (b"\x92\x01\x85" + mp("format") + mp("tracemerge-edges") + mp("major") + mp(1) +
               mp("minor") + mp(0) + mp("producer") + mp("hostile") + mp("junk") +
               b"\xc6\xff\xff\xff\xff")
        write(out, frame_then_rle(rec, 0, pad))
    elif kind == "arr32":
        rec = b"\x92\x02\x82" + mp("base") + mp(4) + mp("s") + b"\xdd\xff\xff\xff\xff"
        write(out, frame_then_rle(pre + rec, 0xA0, pad))
    elif kind == "map32":
        rec = (b"\x92\x01\x85" + mp("format") + mp("tracemerge-edges") + mp("major") + mp(1) +
               mp("minor") + mp(0) + mp("producer") + mp("hostile") + mp("junk") +
               b"\xdf\xff\xff\xff\xff")
        write(out, frame_then_rle(rec, 0, pad))
    elif kind == "edges4g":
        rec = (b"\x92\x07\x81" + mp("n") + mp((1 << 32) - 1))
        write(out, frame(pre + rec + trailer(5, 0)))
    elif kind == "nest":
        depth = int(arg) if arg else 100000
        body = (mp_map_head(5) + mp("format") + mp("tracemerge-edges") + mp("major") + mp(1) +
                mp("minor") + mp(0) + mp("producer") + mp("hostile") + mp("deep") +
                b"\x91" * depth + b"\x00")
        write(out, frame(b"\x92\x01" + body + defs() + trailer(4, 0)))
    elif kind == "zeros":
        total = size_arg(arg, 10 * GiB)
        rec = b"\x92\x09\xc6\xff\xff\xff\xff"
        write(out, frame_then_rle(pre + rec, 0, total))
    elif kind == "fcs":
        # FHD: FCS field 8 bytes (flag 3), single segment (bit 5): window = FCS.
        write(out, ZSTD_MAGIC + bytes([0xE0]) + struct.pack("<Q", 1 << 62) +
              block_head(True, 0, 1) + b"\x00")
    elif kind == "window":
        write(out, frame_head(31) + raw_blocks(pre, True))
    elif kind == "repeat":
        nrec = int(arg) if arg else 50000
        one = edges(4096)
        p = subprocess.Popen(["zstd", "-q", "-1", "--check", "-c", "-o", out], stdin=subprocess.PIPE)
        p.stdin.write(pre)
        chunk = one * 64
        left = nrec
        while left >= 64:
            p.stdin.write(chunk)
            left -= 64
        p.stdin.write(one * left)
        p.stdin.write(trailer(4 + nrec, nrec * 4096))
        p.stdin.close()
        if p.wait() != 0:
            sys.exit("zstd failed")
    elif kind == "strbomb":
        nstr = int(arg) if arg else 2048
        parts = [header()]
        base, nrec = 1, 1
        while base <= nstr:
            k = min(32, nstr - base + 1)
            head = b"\x92\x02\x82" + mp("base") + mp(base) + mp("s") + mp_array_head(k)
            parts.append(head)
            for j in range(k):
                if j:
                    parts.append(mp_str_head(MiB))
                else:
                    parts[-1] += mp_str_head(MiB)
                parts.append((0x61, MiB))
            base += k
            nrec += 1
        parts.append(record(15, {"records": nrec, "edges": 0}))
        write(out, frame_parts(parts))
    elif kind == "nodebomb":
        nnodes = int(arg) if arg else 64 * MiB
        p = subprocess.Popen(["zstd", "-q", "-1", "--check", "-c", "-o", out], stdin=subprocess.PIPE)
        p.stdin.write(header() + record(2, {"base": 1, "s": ["app"]}) + record(3, {"id": 1, "name": 1}))
        base, nrec = 1, 3
        while base <= nnodes:
            k = min(4096, nnodes - base + 1)
            p.stdin.write(b"\x92\x04\x82" + mp("base") + mp(base) + mp("module") +
                          mp_array_head(k) + b"\x01" * k)
            base += k
            nrec += 1
        p.stdin.write(record(15, {"records": nrec, "edges": 0}))
        p.stdin.close()
        if p.wait() != 0:
            sys.exit("zstd failed")
    elif kind == "major2":
        rec = record(1, {"format": "tracemerge-edges", "major": 2, "minor": 3, "producer": "x"})
        write(out, frame(rec + defs() + edges(1) + trailer(5, 1)))
    else:
        usage()


# ---- NDJSON and JSON ----

EDGE = ('{"type":"edge","caller":"app!main","callee":"app!f","count":1,'
        '"first_seen":1,"last_seen":2')


def ndjson(kind, out, arg):
    """
    nest      an edge line with ARG (default 1000000) nested arrays under an
              unknown key
    longline  one valid edge line padded with spaces to ARG (default 100M) bytes
    wide      an edge line with an unknown key holding an array of ARG
              (default 5000000) zeros
    longname  an edge whose caller symbol is ARG (default 2M) bytes long
    """
    with open(out, "w") as f:
        if kind == "nest":
            depth = int(arg) if arg else 1000000
            f.write(EDGE + ',"x":' + "[" * depth + "]" * depth + "}\n")
        elif kind == "longline":
            total = size_arg(arg, 100 * MiB)
            line = EDGE + "}"
            f.write(line)
            left = total - len(line)
            pad = " " * MiB
            while left > 0:
                f.write(pad[:min(left, MiB)])
                left -= MiB
            f.write("\n")
        elif kind == "wide":
            n = int(arg) if arg else 5000000
            f.write(EDGE + ',"x":[' + "0," * (n - 1) + "0]}\n")
        elif kind == "longname":
            n = size_arg(arg, 2 * MiB)
            f.write('{"type":"edge","caller":"app!' + "a" * n +
                    '","callee":"app!f","count":1,"first_seen":1,"last_seen":2}\n')
        else:
            usage()


def json_graph(kind, out, arg):
    """
    nest   a plain {"nodes": [...], "edges": [...]} graph with ARG (default
           1000000) nested arrays in an unknown key
    wide   an adjacency object whose one caller has ARG (default 2000000) callees
    """
    with open(out, "w") as f:
        if kind == "nest":
            depth = int(arg) if arg else 1000000
            f.write('{"nodes":["main"],"edges":[],"x":' + "[" * depth + "]" * depth + "}\n")
        elif kind == "wide":
            n = int(arg) if arg else 2000000
            f.write('{"main":[' + ",".join('"f%d"' % i for i in range(n)) + "]}\n")
        else:
            usage()


def ci(kind, out, arg):
    """
    longname  a .ci graph whose function names are ARG (default 16M) bytes long
    manyedges a .ci graph with ARG (default 1000000) edges between two nodes
    """
    with open(out, "w") as f:
        if kind == "longname":
            n = size_arg(arg, 16 * MiB)
            name = "f" * n
            f.write('graph: { title: "hostile.c"\n')
            f.write('node: { title: "main" label: "main\\nhostile.c:1:5" }\n')
            f.write('node: { title: "%s" label: "%s\\nhostile.c:2:5" }\n' % (name, name))
            f.write('edge: { sourcename: "main" targetname: "%s" label: "hostile.c:1:20" }\n' % name)
            f.write("}\n")
        elif kind == "manyedges":
            n = int(arg) if arg else 1000000
            f.write('graph: { title: "hostile.c"\n')
            f.write('node: { title: "main" label: "main\\nhostile.c:1:5" }\n')
            f.write('node: { title: "f" label: "f\\nhostile.c:2:5" }\n')
            e = 'edge: { sourcename: "main" targetname: "f" label: "hostile.c:1:20" }\n'
            for _ in range(n):
                f.write(e)
            f.write("}\n")
        else:
            usage()


# ---- .etl ----

def etl_buffers(d):
    off, out = 0, []
    while off + 0x48 <= len(d):
        size = struct.unpack_from("<I", d, off)[0]
        if size < 0x48 or off + size > len(d):
            break
        out.append((off, size))
        off += size
    return out


def xpress_literal_then_run(lit, total):
    """MS-XCA plain LZ77: the bytes lit, then a match at offset 1 repeating
    the last byte up to total bytes (32-bit extended length)."""
    tokens = [bytes([b]) for b in lit]
    length = total - len(lit)
    # word: offset 1 (0 << 3), length 7 = extended; nibble 15; byte 255;
    # 16-bit 0; 32-bit length L with final length L + 3.
    tokens.append(struct.pack("<H", 7) + b"\x0f" + b"\xff" + struct.pack("<H", 0) +
                  struct.pack("<I", length - 3))
    out = bytearray()
    for i in range(0, len(tokens), 32):
        group = tokens[i:i + 32]
        flags = 0
        for j, t in enumerate(group):
            if len(t) > 1:
                flags |= 1 << (31 - j)
        out += struct.pack("<I", flags) + b"".join(group)
    return bytes(out)


def etl(kind, src, out):
    """
    bufsize    the first buffer's BufferSize field is 0xFFFFFFFF (4 GiB)
    saved4g    a compressed buffer's SavedOffset is 0xFFFFFFFF
    lznt1      a compressed buffer names compression format 2 (LZNT1)
    prefix:N   the first N whole buffers of IN (a valid, shorter recording)
    scratch:N  IN's first (logfile header) buffer, then N compressed buffers,
               one per processor, each ~60 bytes of XPRESS that decompress to
               16 MiB (a copy of the header record, then one long match): the
               reader decompresses the first buffer of every processor before
               it returns an event, so N = 64 asks for 1 GiB from ~10 KB
    """
    d = bytearray(open(src, "rb").read())
    bufs = etl_buffers(d)
    comp = [o for o, _ in bufs if struct.unpack_from("<H", d, o + 0x34)[0] & 0x40]
    if kind == "bufsize":
        struct.pack_into("<I", d, 0, 0xFFFFFFFF)
    elif kind == "saved4g":
        if not comp:
            sys.exit("no compressed buffer in " + src)
        struct.pack_into("<I", d, comp[0] + 4, 0xFFFFFFFF)
    elif kind == "lznt1":
        if not comp:
            sys.exit("no compressed buffer in " + src)
        v = struct.unpack_from("<I", d, comp[0] + 0x2C)[0]
        struct.pack_into("<I", d, comp[0] + 0x2C, (v & 0xFFFF0000) | 2)
    elif kind.startswith("scratch:"):
        n = int(kind.split(":", 1)[1])
        first_off, first_size = bufs[0]
        saved0 = struct.unpack_from("<I", d, 4)[0]
        rec = bytes(d[0x48:saved0])			# the logfile header record(s)
        total = (16 << 20) - 0x48
        out_d = bytearray(d[:first_size])
        for cpu in range(n):
            payload = xpress_literal_then_run(rec, total)
            h = bytearray(0x48)
            struct.pack_into("<I", h, 0, 0x48 + len(payload))	# BufferSize
            struct.pack_into("<I", h, 4, 0x48 + total)		# SavedOffset
            struct.pack_into("<Q", h, 0x18, 1)			# sequence
            struct.pack_into("<H", h, 0x28, cpu + 1)		# processor index
            struct.pack_into("<I", h, 0x2C, 3)			# XPRESS
            struct.pack_into("<H", h, 0x34, 0x40 | 0x20)	# compressed, 16-bit cpu
            out_d += h + payload
        d = out_d
    elif kind.startswith("prefix:"):
        n = int(kind.split(":", 1)[1])
        end = bufs[min(n, len(bufs)) - 1]
        d = d[:end[0] + end[1]]
    else:
        usage()
    write(out, bytes(d))


# ---- mutations of any file ----

def flips(src, prefix, n, seed):
    """N copies of SRC with 1 to 4 bytes changed each (seeded, so the same
    files every run): PREFIX.0 ... PREFIX.(N-1)."""
    import random
    rnd = random.Random(seed)
    d = open(src, "rb").read()
    for i in range(n):
        b = bytearray(d)
        for _ in range(rnd.randint(1, 4)):
            at = rnd.randrange(len(b))
            b[at] ^= rnd.randint(1, 255)
        write("%s.%d" % (prefix, i), bytes(b))


def usage():
    sys.stderr.write(__doc__)
    for fn in (stream, ndjson, json_graph, ci, etl, flips):
        sys.stderr.write(fn.__name__ + ":" + (fn.__doc__ or "") + "\n")
    sys.exit(2)


def main(argv):
    if len(argv) < 4:
        usage()
    what, kind = argv[1], argv[2]
    if what == "flips":
        if len(argv) != 6:
            usage()
        flips(argv[2], argv[3], int(argv[4]), int(argv[5]))
        return
    if what == "etl":
        if len(argv) != 5:
            usage()
        etl(kind, argv[3], argv[4])
        return
    out = argv[3]
    arg = argv[4] if len(argv) > 4 else None
    {"stream": stream, "ndjson": ndjson, "json": json_graph, "ci": ci}.get(what, lambda *a: usage())(
        kind, out, arg)


if __name__ == "__main__":
    main(sys.argv)
