#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
An independent reference of the original ipcp's wire, for t_legacy.sh:
written from its description (proto/legacy.h, man/ipcpd.8), sharing no
code with ipcp, with PyNaCl's SecretBox for crypto_secretbox_easy.

    frame = u32 L (big endian, 41..4096) || nonce[24] || secretbox(plain)
    plain = u8 type || u32 n (big endian) || payload[n]
    type 1 DATA (a TUN read with its packet information header),
    2 heartbeat request, 3 heartbeat ack

Like the original it opens /dev/net/tun without IFF_NO_PI, so every read
and write carries the 4-byte packet information header.  The client sends
a heartbeat request after 5 s idle both ways and gives up 15 s after an
unanswered one; the server answers and gives up after 15 s without a
valid frame.  Unlike the original, the TUN is opened once (its addresses
stay), and with --reconnect the client dials again after a session ends,
so a test can watch ipcpd take the next session.

For the test, a command file (--cmd) is polled: "corrupt", "badlen" or
"badtype" sends one bad frame of that kind.  Counters go to --status as
JSON after every change: sessions, heartbeat requests/acks seen and sent.
"""
import argparse
import fcntl
import json
import os
import select
import socket
import struct
import sys
import time

import nacl.exceptions
import nacl.secret
import nacl.utils

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
BODY_MIN, BODY_MAX = 41, 4096
DATA, HB, ACK = 1, 2, 3
PAYLOAD_MAX = BODY_MAX - 24 - 16 - 5
HB_MS, DEAD_MS = 5000, 15000


def log(*a):
    print("legacy_ref:", *a, file=sys.stderr, flush=True)


def now_ms():
    return int(time.monotonic() * 1000)


class Status:
    def __init__(self, path):
        self.path = path
        self.v = {"sessions": 0, "hb_req_rx": 0, "hb_ack_rx": 0,
                  "hb_req_tx": 0, "hb_ack_tx": 0, "data_rx": 0,
                  "data_tx": 0, "ended": ""}

    def bump(self, k, d=1):
        self.v[k] += d
        self.write()

    def set(self, k, val):
        self.v[k] = val
        self.write()

    def write(self):
        if self.path is None:
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.v, f)
        os.rename(tmp, self.path)


def tun_open(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN))
    return fd


def seal(box, mtype, payload=b""):
    plain = struct.pack(">BI", mtype, len(payload)) + payload
    nonce = nacl.utils.random(24)
    body = nonce + box.encrypt(plain, nonce).ciphertext
    return struct.pack(">I", len(body)) + body


class Ended(Exception):
    pass


def session(sock, box, client, tun, args, st):
    st.bump("sessions")
    buf = b""
    out = b""
    t = now_ms()
    last_valid = data_tx = data_rx = hb_sent = t
    hb_pending = False
    sock.setblocking(False)
    try:
        while True:
            rl = [sock, tun]
            wl = [sock] if out else []
            r, w, _ = select.select(rl, wl, [], 0.1)
            t = now_ms()
            if sock in w:
                n = sock.send(out)
                out = out[n:]
            if tun in r:
                pkt = os.read(tun, 65536)
                if 0 < len(pkt) <= PAYLOAD_MAX:
                    out += seal(box, DATA, pkt)
                    data_tx = t
                    st.bump("data_tx")
            if sock in r:
                chunk = sock.recv(65536)
                if not chunk:
                    raise Ended("peer closed the connection")
                buf += chunk
                while len(buf) >= 4:
                    (length,) = struct.unpack(">I", buf[:4])
                    if length < BODY_MIN or length > BODY_MAX:
                        raise Ended("bad length %d" % length)
                    if len(buf) < 4 + length:
                        break
                    body, buf = buf[4:4 + length], buf[4 + length:]
                    try:
                        plain = box.decrypt(body[24:], body[:24])
                    except nacl.exceptions.CryptoError:
                        raise Ended("frame failed authentication")
                    if len(plain) < 5:
                        raise Ended("short message")
                    mtype, n = struct.unpack(">BI", plain[:5])
                    if n != len(plain) - 5:
                        raise Ended("message length mismatch")
                    last_valid = t
                    if mtype == DATA and n > 0:
                        os.write(tun, plain[5:])
                        data_rx = t
                        st.bump("data_rx")
                    elif mtype == HB and n == 0 and not client:
                        st.bump("hb_req_rx")
                        out += seal(box, ACK)
                        st.bump("hb_ack_tx")
                    elif mtype == ACK and n == 0 and client and hb_pending:
                        hb_pending = False
                        st.bump("hb_ack_rx")
                    else:
                        raise Ended("unexpected message type %d" % mtype)
            if args.cmd and os.path.exists(args.cmd):
                with open(args.cmd) as f:
                    what = f.read().strip()
                os.unlink(args.cmd)
                log("injecting", what)
                if what == "corrupt":
                    frame = bytearray(seal(box, DATA, b"\0\0\x08\0" +
                                           bytes(40)))
                    frame[40] ^= 0x55
                    out += bytes(frame)
                elif what == "badlen":
                    out += struct.pack(">I", 5000) + bytes(64)
                elif what == "badtype":
                    out += seal(box, 9)
            if client:
                if (not hb_pending and t - data_tx >= HB_MS and
                        t - data_rx >= HB_MS and t - hb_sent >= HB_MS):
                    out += seal(box, HB)
                    hb_pending, hb_sent = True, t
                    st.bump("hb_req_tx")
                if hb_pending and t - hb_sent >= DEAD_MS:
                    raise Ended("no heartbeat ack")
            elif t - last_valid >= DEAD_MS:
                raise Ended("no valid frame for 15 s")
    except Ended as e:
        log("session ended:", e)
        st.set("ended", str(e))
    except OSError as e:
        log("session ended:", e)
        st.set("ended", str(e))
    finally:
        sock.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ifname")
    ap.add_argument("ip")
    ap.add_argument("port", type=int)
    ap.add_argument("server", choices=["0", "1"])
    ap.add_argument("secret")
    ap.add_argument("--cmd")
    ap.add_argument("--status")
    ap.add_argument("--reconnect", action="store_true")
    args = ap.parse_args()
    with open(args.secret, "rb") as f:
        key = f.read()
    if len(key) != 32:
        sys.exit("legacy_ref: the secret must be 32 raw bytes")
    box = nacl.secret.SecretBox(key)
    st = Status(args.status)
    st.write()
    tun = tun_open(args.ifname)
    fam = socket.AF_INET6 if ":" in args.ip else socket.AF_INET
    if args.server == "1":
        ls = socket.socket(fam, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((args.ip, args.port))
        ls.listen(1)
        log("listening on %s:%d" % (args.ip, args.port))
        while True:
            c, peer = ls.accept()
            log("connection from", peer)
            session(c, box, False, tun, args, st)
    while True:
        try:
            s = socket.create_connection((args.ip, args.port), timeout=5)
        except OSError as e:
            log("connect:", e)
            if not args.reconnect:
                sys.exit(1)
            time.sleep(0.5)
            continue
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        log("connected")
        session(s, box, True, tun, args, st)
        if not args.reconnect:
            return
        time.sleep(0.3)


if __name__ == "__main__":
    main()
