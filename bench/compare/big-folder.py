#!/usr/bin/env python3
"""bench/compare/big-folder.py — the IMAP side of bench/compare/big-folder.sh (run that).

  big-folder.py generate N DIR        N small messages as files DIR/1 .. DIR/N (CRLF line ends)
  big-folder.py append PORT USER PASS DIR N
                                      APPENDs them to INBOX over IMAP (LITERAL+, 200 in flight)
  big-folder.py time LABEL PORT USER PASS N REPEAT
                                      times each command REPEAT times; prints "LABEL<TAB>command<TAB>median ms<TAB>min ms<TAB>hits"

Message i is from "User i%100" <user{i%100}@example.com>, subject "message i topic {i%97}", and its body
holds the word needle{i%100}: each FROM, SUBJECT or BODY search below finds about 1 in 100 (300 of 30,000).
"""
import os
import socket
import statistics
import sys
import time


def message(i):
    body = "\r\n".join(f"line {j} of message {i}: some words to search through, needle{i % 100} here" if j == 3
                       else f"line {j} of message {i}: some words to search through" for j in range(8))
    return (f"From: \"User {i % 100}\" <user{i % 100}@example.com>\r\n"
            f"To: Alice <alice@example.com>\r\n"
            f"Subject: message {i} topic {i % 97}\r\n"
            f"Date: Mon, 02 Mar 2026 10:{i // 60 % 60:02d}:{i % 60:02d} +0100\r\n"
            f"Message-ID: <m{i}@example.com>\r\n"
            f"\r\n{body}\r\n").encode()


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.file = self.sock.makefile("rb")
        self.tag = 0
        self.file.readline()

    def send(self, line):
        self.tag += 1
        tag = f"b{self.tag}"
        self.sock.sendall(tag.encode() + b" " + line + b"\r\n")
        return tag

    def wait(self, tag):
        """Reads up to the tagged reply; returns (status line, untagged lines). Literals are skipped over."""
        untagged = []
        prefix = (tag + " ").encode()
        while True:
            line = self.file.readline()
            if not line:
                raise SystemExit(f"connection closed waiting for {tag}")
            while line.rstrip(b"\r\n").endswith(b"}") and b"{" in line:
                size = int(line.rstrip(b"\r\n").rsplit(b"{", 1)[1][:-1].rstrip(b"+"))
                self.file.read(size)
                line = line + self.file.readline()
            if line.startswith(prefix):
                if not line[len(prefix):].startswith(b"OK"):
                    raise SystemExit(f"{tag}: {line!r}")
                return line, untagged
            untagged.append(line)

    def command(self, line):
        return self.wait(self.send(line))


def append(port, user, password, directory, count):
    client = Client(port)
    client.command(f"LOGIN {user} {password}".encode())
    pending = []
    for i in range(1, count + 1):
        with open(os.path.join(directory, str(i)), "rb") as f:
            content = f.read()
        pending.append(client.send(b"APPEND INBOX {" + str(len(content)).encode() + b"+}\r\n" + content))
        if len(pending) >= 200:
            client.wait(pending.pop(0))
    for tag in pending:
        client.wait(tag)
    client.command(b"LOGOUT")


def timed(label, port, user, password, count, repeat):
    client = Client(port)
    client.command(f"LOGIN {user} {password}".encode())
    client.command(b"SELECT INBOX")  # warm: Dovecot builds its index on the first SELECT of a new maildir
    commands = [
        ("SELECT INBOX", b"SELECT INBOX"),
        ("UID FETCH 1:* (FLAGS)", b"UID FETCH 1:* (FLAGS)"),
        ("UID SEARCH FROM user7@", b"UID SEARCH FROM user7@"),
        ("UID SEARCH SUBJECT \"topic 42\"", b"UID SEARCH SUBJECT \"topic 42\""),
        ("UID SEARCH BODY \"needle7 here\"", b"UID SEARCH BODY \"needle7 here\""),
        ("FETCH last 50 (ENVELOPE BODYSTRUCTURE)", f"FETCH {count - 49}:{count} (ENVELOPE BODYSTRUCTURE)".encode()),
    ]
    for name, line in commands:
        times = []
        hits = 0
        for _ in range(repeat):
            start = time.perf_counter()
            _, untagged = client.command(line)
            times.append((time.perf_counter() - start) * 1000)
            hits = sum(len(u.split()) - 2 for u in untagged if u.startswith(b"* SEARCH")) if b"SEARCH" in line else len(untagged)
        print(f"{label}\t{name}\t{statistics.median(times):.2f}\t{min(times):.2f}\t{hits}", flush=True)
    client.command(b"LOGOUT")


def main(argv):
    if len(argv) >= 3 and argv[0] == "generate":
        count, directory = int(argv[1]), argv[2]
        os.makedirs(directory, exist_ok=True)
        for i in range(1, count + 1):
            with open(os.path.join(directory, str(i)), "wb") as f:
                f.write(message(i))
    elif len(argv) == 6 and argv[0] == "append":
        append(int(argv[1]), argv[2], argv[3], argv[4], int(argv[5]))
    elif len(argv) == 7 and argv[0] == "time":
        timed(argv[1], int(argv[2]), argv[3], argv[4], int(argv[5]), int(argv[6]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
