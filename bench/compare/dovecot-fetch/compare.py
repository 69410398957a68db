#!/usr/bin/env python3
"""Compare Rookery's FETCH data (ENVELOPE, BODY, BODYSTRUCTURE, BODY[...], BINARY[...]) with Dovecot's.

A development oracle, not a CI test. Needs dovecot-imapd (`apt-get install dovecot-imapd`); Dovecot's
imap binary runs in PREAUTH mode over a pipe from a configuration written to a temporary directory, so no
daemon, port or system configuration is involved. Run as root (mail is then owned by `nobody`) or as any
user.

    dotnet build bench/compare/dovecot-fetch/FetchDump -c Release
    bench/compare/dovecot-fetch/compare.py ../shared/conformance/mbox/dovecot-crlf-100
    bench/compare/dovecot-fetch/compare.py --damage 1:300 some/dir/with/eml/files

Sources are mbox files or directories of *.eml files; --damage SEED:COUNT compares COUNT randomly damaged
copies of the source messages instead. Values are compared after parsing, so a quoted string and a literal
with the same content are equal.

Differences to expect, all deliberate (see src/Rookery.Imap/Mime):
- messages with bare LF line ends: Dovecot sends and counts CRLF, Rookery the stored octets;
- NUL octets in BODY[...]: Dovecot sends 0x80, Rookery leaves that to the FETCH handler;
- plain 7-bit text/plain: Dovecot lower-cases "TEXT" "PLAIN" ("CHARSET" "US-ASCII"), Rookery sends the header's case;
- BINARY of broken base64/quoted-printable: Dovecot fails the command, Rookery decodes what it can;
- headers cut short by a boundary: Dovecot's BINARY and HEADER.FIELDS read on past the part's end.
"""
import argparse, glob, os, pwd, random, re, shutil, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FETCH_DUMP = os.path.join(HERE, 'FetchDump', 'bin', 'Release', 'net10.0', 'FetchDump')
DOVECOT_IMAP = '/usr/lib/dovecot/imap'

# ---------- IMAP response data ----------

ATOM = re.compile(rb'[^ ()\r\n\[]+(\[[^\]]*\](<\d+>)?)?')
LITERAL = re.compile(rb'~?\{(\d+)\+?\}\r\n')

def parse_value(buf, i):
    """One value at buf[i]: list, bytes (quoted or literal), str (atom) or None (NIL). Returns (value, end)."""
    if buf[i:i+1] == b'(':
        i += 1; items = []
        while True:
            while buf[i:i+1] == b' ': i += 1
            if buf[i:i+1] == b')': return items, i + 1
            value, i = parse_value(buf, i); items.append(value)
    if buf[i:i+1] == b'"':
        i += 1; text = bytearray()
        while buf[i:i+1] != b'"':
            if buf[i:i+1] == b'\\': i += 1
            text += buf[i:i+1]; i += 1
        return bytes(text), i + 1
    m = LITERAL.match(buf, i)
    if m:
        n = int(m.group(1)); j = m.end()
        return bytes(buf[j:j+n]), j + n
    m = ATOM.match(buf, i)
    if not m: raise ValueError(f'unparsable at {i}: {buf[i:i+40]!r}')
    atom = m.group(0).decode('latin1')
    return (None if atom.upper() == 'NIL' else atom), m.end()

def item_key(name):
    return re.sub(r'\s+', ' ', str(name).upper().replace('.PEEK', ''))

def responses(buf):
    """('fetch', n, {item: value}), ('no', n, code) and ('tagged', tag, status, text) from a server's output."""
    i = 0
    while i < len(buf):
        m = re.compile(rb'\* (\d+) FETCH ', re.I).match(buf, i)
        if m:
            try:
                values, j = parse_value(buf, m.end())
                yield 'fetch', int(m.group(1)), {item_key(values[k]): values[k+1] for k in range(0, len(values), 2)}
                i = buf.index(b'\r\n', j) + 2
                continue
            except (ValueError, IndexError):
                pass  # a response cut short by a crash: skip the line
        m = re.compile(rb'\* (\d+) NO (\S+)').match(buf, i)
        if m:
            yield 'no', int(m.group(1)), m.group(2).decode()
        end = buf.find(b'\r\n', i)
        if end < 0: break
        m = re.match(rb'([^*\s]\S*) (OK|NO|BAD)(.*)', buf[i:end])
        if m:
            yield 'tagged', m.group(1).decode(), m.group(2).decode(), m.group(3).decode('latin1')
        i = end + 2

# ---------- Dovecot ----------

