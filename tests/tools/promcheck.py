#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
#
# A strict reader of the Prometheus text exposition format (0.0.4), as
# ipcpctl metrics writes it: every family has HELP then TYPE before its
# samples and appears once; sample names belong to the family being
# read; counters end in _total; label names are [a-zA-Z_][a-zA-Z0-9_]*,
# values quoted with only \\, \" and \n escaped, no label twice; values
# are floats; no two samples share a name and label set.
#
#	promcheck.py < metrics.txt		exit 0, or 1 with the line
#	promcheck.py --json < metrics.txt	the samples as JSON:
#		[[name, {labels}, value], ...]
import json
import re
import sys

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')
TYPES = ('counter', 'gauge', 'untyped', 'summary', 'histogram')


def die(n, line, why):
    sys.exit('promcheck: line %d: %s: %r' % (n, why, line))


def labels(n, line, s, i):
    """Parse {a="b",...} from s[i] == '{'; return (dict, index after)."""
    out = {}
    i += 1
    while True:
        if s[i] == '}':
            return out, i + 1
        m = LABEL.match(s, i)
        if not m:
            die(n, line, 'bad label name')
        key = m.group(0)
        i = m.end()
        if s[i:i + 2] != '="':
            die(n, line, 'label without ="')
        i += 2
        val = []
        while True:
            if i >= len(s):
                die(n, line, 'unterminated label value')
            c = s[i]
            if c == '\\':
                e = s[i + 1:i + 2]
                if e not in ('\\', '"', 'n'):
                    die(n, line, 'bad escape in label value')
                val.append('\n' if e == 'n' else e)
                i += 2
                continue
            if c == '"':
                i += 1
                break
            if c == '\n':
                die(n, line, 'newline in label value')
            val.append(c)
            i += 1
        if key in out:
            die(n, line, 'label %s twice' % key)
        out[key] = ''.join(val)
        if s[i] == ',':
            i += 1
        elif s[i] != '}':
            die(n, line, 'expected , or }')


def parse(text):
    samples = []
    seen_families = set()
    seen = set()
    fam = ftype = None
    helped = None
    if text and not text.endswith('\n'):
        die(0, text[-40:], 'no final newline')
    for n, line in enumerate(text.split('\n')[:-1], 1):
        if line.startswith('# HELP '):
            name = line.split(' ', 3)[2]
            if not NAME.fullmatch(name):
                die(n, line, 'bad family name')
            if name in seen_families:
                die(n, line, 'family %s twice' % name)
            seen_families.add(name)
            fam, ftype, helped = name, None, name
            continue
        if line.startswith('# TYPE '):
            parts = line.split(' ')
            if len(parts) != 4 or parts[2] != helped or ftype is not None:
                die(n, line, 'TYPE not right after its HELP')
            if parts[3] not in TYPES:
                die(n, line, 'unknown type')
            ftype = parts[3]
            if ftype == 'counter' and not fam.endswith('_total'):
                die(n, line, 'counter not named *_total')
            continue
        if line.startswith('#') or line == '':
            die(n, line, 'stray comment or blank line')
        m = NAME.match(line)
        if not m:
            die(n, line, 'bad sample name')
        name = m.group(0)
        if fam is None or ftype is None or name != fam:
            die(n, line, 'sample outside its family')
        i = m.end()
        lab = {}
        if line[i:i + 1] == '{':
            lab, i = labels(n, line, line, i)
        if line[i:i + 1] != ' ':
            die(n, line, 'no space before the value')
        rest = line[i + 1:].split(' ')
        if len(rest) not in (1, 2):
            die(n, line, 'junk after the value')
        try:
            v = float(rest[0])
        except ValueError:
            die(n, line, 'value is not a number')
        if ftype == 'counter' and not v >= 0:
            die(n, line, 'negative counter')
        key = (name, tuple(sorted(lab.items())))
        if key in seen:
            die(n, line, 'duplicate sample')
        seen.add(key)
        samples.append([name, lab, v])
    return samples


def main():
    samples = parse(sys.stdin.read())
    if '--json' in sys.argv[1:]:
        json.dump(samples, sys.stdout)
        print()


if __name__ == '__main__':
    main()