class Dovecot:
    """Dovecot's imap binary over a pipe, in PREAUTH mode, with its own configuration and mail in a temporary directory."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='rookery-dovecot-fetch-')
        os.chmod(self.dir, 0o755)
        user = pwd.getpwnam('nobody') if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
        self.mail = os.path.join(self.dir, 'mail')
        os.makedirs(os.path.join(self.dir, 'run')); os.makedirs(self.mail)
        os.chown(self.mail, user.pw_uid, user.pw_gid)
        self.conf = os.path.join(self.dir, 'dovecot.conf')
        with open(self.conf, 'w') as f:
            f.write(f"""base_dir = {self.dir}/run
state_dir = {self.dir}/run
log_path = {self.dir}/dovecot.log
ssl = no
mail_location = maildir:{self.mail}/Maildir
mail_uid = {user.pw_uid}
mail_gid = {user.pw_gid}
first_valid_uid = 0
first_valid_gid = 0
protocol imap {{
  imap_capability = +BINARY
}}
""")
        self.env = dict(os.environ, USER='oracle', HOME=self.mail)

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def session(self, script):
        result = subprocess.run([DOVECOT_IMAP, '-c', self.conf], input=bytes(script), capture_output=True, env=self.env)
        return result.stdout

    def fetch(self, messages, requests):
        """Appends the messages (UID n+1 for message n), then runs the requests: one session per message, and
        one per BINARY request (a Dovecot crash costs only that session, and a BINARY error sticks to the mail
        for the rest of a session)."""
        shutil.rmtree(os.path.join(self.mail, 'Maildir'), ignore_errors=True)
        script = bytearray()
        for n, m in enumerate(messages):
            script += b'a%d APPEND INBOX {%d+}\r\n' % (n, len(m)) + m + b'\r\n'
        script += b'z LOGOUT\r\n'
        for event in responses(self.session(script)):
            if event[0] == 'tagged' and event[1].startswith('a') and event[2] != 'OK':
                sys.exit(f'Dovecot refused message {event[1][1:]}: {event[3]}')
        groups = {}
        for n, (msg, items) in enumerate(requests):
            groups.setdefault((msg, n if items[0].startswith('BINARY') else -1), []).append((n, items))
        results, fetched_by_msg = {}, {}
        for (msg, _), group in groups.items():
            script = bytearray(b's SELECT INBOX\r\n')
            for n, items in group:
                peek = [i.replace('BODY[', 'BODY.PEEK[').replace('BINARY[', 'BINARY.PEEK[') for i in items]
                script += ('f%d UID FETCH %d (%s)\r\n' % (n, msg + 1, ' '.join(peek))).encode()
            script += b'z LOGOUT\r\n'
            fetched, status = fetched_by_msg.setdefault(msg, {}), {}
            for event in responses(self.session(script)):
                if event[0] == 'fetch':
                    event[2].pop('UID', None); fetched.update(event[2])
                elif event[0] == 'tagged' and event[1].startswith('f'):
                    status[int(event[1][1:])] = (event[2], event[3])
            for n, _ in group:
                ok, text = status.get(n, ('NO', 'no reply: the session died'))
                results[n] = ('OK', fetched) if ok == 'OK' else ('NO', text)
        return results

def rookery_fetch(files, requests, work):
    path = os.path.join(work, 'requests.txt')
    with open(path, 'w') as f:
        for msg, items in requests:
            f.write('\t'.join([files[msg]] + items) + '\n')
    out = os.path.join(work, 'rookery.out')
    subprocess.run([FETCH_DUMP, path, out], check=True)
    results = {}
    for event in responses(open(out, 'rb').read()):
        results[event[1] - 1] = ('OK', event[2]) if event[0] == 'fetch' else ('NO', event[2])
    return results

# ---------- what to ask for ----------

def part_paths(structure, path):
    """(section-part, kind) of every part below a BODYSTRUCTURE, kind being multipart, message or leaf."""
    if isinstance(structure[0], list):
        children = [c for c in structure if isinstance(c, list)]
        for n, child in enumerate(children, 1):
            yield from part_paths_of_part(child, f'{path}{n}')
    else:
        yield from part_paths_of_part(structure, '1')

def part_paths_of_part(structure, path):
    if isinstance(structure[0], list):
        yield path, 'multipart'
        yield from part_paths(structure, path + '.')
        return
    kind = [(v or b'').lower() if isinstance(v, bytes) else b'' for v in structure[:2]]
    if kind == [b'message', b'rfc822'] and len(structure) > 9 and isinstance(structure[8], list):
        yield path, 'message'
        inner = structure[8]
        yield from (part_paths(inner, path + '.') if isinstance(inner[0], list) else part_paths_of_part(inner, path + '.1'))
    else:
        yield path, 'leaf'

def requests_for(n, structure):
    reqs = [(n, ['ENVELOPE', 'BODY', 'BODYSTRUCTURE', 'BODY[]', 'BODY[HEADER]', 'BODY[TEXT]',
                 'BODY[HEADER.FIELDS (FROM TO SUBJECT)]', 'BODY[HEADER.FIELDS.NOT (RECEIVED)]', 'BODY[99]', 'BODY[1]', 'BODY[1.MIME]'])]
    paths = [p for p in part_paths(structure, '')] if structure else []
    sections = []
    for path, kind in paths:
        if path != '1':
            sections += [f'BODY[{path}]', f'BODY[{path}.MIME]']
        if kind == 'message':
            sections += [f'BODY[{path}.HEADER]', f'BODY[{path}.TEXT]', f'BODY[{path}.HEADER.FIELDS (FROM SUBJECT)]']
    reqs += [(n, sections[k:k+20]) for k in range(0, len(sections), 20)]
    # BINARY[] last: when it fails, Dovecot remembers that in the mail's cache and fails later BINARY fetches too
    # BINARY.SIZE apart: Dovecot computes it over the whole message, so one unknown encoding anywhere fails it
    reqs += [(n, [item]) for path, _ in paths for item in (f'BINARY[{path}]', f'BINARY.SIZE[{path}]')]
    reqs.append((n, ['BINARY[]']))
    return reqs

# ---------- messages ----------

def mbox_messages(path):
    data = open(path, 'rb').read()
    if b'\r\n' not in data:
        data = data.replace(b'\n', b'\r\n')
    messages = []
    for chunk in re.split(rb'(?:^|\r\n)From [^\r\n]*\r\n', data):
        if chunk:
            messages.append(chunk[:-2] if chunk.endswith(b'\r\n\r\n') else chunk)
    return messages

def damaged(messages, seed, count):
    """Copies with random damage: cut, lines deleted, repeated or inserted (delimiters, headers), special octets."""
    rnd = random.Random(seed)
    headers = [b'Content-Type: multipart/mixed; boundary="%s"', b'Content-Type: message/rfc822', b'Content-Type: text/plain; charset="x',
               b'Content-Type: multipart/digest; boundary=%s', b'Content-Transfer-Encoding: base64', b'Content-Transfer-Encoding: quoted-printable',
               b'Content-Disposition: attachment; filename*1="b"; filename*0=a', b'From: "a\\" b" <x@y>, (c) d@e, f:g@h;, <@r:i@j>', b'To: g: ;',
               b'Subject:  x \t y ', b'Mime-Version: 1.0', b'Content-Type: text/plain; a*=b; a*0=c', b'Content-Language: en, (x) fr',
               b'Cc: a@b (c (d) e)', b'Reply-To: "unterminated', b'Sender: <a@[1.2', b'From: a@b.c,, d@e.f,']
    specials = [b'"', b'(', b')', b'<', b'>', b',', b';', b':', b'@', b'\\', b' ', b'=', b'\r\n', b'\t', b'-', b'--', b'*', b"'", b'%', b'[', b']', b'.']
    out = []
    for _ in range(count):
        m = rnd.choice(messages)
        for _ in range(rnd.randint(1, 3)):
            lines = re.findall(rb'[^\n]*\n|[^\n]+$', m)
            boundaries = re.findall(rb'boundary="?([^";\r\n]+)', m, re.I) or [b'b']
            op = rnd.randrange(7)
            if op == 0 and m:
                m = m[:rnd.randrange(len(m))]
            elif op == 1 and lines:
                del lines[rnd.randrange(len(lines))]; m = b''.join(lines)
            elif op == 2 and lines:
                i = rnd.randrange(len(lines)); lines.insert(i, lines[i]); m = b''.join(lines)
            elif op == 3:
                line = b'--' + rnd.choice(boundaries) + rnd.choice([b'', b'--', b' x', b'-', b'--x']) + b'\r\n'
                lines.insert(rnd.randrange(len(lines) + 1), line); m = b''.join(lines)
            elif op == 4:
                h = rnd.choice(headers)
                if b'%s' in h: h = h % rnd.choice(boundaries + [b'zz'])
                lines.insert(rnd.randrange(min(len(lines), 8) + 1), h + b'\r\n'); m = b''.join(lines)
            elif op == 5:
                for _ in range(rnd.randint(1, 4)):
                    i = rnd.randrange(len(m)) if m else 0
                    if m[i:i+1] in (b'\r', b'\n') or m[i-1:i] == b'\r': continue
                    m = m[:i] + rnd.choice(specials) + m[i+1:]
            elif op == 6 and lines:
                lines.insert(rnd.randrange(len(lines)), b'\r\n'); m = b''.join(lines)
        m = m.replace(b'\r\n', b'\n').replace(b'\r', b'').replace(b'\n', b'\r\n')
        out.append(m if m.strip() else b'X: y\r\n')  # Dovecot refuses empty messages
    return out

# ---------- main ----------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('sources', nargs='+', help='mbox files or directories of *.eml')
    parser.add_argument('--damage', metavar='SEED:COUNT', help='compare randomly damaged copies instead')
    parser.add_argument('--show', type=int, default=20, help='differences to print (default 20)')
    args = parser.parse_args()
    if not os.path.exists(FETCH_DUMP):
        sys.exit(f'build FetchDump first: dotnet build {os.path.join(HERE, "FetchDump")} -c Release')

    messages, names = [], []
    for source in args.sources:
        if os.path.isdir(source):
            for f in sorted(glob.glob(os.path.join(source, '*.eml'))):
                messages.append(open(f, 'rb').read()); names.append(f)
        else:
            for k, m in enumerate(mbox_messages(source), 1):
                messages.append(m); names.append(f'{source}#{k}')
    if args.damage:
        seed, count = (int(x) for x in args.damage.split(':'))
        messages = damaged(messages, seed, count)
        names = [f'damaged #{k}' for k in range(len(messages))]

    dovecot = Dovecot()
    try:
        work = dovecot.dir
        files = []
        for k, m in enumerate(messages):
            files.append(os.path.join(work, f'{k:04d}.eml'))
            open(files[-1], 'wb').write(m)
        structures = dovecot.fetch(messages, [(k, ['BODYSTRUCTURE']) for k in range(len(messages))])
        requests = []
        for k in range(len(messages)):
            status, values = structures[k]
            requests += requests_for(k, values.get('BODYSTRUCTURE') if status == 'OK' else None)
        theirs = dovecot.fetch(messages, requests)
        ours = rookery_fetch(files, requests, work)

        differing, shown, case_only, nul_only, refused = set(), 0, set(), set(), set()
        for n, (msg, items) in enumerate(requests):
            a, b = theirs.get(n), ours.get(n)
            if a[0] == 'NO' and items[0].startswith('BINARY') and ('UNKNOWN-CTE' not in a[1] or items[0].startswith('BINARY.SIZE')):
                refused.add(msg); continue  # Dovecot refuses broken encodings that we decode, and sizes beside an unknown one
            if a[0] != b[0]:
                differing.add(msg); shown += 1
                if shown <= args.show:
                    print(f'## {names[msg]} {items}: Dovecot {a[0]} {a[1] if a[0] == "NO" else ""}, Rookery {b[0]}')
                continue
            if a[0] == 'NO':
                continue
            for item in items:
                key = item_key(item)
                va, vb = a[1].get(key, '<missing>'), b[1].get(key, '<missing>')
                if va == vb:
                    continue
                if str(va).lower() == str(vb).lower():
                    case_only.add(msg); continue
                if isinstance(vb, bytes) and va == vb.replace(b'\0', b'\x80'):
                    nul_only.add(msg); continue
                if item.startswith('BINARY.SIZE'):
                    content = a[1].get(key.replace('BINARY.SIZE', 'BINARY'))
                    if isinstance(content, bytes) and str(vb) == str(len(content)):
                        continue  # Dovecot's BINARY.SIZE disagrees with its own BINARY; ours matches the content
                differing.add(msg); shown += 1
                if shown <= args.show:
                    print(f'## {names[msg]} ({files[msg]}) {item}\n  Dovecot: {str(va)[:1500]}\n  Rookery: {str(vb)[:1500]}')
        if refused:
            print(f'{len(refused)} messages whose BINARY Dovecot refused (broken encoding, or BINARY.SIZE beside an unknown one), not compared')
        if case_only:
            print(f'{len(case_only)} messages differing only in letter case')
        if nul_only:
            print(f'{len(nul_only)} messages differing only in NUL octets (Dovecot sends 0x80)')
        print(f'{len(messages)} messages, {len(requests)} FETCH commands: '
              f'{len(messages) - len(differing)} identical, {len(differing)} with differences')
    finally:
        dovecot.close()

if __name__ == '__main__':
    main()
